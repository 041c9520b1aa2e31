#include "core/utf8.hpp"

#include <algorithm>
#include <cstdint>

namespace cs {
namespace {

// Length of the well-formed sequence starting at p, or 0 when it is not one.
std::size_t sequence_length(const std::uint8_t* p, const std::uint8_t* end) {
  std::uint8_t c = *p;
  if (c < 0x80) return 1;
  std::size_t len;
  std::uint32_t cp;
  if ((c & 0xE0) == 0xC0) {
    len = 2;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (static_cast<std::size_t>(end - p) < len) return 0;
  for (std::size_t i = 1; i < len; ++i) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (p[i] & 0x3F);
  }
  static constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

}  // namespace

bool is_valid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    std::size_t len = sequence_length(p, end);
    if (len == 0) return false;
    p += len;
  }
  return true;
}

std::string to_storable_utf8(std::string_view s, std::size_t max_bytes) {
  std::string out;
  out.reserve(std::min(s.size(), max_bytes));
  const auto* p = reinterpret_cast<const std::uint8_t*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    std::size_t len = sequence_length(p, end);
    std::string_view piece = (len == 0 || *p == 0) ? kReplacement
                                                   : std::string_view(reinterpret_cast<const char*>(p), len);
    if (out.size() + piece.size() > max_bytes) break;
    out += piece;
    p += len == 0 ? 1 : len;
  }
  return out;
}

}  // namespace cs
