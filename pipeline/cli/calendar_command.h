#pragma once

#include <iosfwd>
#include <string>

#include "pipeline/cli/exit_codes.h"

namespace eodclear {

struct CalendarCommandOptions {
  std::string refdata_dir;
  std::string contract;  // --contract ESM23: one contract's facts
  std::string product;   // --product ES --from --to: every contract month in the span
  std::string calendar;  // --calendar NYSE --holidays --from --to: the calendar's holidays
  bool holidays = false;
  std::string from;
  std::string to;
};

// `eodclear calendar`: a contract's calendar facts as JSON, one object a line (see README).
ExitCode CalendarCommand(const CalendarCommandOptions& options, std::ostream& out);

// `eodclear refdata check`: loads and cross-checks the reference data folder; prints a summary.
ExitCode RefdataCheckCommand(const std::string& refdata_dir, std::ostream& out);

}  // namespace eodclear
