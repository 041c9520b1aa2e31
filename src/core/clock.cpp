#include "core/clock.hpp"

#include <ctime>
#include <cstdio>

namespace cs {

std::string format_rfc3339(Micros t) {
  std::int64_t secs = t / kMicrosPerSecond;
  std::int64_t frac = t % kMicrosPerSecond;
  if (frac < 0) {
    frac += kMicrosPerSecond;
    secs -= 1;
  }
  std::time_t tt = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[40];
  std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out(buf, n);
  if (frac != 0) {
    char fb[16];
    std::snprintf(fb, sizeof fb, ".%06lld", static_cast<long long>(frac));
    out += fb;
  }
  out += 'Z';
  return out;
}

}  // namespace cs
