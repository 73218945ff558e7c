#include "pipeline/cli/temp_folder.h"

#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace eodclear {

Result<TempFolder> TempFolder::Make(std::string_view prefix) {
  std::string path =
      (std::filesystem::temp_directory_path() / (std::string(prefix) + "-XXXXXX")).string();
  if (mkdtemp(path.data()) == nullptr) {
    return Err(Status::Unavailable("cannot create a temporary folder " + path + ": " +
                                   std::strerror(errno)));
  }
  return TempFolder(std::move(path));
}

TempFolder::TempFolder(TempFolder&& other) noexcept : path_(std::move(other.path_)) {
  other.path_.clear();
}

TempFolder::~TempFolder() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

}  // namespace eodclear
