#pragma once

#include <google/protobuf/message.h>

#include <string>
#include <string_view>

namespace eodclear {

// One protobuf message as a single-line JSON object: proto field names (snake_case) in field-number
// order; strings (so every decimal) as JSON strings; integers and booleans as JSON numbers and
// literals; enums by name; bytes as base64; nested messages as objects; repeated fields as arrays.
// Fields at their default value are printed too, so every record of a type has the same keys.
std::string ToJsonLine(const google::protobuf::Message& message);

// `text` as a JSON string literal, quotes included, with quotes, backslashes and control
// characters escaped.
std::string JsonQuote(std::string_view text);

}  // namespace eodclear
