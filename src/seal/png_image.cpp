#include "seal/png_image.hpp"

#include <png.h>

#include <string>
#include <vector>

namespace cs::seal {

namespace {

constexpr unsigned char kPngSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

auto invalid(std::string message, std::string detail = {}) {
  return fail(Errc::artifact_invalid, std::move(message), std::move(detail));
}

// Frees libpng's state on every path out.
struct PngImageGuard {
  png_image* image;
  ~PngImageGuard() { png_image_free(image); }
};

}  // namespace

Result<DecodedImage> decode_png(std::string_view bytes) {
  if (bytes.size() > kMaxPngBytes) {
    return invalid("The signature image is larger than " + std::to_string(kMaxPngBytes / (1024 * 1024)) + " MiB");
  }
  if (bytes.size() < sizeof kPngSignature || bytes.compare(0, sizeof kPngSignature,
                                                            std::string_view(reinterpret_cast<const char*>(kPngSignature),
                                                                             sizeof kPngSignature)) != 0) {
    return invalid("The signature image is not a PNG");
  }
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  PngImageGuard guard{&image};
  if (!png_image_begin_read_from_memory(&image, bytes.data(), bytes.size())) {
    return invalid("The signature image is a damaged PNG", image.message);
  }
  if (image.width == 0 || image.height == 0 || image.width > kMaxPngDimension || image.height > kMaxPngDimension) {
    return invalid("The signature image must be at most " + std::to_string(kMaxPngDimension) + " x " +
                       std::to_string(kMaxPngDimension) + " pixels",
                   std::to_string(image.width) + "x" + std::to_string(image.height));
  }
  image.format = PNG_FORMAT_RGBA;
  std::vector<png_byte> pixels(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, pixels.data(), 0, nullptr)) {
    return invalid("The signature image is a damaged PNG", image.message);
  }
  DecodedImage out;
  out.width = image.width;
  out.height = image.height;
  const std::size_t n = static_cast<std::size_t>(image.width) * image.height;
  out.rgb.resize(n * 3);
  out.alpha.resize(n);
  bool opaque = true;
  for (std::size_t i = 0; i < n; ++i) {
    out.rgb[i * 3] = static_cast<char>(pixels[i * 4]);
    out.rgb[i * 3 + 1] = static_cast<char>(pixels[i * 4 + 1]);
    out.rgb[i * 3 + 2] = static_cast<char>(pixels[i * 4 + 2]);
    out.alpha[i] = static_cast<char>(pixels[i * 4 + 3]);
    opaque = opaque && pixels[i * 4 + 3] == 0xff;
  }
  if (opaque) out.alpha.clear();
  return out;
}

}  // namespace cs::seal
