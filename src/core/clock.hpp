// Time as the services see it: microseconds since the Unix epoch, UTC. Services take a Clock
// so tests can move time (lockout expiry, job backoff, leases) without sleeping.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace cs {

using Micros = std::int64_t;  // microseconds since 1970-01-01T00:00:00Z

constexpr Micros kMicrosPerSecond = 1'000'000;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Micros now() const = 0;
};

class SystemClock final : public Clock {
 public:
  Micros now() const override {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// A clock tests set and advance by hand.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(Micros start = 1'767'225'600'000'000) : now_(start) {}  // 2026-01-01
  Micros now() const override { return now_.load(); }
  void set(Micros t) { now_.store(t); }
  void advance(Micros d) { now_.fetch_add(d); }

 private:
  std::atomic<Micros> now_;
};

// RFC 3339 UTC with microsecond precision when non-zero: "2026-11-23T04:06:26.123456Z".
std::string format_rfc3339(Micros t);

}  // namespace cs
