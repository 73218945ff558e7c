#pragma once

#include <iosfwd>
#include <string>

#include "pipeline/cli/exit_codes.h"

namespace eodclear {

// `eodclear limits study --supply FILE [--format text|csv|json]`: the deliverable-supply study of
// CME Submission 13-543 Exhibit 2 (stages/position_limits/limit_study.h) over the monthly series
// in FILE (format: ops/limit_study/README.md), written to `out`:
//   text  an aligned table, one row a month, then the recommendation (the latest month) and the
//         series summary;
//   csv   a header row, then one row a month (the recommendation is the last row);
//   json  one object a line: {"record":"month",...} a month, then {"record":"recommendation",...}
//         and {"record":"series",...}. Decimals are JSON strings, contract counts JSON numbers.
// Columns (csv and json keys): month, deliverable_supply_cnh, spot_rate_cnh_per_usd,
// contract_size_cnh, supply_contracts, one_percent_contracts, spot_month_limit,
// two_percent_contracts, all_months_limit, mnh_spot_month_limit, mnh_all_months_limit. The
// *_contracts columns are exact quotients rounded half up to 2 places, for display; the limits
// are computed from the exact quotients. Do not rename: scripts read these names.
//
// Exit codes: kSuccess; kBadConfig (2) for an unknown format, a supply file that cannot be read,
// or a malformed one (the message names file:line). Errors go to stderr.
ExitCode LimitStudyCommand(const std::string& supply_path, const std::string& format,
                           std::ostream& out);

}  // namespace eodclear
