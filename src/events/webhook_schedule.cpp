// The retry schedule of webhook deliveries (declared in webhook_types.hpp).
#include <sodium.h>

#include <charconv>

#include "events/webhook_types.hpp"

namespace cs::events {

namespace {
constexpr Micros kSecond = kMicrosPerSecond;
constexpr Micros kMinute = 60 * kSecond;
constexpr Micros kHour = 60 * kMinute;
}  // namespace

std::vector<Micros> default_retry_schedule() {
  return {5 * kSecond, 5 * kMinute, 30 * kMinute, 2 * kHour, 5 * kHour, 10 * kHour, 14 * kHour, 20 * kHour, 20 * kHour};
}

Result<std::vector<Micros>> parse_retry_schedule(std::string_view text) {
  auto bad = [] {
    return fail(Error(Errc::validation_failed,
                      "webhooks.retry_schedule must be a comma-separated list like \"5s,5m,2h\" (1 s to 7 days each)")
                    .with_field("webhooks.retry_schedule"));
  };
  std::vector<Micros> out;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    auto comma = text.find(',', pos);
    std::string_view item = text.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.size() < 2) return bad();
    Micros unit = item.back() == 's' ? kSecond : item.back() == 'm' ? kMinute : item.back() == 'h' ? kHour : 0;
    std::int64_t n = 0;
    auto digits = item.substr(0, item.size() - 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (unit == 0 || ec != std::errc() || end != digits.data() + digits.size() || n < 1 || n > 7 * 24 * 3600) {
      return bad();
    }
    Micros delay = n * unit;
    if (delay > 7 * 24 * kHour) return bad();
    out.push_back(delay);
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  if (out.empty() || out.size() > 50) return bad();
  return out;
}

Micros with_jitter(Micros delay) {
  Micros span = delay / 5;  // the jitter covers [-10 %, +10 %]
  if (span <= 0) return delay;
  std::uint64_t r = 0;
  randombytes_buf(&r, sizeof r);  // modulo bias is negligible for spans far below 2^64
  return delay - span / 2 + static_cast<Micros>(r % static_cast<std::uint64_t>(span + 1));
}

}  // namespace cs::events
