#include "crypto/key_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "crypto/primitives.hpp"

namespace cs::crypto::detail {
namespace {

std::string errno_text(int err) { return std::strerror(err); }

tl::unexpected<Error> file_error(std::string message, const std::filesystem::path& file, int err) {
  return fail(Errc::internal, std::move(message),
              fmt::format("{}: {}", file.string(), errno_text(err)));
}

// Closes the descriptor on every path out of a function.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

Status fsync_directory(const std::filesystem::path& dir) {
  FileDescriptor fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return file_error("cannot open the key file's directory", dir, errno);
  if (::fsync(fd.get()) != 0)
    return file_error("cannot fsync the key file's directory", dir, errno);
  return {};
}

}  // namespace

Result<std::optional<std::string>> read_private_file(const std::filesystem::path& file) {
  FileDescriptor fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return std::optional<std::string>{};
    return file_error("cannot open the master key file", file, errno);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0)
    return file_error("cannot stat the master key file", file, errno);
  if (!S_ISREG(st.st_mode)) {
    return fail(Errc::internal, "the master key file is not a regular file", file.string());
  }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return fail(
        Errc::internal,
        fmt::format("refusing to use master key file {}: it is accessible by group or others "
                    "(mode {:04o}); run chmod 600 on it",
                    file.string(), st.st_mode & 07777),
        fmt::format("{} mode {:04o}", file.string(), st.st_mode & 07777));
  }
  std::string contents;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return file_error("cannot read the master key file", file, errno);
    }
    if (n == 0) break;
    contents.append(buf, static_cast<std::size_t>(n));
  }
  return std::optional<std::string>(std::move(contents));
}

Status write_private_file(const std::filesystem::path& file, std::string_view contents,
                          WriteMode mode) {
  const auto dir = file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return fail(Errc::internal, "cannot create the key file's directory",
                dir.string() + ": " + ec.message());

  const auto temp = std::filesystem::path(file.string() + ".tmp-" + hex_encode(random_bytes(8)));
  FileDescriptor fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (fd.get() < 0) return file_error("cannot create a temporary key file", temp, errno);
  // Whatever happens below, no temp file with key material is left behind.
  struct TempGuard {
    const std::filesystem::path& path;
    bool armed = true;
    ~TempGuard() {
      if (armed) ::unlink(path.c_str());
    }
  } guard{temp};

  // The umask can only remove bits from 0600; fchmod makes the intent explicit regardless.
  if (::fchmod(fd.get(), 0600) != 0)
    return file_error("cannot chmod the temporary key file", temp, errno);
  std::size_t written = 0;
  while (written < contents.size()) {
    ssize_t n = ::write(fd.get(), contents.data() + written, contents.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return file_error("cannot write the temporary key file", temp, errno);
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0) return file_error("cannot fsync the temporary key file", temp, errno);
  if (::close(fd.release()) != 0)
    return file_error("cannot close the temporary key file", temp, errno);

  if (mode == WriteMode::create_new) {
    // link() never replaces an existing file, unlike rename(): two processes starting at once
    // must end up sharing one key file, not each keeping their own keys.
    if (::link(temp.c_str(), file.c_str()) != 0) {
      if (errno == EEXIST)
        return fail(Errc::conflict, "the master key file already exists", file.string());
      return file_error("cannot create the master key file", file, errno);
    }
  } else {
    if (::rename(temp.c_str(), file.c_str()) != 0) {
      return file_error("cannot replace the master key file", file, errno);
    }
    guard.armed = false;
  }
  return fsync_directory(dir);
}

}  // namespace cs::crypto::detail
