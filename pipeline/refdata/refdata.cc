#include "pipeline/refdata/refdata.h"

#include <filesystem>

namespace eodclear {
Result<RefData> RefData::Load(const std::string& dir) {
  namespace fs = std::filesystem;
  if (!fs::is_directory(dir)) {
    return Err(Status::NotFound("reference data folder " + dir + " does not exist"));
  }
  auto file = [&](const char* name) { return (fs::path(dir) / name).string(); };
  RefData data;
  data.dir = dir;
  EODCLEAR_ASSIGN_OR_RETURN(data.products, ProductCatalog::Load(file("products.csv")));
  EODCLEAR_ASSIGN_OR_RETURN(data.calendars,
                            CalendarSet::Load(file("calendars.csv"), file("holidays.csv")));
  EODCLEAR_ASSIGN_OR_RETURN(data.offsets, OffsetTable::Load(file("offsets.csv"), &data.products));
  EODCLEAR_ASSIGN_OR_RETURN(data.limits,
                            PositionLimitTable::Load(file("position_limits.csv"), &data.products));
  EODCLEAR_ASSIGN_OR_RETURN(
      data.accounts,
      AccountDirectory::Load(file("accounts.csv"), file("exemptions.csv"), &data.products));
  for (const Product& p : data.products.products()) {
    for (const std::string& name : p.calendars) {
      if (data.calendars.Find(name) == nullptr) {
        return Err(Status::InvalidArgument(
            data.products.path() + ":" + std::to_string(p.source_line) + ": " + p.code +
            " names calendar '" + name + "', which calendars.csv does not define"));
      }
    }
  }
  return data;
}

}  // namespace eodclear
