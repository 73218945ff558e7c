#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace eodclear {

// The one error type of eodclear. Every fallible function returns Status or Result<T>; library
// errors (RocksDB, librdkafka, protobuf) are converted to Status in their adapter, once.
//
// The code says what kind of failure it is, which decides the process exit code (see
// pipeline/cli/exit_codes.h); the message says what and where, for a person.
class [[nodiscard]] Status {
 public:
  enum class Code {
    kOk = 0,
    // Bad command line, configuration or reference data: nothing was touched.
    kInvalidArgument,
    // A named thing does not exist (file, topic, record).
    kNotFound,
    // Input data that cannot be used as it is (malformed file row, lost Kafka messages).
    kDataError,
    // State or input breaks a precondition of the operation (e.g. an earlier run is incomplete).
    kFailedPrecondition,
    // A transient infrastructure failure: retrying the run later may succeed.
    kUnavailable,
    // An invariant of the books failed: nothing was published.
    kInvariantViolation,
    // Storage or broker failure that is not known to be transient.
    kInternal,
    // Another process took over this one's role (a Kafka producer with the same
    // transactional.id): this process must stop, and retrying it would fence the other in turn.
    kFenced,
  };

  Status() = default;
  // Lets EODCLEAR_ASSIGN_OR_RETURN return an error from a function that returns Status.
  Status(std::unexpected<Status> error) : Status(std::move(error.error())) {}  // NOLINT
  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string msg) {
    return {Code::kInvalidArgument, std::move(msg)};
  }
  static Status NotFound(std::string msg) { return {Code::kNotFound, std::move(msg)}; }
  static Status DataError(std::string msg) { return {Code::kDataError, std::move(msg)}; }
  static Status FailedPrecondition(std::string msg) {
    return {Code::kFailedPrecondition, std::move(msg)};
  }
  static Status Unavailable(std::string msg) { return {Code::kUnavailable, std::move(msg)}; }
  static Status InvariantViolation(std::string msg) {
    return {Code::kInvariantViolation, std::move(msg)};
  }
  static Status Internal(std::string msg) { return {Code::kInternal, std::move(msg)}; }
  static Status Fenced(std::string msg) { return {Code::kFenced, std::move(msg)}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // "<code name>: <message>", or "OK".
  std::string ToString() const;

  // Returns a copy whose message is "<context>: <message>"; OK stays OK.
  Status WithContext(std::string_view context) const;

  static std::string_view CodeName(Code code);

 private:
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  Code code_ = Code::kOk;
  std::string message_;
};

// A value or the Status saying why there is none. The error is never an OK status.
template <typename T>
using Result = std::expected<T, Status>;

// Wraps a non-OK status as the error of a Result.
inline std::unexpected<Status> Err(Status status) {
  return std::unexpected<Status>(std::move(status));
}

}  // namespace eodclear

// Returns early from a function returning Status with the status of `expr` when it is not OK.
#define EODCLEAR_RETURN_IF_ERROR(expr)                                               \
  do {                                                                               \
    ::eodclear::Status eodclear_status_ = (expr);                                    \
    if (!eodclear_status_.ok()) return ::eodclear::Err(std::move(eodclear_status_)); \
  } while (false)

#define EODCLEAR_CONCAT_INNER_(a, b) a##b
#define EODCLEAR_CONCAT_(a, b) EODCLEAR_CONCAT_INNER_(a, b)

// `EODCLEAR_ASSIGN_OR_RETURN(auto x, MakeX());` — inside a function returning Status or Result<U>.
#define EODCLEAR_ASSIGN_OR_RETURN(lhs, expr)                                                 \
  auto EODCLEAR_CONCAT_(eodclear_result_, __LINE__) = (expr);                                \
  if (!EODCLEAR_CONCAT_(eodclear_result_, __LINE__))                                         \
    return ::eodclear::Err(std::move(EODCLEAR_CONCAT_(eodclear_result_, __LINE__)).error()); \
  lhs = std::move(*EODCLEAR_CONCAT_(eodclear_result_, __LINE__))
