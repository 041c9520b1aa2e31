#include "store/blob_store.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <system_error>

namespace cs::store {
namespace {

constexpr const char* kPublicStorageError = "storage error";

Error io_error(std::string_view what, const std::filesystem::path& p, int err) {
  return Error(Errc::internal, kPublicStorageError,
               std::string(what) + " " + p.string() + ": " + std::strerror(err));
}

Error not_found() { return Error(Errc::not_found, "blob not found"); }

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

Status fsync_dir(const std::filesystem::path& dir) {
  Fd d{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (d.fd < 0) return cs::fail(io_error("open dir", dir, errno));
  if (::fsync(d.fd) != 0) return cs::fail(io_error("fsync dir", dir, errno));
  return {};
}

}  // namespace

bool is_sha256_hex(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string sha256_hex(std::span<const std::uint8_t> data) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, data.data(), data.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

FileBlobStore::FileBlobStore(std::filesystem::path root, std::uint64_t max_size)
    : root_(std::move(root)), max_size_(max_size) {
  // Idempotent and thread-safe; makes randombytes_buf safe to use for temp names.
  if (sodium_init() < 0) std::abort();
}

std::filesystem::path FileBlobStore::path_for(std::string_view h) const {
  return root_ / h.substr(0, 2) / h.substr(2, 2) / h;
}

Result<BlobRef> FileBlobStore::put(std::span<const std::uint8_t> data) {
  if (data.size() > max_size_) {
    return cs::fail(Errc::payload_too_large, "the file is too large",
                    "blob of " + std::to_string(data.size()) + " bytes over limit " +
                        std::to_string(max_size_));
  }
  BlobRef ref{sha256_hex(data), data.size()};
  auto final_path = path_for(ref.sha256);
  auto dir = final_path.parent_path();
  std::error_code ec;
  if (std::filesystem::exists(final_path, ec)) return ref;  // content-addressed: already stored

  std::filesystem::create_directories(dir, ec);
  if (ec)
    return cs::fail(Errc::internal, kPublicStorageError,
                    "create " + dir.string() + ": " + ec.message());

  // Unique temp name in the same directory, so rename() is atomic on the same filesystem.
  unsigned char rnd[8];
  randombytes_buf(rnd, sizeof rnd);
  char rnd_hex[sizeof rnd * 2 + 1];
  sodium_bin2hex(rnd_hex, sizeof rnd_hex, rnd, sizeof rnd);
  auto tmp = dir / (".tmp-" + std::string(rnd_hex));

  Fd f{::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640)};
  if (f.fd < 0) return cs::fail(io_error("create", tmp, errno));
  auto cleanup_fail = [&](Error e) {
    ::unlink(tmp.c_str());
    return cs::fail(std::move(e));
  };
  std::size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(f.fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return cleanup_fail(io_error("write", tmp, errno));
    }
    off += static_cast<std::size_t>(n);
  }
  if (::fsync(f.fd) != 0) return cleanup_fail(io_error("fsync", tmp, errno));
  ::close(f.fd);
  f.fd = -1;
  if (::rename(tmp.c_str(), final_path.c_str()) != 0)
    return cleanup_fail(io_error("rename", tmp, errno));
  CS_CHECK(fsync_dir(dir));
  return ref;
}

Result<std::vector<std::uint8_t>> FileBlobStore::get(std::string_view h) {
  if (!is_sha256_hex(h)) return cs::fail(not_found());
  auto p = path_for(h);
  Fd f{::open(p.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) {
    if (errno == ENOENT) return cs::fail(not_found());
    return cs::fail(io_error("open", p, errno));
  }
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) return cs::fail(io_error("stat", p, errno));
  std::vector<std::uint8_t> out(static_cast<std::size_t>(st.st_size));
  std::size_t off = 0;
  while (off < out.size()) {
    ssize_t n = ::read(f.fd, out.data() + off, out.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return cs::fail(io_error("read", p, errno));
    }
    if (n == 0) break;
    off += static_cast<std::size_t>(n);
  }
  out.resize(off);
  // Bit rot or tampering on disk must not be served as the named content.
  if (sha256_hex(out) != h) {
    return cs::fail(Errc::internal, kPublicStorageError,
                    "blob " + p.string() + " does not match its hash");
  }
  return out;
}

Result<bool> FileBlobStore::exists(std::string_view h) {
  if (!is_sha256_hex(h)) return false;
  std::error_code ec;
  bool found = std::filesystem::is_regular_file(path_for(h), ec);
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return cs::fail(Errc::internal, kPublicStorageError,
                    "stat " + path_for(h).string() + ": " + ec.message());
  }
  return found;
}

Status FileBlobStore::remove(std::string_view h) {
  if (!is_sha256_hex(h)) return cs::fail(not_found());
  auto p = path_for(h);
  if (::unlink(p.c_str()) != 0 && errno != ENOENT) return cs::fail(io_error("unlink", p, errno));
  return {};
}

}  // namespace cs::store
