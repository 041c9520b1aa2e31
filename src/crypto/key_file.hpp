// File handling for the key ring: permission checks and atomic, private writes.
// Internal to src/crypto.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace cs::crypto::detail {

// The file's contents, or nullopt when it does not exist. Refuses (Errc::internal, with a clear
// message for the operator) a file that is not a regular file or that group or others can read
// or write: master keys must be private to the server's user.
Result<std::optional<std::string>> read_private_file(const std::filesystem::path& file);

enum class WriteMode {
  create_new,  // fail with Errc::conflict if the file already exists (first-run race)
  replace,     // atomically replace an existing file
};

// Writes `contents` to a temp file next to `file` (O_CREAT|O_EXCL, mode 0600), fsyncs it, then
// links (create_new) or renames (replace) it into place and fsyncs the directory, so readers
// see either the old or the new file, never a partial one.
Status write_private_file(const std::filesystem::path& file, std::string_view contents,
                          WriteMode mode);

}  // namespace cs::crypto::detail
