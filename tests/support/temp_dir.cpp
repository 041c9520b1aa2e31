#include "support/temp_dir.hpp"

#include <stdlib.h>

#include <stdexcept>
#include <system_error>

namespace cs::testing {

TempDir::TempDir(const std::filesystem::path& base) {
  std::filesystem::path root = base.empty() ? std::filesystem::temp_directory_path() : base;
  std::string tmpl = (root / "cs-test-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr)
    throw std::runtime_error("mkdtemp failed under " + root.string());
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace cs::testing
