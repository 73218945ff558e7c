#include "pipeline/cli/json_lines.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/reflection.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <vector>

namespace eodclear {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

void AppendString(std::string* out, std::string_view s) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        *out += "\\\"";
        break;
      case '\\':
        *out += "\\\\";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\r':
        *out += "\\r";
        break;
      case '\t':
        *out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          *out += buf;
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

void AppendBase64(std::string* out, const std::string& bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  out->push_back('"');
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t v = (static_cast<uint8_t>(bytes[i]) << 16) |
                 (static_cast<uint8_t>(bytes[i + 1]) << 8) | static_cast<uint8_t>(bytes[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out->push_back(kAlphabet[(v >> s) & 63]);
  }
  size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t v = static_cast<uint8_t>(bytes[i]) << 16;
    if (rest == 2) v |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    out->push_back(kAlphabet[(v >> 18) & 63]);
    out->push_back(kAlphabet[(v >> 12) & 63]);
    out->push_back(rest == 2 ? kAlphabet[(v >> 6) & 63] : '=');
    out->push_back('=');
  }
  out->push_back('"');
}

void AppendMessage(std::string* out, const Message& m);

void AppendDouble(std::string* out, double v) {
  if (!std::isfinite(v)) {
    AppendString(out, std::isnan(v) ? "NaN" : (v > 0 ? "Infinity" : "-Infinity"));
    return;
  }
  char buf[32];
  // Shortest text that reads back as the same double.
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, ec == std::errc() ? static_cast<size_t>(end - buf) : 0);
}

void AppendValue(std::string* out, const Message& m, const Reflection* r, const FieldDescriptor* f,
                 int index) {
  bool repeated = f->is_repeated();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      *out += std::to_string(repeated ? r->GetRepeatedInt32(m, f, index) : r->GetInt32(m, f));
      break;
    case FieldDescriptor::CPPTYPE_INT64:
      *out += std::to_string(repeated ? r->GetRepeatedInt64(m, f, index) : r->GetInt64(m, f));
      break;
    case FieldDescriptor::CPPTYPE_UINT32:
      *out += std::to_string(repeated ? r->GetRepeatedUInt32(m, f, index) : r->GetUInt32(m, f));
      break;
    case FieldDescriptor::CPPTYPE_UINT64:
      *out += std::to_string(repeated ? r->GetRepeatedUInt64(m, f, index) : r->GetUInt64(m, f));
      break;
    case FieldDescriptor::CPPTYPE_DOUBLE:
      AppendDouble(out, repeated ? r->GetRepeatedDouble(m, f, index) : r->GetDouble(m, f));
      break;
    case FieldDescriptor::CPPTYPE_FLOAT:
      AppendDouble(out, repeated ? r->GetRepeatedFloat(m, f, index) : r->GetFloat(m, f));
      break;
    case FieldDescriptor::CPPTYPE_BOOL:
      *out += (repeated ? r->GetRepeatedBool(m, f, index) : r->GetBool(m, f)) ? "true" : "false";
      break;
    case FieldDescriptor::CPPTYPE_ENUM: {
      const auto* e = repeated ? r->GetRepeatedEnum(m, f, index) : r->GetEnum(m, f);
      AppendString(out, e->name());
      break;
    }
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string s = repeated ? r->GetRepeatedString(m, f, index) : r->GetString(m, f);
      if (f->type() == FieldDescriptor::TYPE_BYTES) {
        AppendBase64(out, s);
      } else {
        AppendString(out, s);
      }
      break;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      AppendMessage(out, repeated ? r->GetRepeatedMessage(m, f, index) : r->GetMessage(m, f));
      break;
  }
}

void AppendMessage(std::string* out, const Message& m) {
  const auto* d = m.GetDescriptor();
  const auto* r = m.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  fields.reserve(static_cast<size_t>(d->field_count()));
  for (int i = 0; i < d->field_count(); ++i) fields.push_back(d->field(i));
  std::sort(fields.begin(), fields.end(), [](const FieldDescriptor* a, const FieldDescriptor* b) {
    return a->number() < b->number();
  });
  out->push_back('{');
  for (size_t i = 0; i < fields.size(); ++i) {
    const FieldDescriptor* f = fields[i];
    if (i > 0) out->push_back(',');
    AppendString(out, f->name());
    out->push_back(':');
    if (f->is_map()) {
      // Map entries as an object keyed by the entry's key printed as a string.
      out->push_back('{');
      int n = r->FieldSize(m, f);
      for (int k = 0; k < n; ++k) {
        const Message& entry = r->GetRepeatedMessage(m, f, k);
        const auto* er = entry.GetReflection();
        const auto* key_field = entry.GetDescriptor()->map_key();
        std::string key;
        if (key_field->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
          key = er->GetString(entry, key_field);
        } else {
          AppendValue(&key, entry, er, key_field, 0);
        }
        if (k > 0) out->push_back(',');
        AppendString(out, key);
        out->push_back(':');
        AppendValue(out, entry, er, entry.GetDescriptor()->map_value(), 0);
      }
      out->push_back('}');
    } else if (f->is_repeated()) {
      out->push_back('[');
      int n = r->FieldSize(m, f);
      for (int k = 0; k < n; ++k) {
        if (k > 0) out->push_back(',');
        AppendValue(out, m, r, f, k);
      }
      out->push_back(']');
    } else {
      AppendValue(out, m, r, f, 0);
    }
  }
  out->push_back('}');
}

}  // namespace

std::string JsonQuote(std::string_view text) {
  std::string out;
  AppendString(&out, text);
  return out;
}

std::string ToJsonLine(const Message& message) {
  std::string out;
  AppendMessage(&out, message);
  return out;
}

}  // namespace eodclear
