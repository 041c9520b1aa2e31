// Drawn signatures (issue 7): the PNG a signer drew, decoded with libpng into what a PDF image
// XObject needs. Untrusted input: size and dimensions are bounded before any pixel is decoded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace cs::seal {

inline constexpr std::size_t kMaxPngBytes = 2 * 1024 * 1024;
inline constexpr std::uint32_t kMaxPngDimension = 4096;

struct DecodedImage {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  std::string rgb;    // width * height * 3 bytes, row-major from the top row
  std::string alpha;  // width * height bytes; empty when every pixel is opaque
};

// artifact_invalid with a message a sender can act on: not a PNG, damaged or truncated, more
// than kMaxPngBytes bytes, or wider or taller than kMaxPngDimension pixels.
Result<DecodedImage> decode_png(std::string_view bytes);

}  // namespace cs::seal
