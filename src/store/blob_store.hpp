// Content-addressed storage for large blobs (PDFs, videos, traces): DESIGN.md "Storage".
// Blobs are named by the SHA-256 of their bytes, so a put is idempotent and deduplicating.
// The interface leaves room for an object-store implementation later.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace cs::store {

struct BlobRef {
  std::string sha256;  // 64 lowercase hex characters
  std::uint64_t size = 0;
  bool operator==(const BlobRef&) const = default;
};

class BlobStore {
 public:
  virtual ~BlobStore() = default;
  virtual Result<BlobRef> put(std::span<const std::uint8_t> data) = 0;
  // Errc::not_found for an unknown blob or a string that is not a SHA-256 hex digest.
  virtual Result<std::vector<std::uint8_t>> get(std::string_view sha256_hex) = 0;
  virtual Result<bool> exists(std::string_view sha256_hex) = 0;
  // Removing a blob that is not there succeeds (idempotent).
  virtual Status remove(std::string_view sha256_hex) = 0;
};

// True for exactly 64 lowercase hex characters: the only names ever turned into paths.
bool is_sha256_hex(std::string_view s);
std::string sha256_hex(std::span<const std::uint8_t> data);

// Files under <root>/ab/cd/<sha256>, written atomically (temp file in the same directory,
// fsync, rename, fsync of the directory), so a crash never leaves a partial blob in place.
class FileBlobStore final : public BlobStore {
 public:
  FileBlobStore(std::filesystem::path root, std::uint64_t max_size);

  Result<BlobRef> put(std::span<const std::uint8_t> data) override;
  Result<std::vector<std::uint8_t>> get(std::string_view sha256_hex) override;
  Result<bool> exists(std::string_view sha256_hex) override;
  Status remove(std::string_view sha256_hex) override;

  // Where a (valid) hash lives; exposed for tests.
  std::filesystem::path path_for(std::string_view sha256_hex) const;

 private:
  std::filesystem::path root_;
  std::uint64_t max_size_;
};

}  // namespace cs::store
