// A clock for end-to-end tests (config `testing.clock_offset_file`): the system clock plus a whole
// number of seconds read from a file the test writes. A missing file means no offset. The file is
// re-read when its modification time, size or inode changes; it is stat'ed at most once every
// `recheck` (2 ms by default), so a busy server pays one stat per few milliseconds, not per call.
// A file whose text is not a whole number (a test caught mid-write) keeps the previous offset
// until the file changes again.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string_view>

#include "core/clock.hpp"

namespace cs {

class OffsetFileClock final : public Clock {
 public:
  explicit OffsetFileClock(std::filesystem::path file,
                           std::chrono::microseconds recheck = std::chrono::milliseconds(2));

  Micros now() const override;
  // The offset in whole seconds now in effect (re-checks the file like now()).
  std::int64_t offset_seconds() const;
  const std::filesystem::path& file() const { return file_; }

 private:
  struct FileIdentity {
    bool exists = false;
    std::int64_t mtime_ns = 0;
    std::int64_t size = 0;
    std::uint64_t inode = 0;
    bool operator==(const FileIdentity&) const = default;
  };
  void refresh(Micros system_now) const;

  std::filesystem::path file_;
  Micros recheck_us_;
  mutable std::mutex mu_;
  mutable FileIdentity seen_;               // guarded by mu_
  mutable bool checked_once_ = false;       // guarded by mu_
  mutable std::atomic<Micros> next_check_{0};
  mutable std::atomic<std::int64_t> offset_s_{0};
  SystemClock system_;
};

// "  -86400\n" -> -86400. Whole seconds, optional sign, surrounding whitespace; nullopt otherwise
// (empty text included).
std::optional<std::int64_t> parse_clock_offset(std::string_view text);

}  // namespace cs
