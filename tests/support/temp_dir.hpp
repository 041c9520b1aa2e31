// A fresh private directory, removed (recursively) when the object dies.
#pragma once

#include <filesystem>
#include <string>

namespace cs::testing {

class TempDir {
 public:
  // Created under `base` (default: the system temp directory), mode 0700.
  explicit TempDir(const std::filesystem::path& base = {});
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace cs::testing
