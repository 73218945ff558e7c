#pragma once

#include <string>

#include "pipeline/core/status.h"
#include "pipeline/refdata/account_directory.h"
#include "pipeline/refdata/calendar.h"
#include "pipeline/refdata/offset_table.h"
#include "pipeline/refdata/position_limit_table.h"
#include "pipeline/refdata/product_catalog.h"

namespace eodclear {

// All reference data of a run, loaded and cross-checked together from one folder
// (ops/refdata/README.md): products.csv, calendars.csv, holidays.csv, offsets.csv,
// position_limits.csv, accounts.csv and exemptions.csv. Immutable once loaded.
struct RefData {
  std::string dir;
  ProductCatalog products;
  CalendarSet calendars;
  OffsetTable offsets;
  PositionLimitTable limits;
  AccountDirectory accounts;

  // Loads every file and checks the references between them (a product's calendars and parent,
  // the products the offset, limit and exemption rows name). The first problem stops the load
  // with kInvalidArgument "file:line: what" (reference data problems are configuration errors),
  // or kNotFound for a missing file.
  static Result<RefData> Load(const std::string& dir);
};

}  // namespace eodclear
