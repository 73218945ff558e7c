#pragma once

#include <string>
#include <string_view>

#include "pipeline/core/status.h"

namespace eodclear {

// A new folder under the system temporary directory (an embedded run's state, a bench's
// database), removed with everything in it when the object goes, on every return path.
class TempFolder {
 public:
  // "<tmp>/<prefix>-XXXXXX"; kUnavailable naming the folder when it cannot be made.
  static Result<TempFolder> Make(std::string_view prefix);
  TempFolder(TempFolder&& other) noexcept;
  TempFolder& operator=(TempFolder&&) = delete;
  TempFolder(const TempFolder&) = delete;
  ~TempFolder();

  const std::string& path() const { return path_; }

 private:
  explicit TempFolder(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

}  // namespace eodclear
