#include <gtest/gtest.h>
#include <stdlib.h>

#include "pipeline/cli/run_command.h"

namespace eodclear {
namespace {

TEST(ParseKafkaPropertiesTest, ExpandsEnvironmentVariablesInValues) {
  ASSERT_EQ(setenv("EODCLEAR_TEST_SECRET", "s3cr=t", 1), 0);
  KafkaOptions kafka;
  Status s = ParseKafkaProperties(
      {"sasl.password=${EODCLEAR_TEST_SECRET}", "client.id=eod-${EODCLEAR_TEST_SECRET}-x",
       "security.protocol=SASL_SSL"},
      &kafka);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(kafka.properties.at("sasl.password"), "s3cr=t");
  EXPECT_EQ(kafka.properties.at("client.id"), "eod-s3cr=t-x");
  EXPECT_EQ(kafka.properties.at("security.protocol"), "SASL_SSL");
  unsetenv("EODCLEAR_TEST_SECRET");
}

TEST(ParseKafkaPropertiesTest, UnsetVariableNamesTheVariableNotAValue) {
  unsetenv("EODCLEAR_TEST_UNSET");
  KafkaOptions kafka;
  Status s = ParseKafkaProperties({"sasl.password=${EODCLEAR_TEST_UNSET}"}, &kafka);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("sasl.password"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("'EODCLEAR_TEST_UNSET' is not set"), std::string::npos) << s.message();
}

TEST(ParseKafkaPropertiesTest, RejectsAPairWithoutNameOrAnUnterminatedReference) {
  KafkaOptions kafka;
  EXPECT_EQ(ParseKafkaProperties({"=x"}, &kafka).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(ParseKafkaProperties({"novalue"}, &kafka).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(ParseKafkaProperties({"a=${B"}, &kafka).code(), Status::Code::kInvalidArgument);
}

TEST(ParsePushgatewayTest, AcceptsHostPortWithOrWithoutScheme) {
  auto a = ParsePushgateway("http://127.0.0.1:9091/");
  ASSERT_TRUE(a.has_value()) << a.error().ToString();
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, "9091");
  auto b = ParsePushgateway("pushgw.example:9091");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->host, "pushgw.example");
  EXPECT_EQ(b->port, "9091");
}

TEST(ParsePushgatewayTest, RejectsWhatIsNotHostPort) {
  for (const char* bad : {"", "host", ":9091", "host:", "host:90x1", "http://host:9091/path"}) {
    auto r = ParsePushgateway(bad);
    EXPECT_FALSE(r.has_value()) << bad;
    if (!r) {
      EXPECT_NE(r.error().message().find("--pushgateway"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace eodclear
