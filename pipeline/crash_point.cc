#include "pipeline/crash_point.h"

#include <csignal>
#include <cstdlib>
#include <string>

namespace eodclear {

namespace {

std::string FromEnvironment(const char* name) {
  const char* v = std::getenv(name);
  return std::string(v == nullptr ? "" : v);
}

}  // namespace

void CrashPoint(std::string_view point) {
  static const std::string crash_at = FromEnvironment("EODCLEAR_CRASH_AT");
  static const std::string stop_at = FromEnvironment("EODCLEAR_STOP_AT");
  if (!crash_at.empty() && crash_at == point) std::raise(SIGKILL);
  if (!stop_at.empty() && stop_at == point) std::raise(SIGSTOP);
}

}  // namespace eodclear
