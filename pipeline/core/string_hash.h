#pragma once

#include <cstddef>
#include <functional>
#include <string_view>

namespace eodclear {

// Transparent hash for unordered containers keyed by std::string, so lookups by std::string_view
// do not build a std::string: std::unordered_map<std::string, V, StringHash, std::equal_to<>>.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

}  // namespace eodclear
