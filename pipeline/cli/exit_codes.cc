#include "pipeline/cli/exit_codes.h"

namespace eodclear {

ExitCode ExitCodeFor(const Status& status) {
  switch (status.code()) {
    case Status::Code::kOk:
      return ExitCode::kSuccess;
    case Status::Code::kInvalidArgument:
    case Status::Code::kNotFound:
      return ExitCode::kBadConfig;
    case Status::Code::kDataError:
      return ExitCode::kDataError;
    case Status::Code::kUnavailable:
      return ExitCode::kRetryable;
    case Status::Code::kInvariantViolation:
      return ExitCode::kInvariantViolation;
    case Status::Code::kFailedPrecondition:
      return ExitCode::kPrecondition;
    case Status::Code::kInternal:
      return ExitCode::kInternal;
    case Status::Code::kFenced:
      return ExitCode::kFenced;
  }
  return ExitCode::kInternal;
}

}  // namespace eodclear
