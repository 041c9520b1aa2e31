#include "notify/outbox.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

#include <fmt/format.h>

#include "crypto/primitives.hpp"

namespace cs::notify {
namespace {

tl::unexpected<Error> io_error(std::string what, const std::filesystem::path& path, int err) {
  return fail(Errc::internal, "The email could not be written to the outbox",
              fmt::format("{} {}: {}", what, path.string(), std::strerror(err)));
}

std::string file_time(Micros t) {
  std::time_t secs = static_cast<std::time_t>(t / kMicrosPerSecond);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04d}{:02d}{:02d}T{:02d}{:02d}{:02d}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

bool safe_name_part(std::string_view s) {
  return !s.empty() && s.size() <= 100 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

}  // namespace

Result<std::filesystem::path> write_to_outbox(const std::filesystem::path& dir,
                                              std::string_view job_id, Micros time,
                                              std::string_view message) {
  // The id becomes part of a path: only id characters, so it can never climb out of `dir`.
  if (!safe_name_part(job_id)) {
    return fail(Errc::internal, "The email could not be written to the outbox",
                "outbox: refusing job id unfit for a file name");
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return io_error("cannot create the outbox directory", dir, ec.value());
  if (::chmod(dir.c_str(), 0700) != 0)
    return io_error("cannot chmod the outbox directory", dir, errno);

  const auto target = dir / (file_time(time) + "-" + std::string(job_id) + ".eml");
  const auto temp =
      dir / ("." + std::string(job_id) + ".tmp-" + crypto::hex_encode(crypto::random_bytes(6)));
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return io_error("cannot create", temp, errno);
  std::size_t written = 0;
  while (written < message.size()) {
    ssize_t n = ::write(fd, message.data() + written, message.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      return io_error("cannot write", temp, err);
    }
    written += static_cast<std::size_t>(n);
  }
  int synced = ::fsync(fd);
  int err = errno;
  if (::close(fd) != 0 && synced == 0) {
    synced = -1;
    err = errno;
  }
  if (synced != 0) {
    ::unlink(temp.c_str());
    return io_error("cannot flush", temp, err);
  }
  if (::rename(temp.c_str(), target.c_str()) != 0) {
    err = errno;
    ::unlink(temp.c_str());
    return io_error("cannot rename into", target, err);
  }
  return target;
}

}  // namespace cs::notify
