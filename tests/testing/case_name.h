#pragma once

#include <gtest/gtest.h>

#include <string>

namespace eodclear::testing {

// Names each instance of a parameterised test after its case's `name`:
// INSTANTIATE_TEST_SUITE_P(Suite, Test, ::testing::Values(...), testing::CaseName()).
struct CaseName {
  template <typename Param>
  std::string operator()(const ::testing::TestParamInfo<Param>& param_info) const {
    return std::string(param_info.param.name);
  }
};

}  // namespace eodclear::testing
