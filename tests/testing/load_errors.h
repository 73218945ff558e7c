#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <string_view>

#include "pipeline/core/status.h"

namespace eodclear::testing {

// One malformed-file case of a reference-data loader test.
struct LoadErrorCase {
  std::string_view name;  // test name suffix
  std::string body;       // file after the header line
  int line;               // line the error must name
  std::string_view what;  // text the message must contain after "file:line: "
};

// The rows concatenated, each already ending in '\n'.
inline std::string Rows(std::initializer_list<std::string_view> rows) {
  std::string out;
  for (auto r : rows) out += r;
  return out;
}

// Checks a reference-data load error: kInvalidArgument, a message that starts with
// "<path>:<line>: " and contains `what`.
inline void ExpectLoadError(const Status& error, const std::string& path, int line,
                            std::string_view what) {
  EXPECT_EQ(error.code(), Status::Code::kInvalidArgument) << error.ToString();
  std::string where = path + ":" + std::to_string(line) + ": ";
  EXPECT_TRUE(error.message().starts_with(where))
      << "message '" << error.message() << "' does not start with '" << where << "'";
  EXPECT_PRED_FORMAT2(::testing::IsSubstring, std::string(what), error.message());
}

// Checks the error of loading a file that does not exist: kNotFound, and a message naming `path`.
inline void ExpectNotFound(const Status& error, const std::string& path) {
  EXPECT_EQ(error.code(), Status::Code::kNotFound) << error.ToString();
  EXPECT_PRED_FORMAT2(::testing::IsSubstring, path, error.message());
}

}  // namespace eodclear::testing
