#include "core/offset_file_clock.hpp"

#include <sys/stat.h>

#include <cctype>
#include <charconv>
#include <fstream>
#include <sstream>
#include <string>

namespace cs {

namespace {

// Far more than any test needs (about 300 years), small enough that seconds -> micros never overflows.
constexpr std::int64_t kMaxOffsetSeconds = 10'000'000'000LL;

}  // namespace

std::optional<std::int64_t> parse_clock_offset(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  if (value > kMaxOffsetSeconds || value < -kMaxOffsetSeconds) return std::nullopt;
  return value;
}

OffsetFileClock::OffsetFileClock(std::filesystem::path file, std::chrono::microseconds recheck)
    : file_(std::move(file)), recheck_us_(recheck.count()) {
  refresh(system_.now());
}

void OffsetFileClock::refresh(Micros system_now) const {
  std::lock_guard lock(mu_);
  if (checked_once_ && system_now < next_check_.load(std::memory_order_relaxed)) return;  // another thread did it
  struct stat st {};
  FileIdentity id;
  if (::stat(file_.c_str(), &st) == 0) {
    id.exists = true;
    id.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000LL + st.st_mtim.tv_nsec;
    id.size = static_cast<std::int64_t>(st.st_size);
    id.inode = static_cast<std::uint64_t>(st.st_ino);
  }
  if (!checked_once_ || !(id == seen_)) {
    seen_ = id;
    checked_once_ = true;
    if (!id.exists) {
      offset_s_.store(0, std::memory_order_relaxed);
    } else {
      std::ifstream in(file_, std::ios::binary);
      std::ostringstream text;
      text << in.rdbuf();
      if (auto parsed = parse_clock_offset(text.str())) offset_s_.store(*parsed, std::memory_order_relaxed);
    }
  }
  next_check_.store(system_now + recheck_us_, std::memory_order_relaxed);
}

Micros OffsetFileClock::now() const {
  const Micros system_now = system_.now();
  if (system_now >= next_check_.load(std::memory_order_relaxed)) refresh(system_now);
  return system_now + offset_s_.load(std::memory_order_relaxed) * kMicrosPerSecond;
}

std::int64_t OffsetFileClock::offset_seconds() const {
  const Micros system_now = system_.now();
  if (system_now >= next_check_.load(std::memory_order_relaxed)) refresh(system_now);
  return offset_s_.load(std::memory_order_relaxed);
}

}  // namespace cs
