// Drawn signatures from untrusted PNG bytes: a real PNG decodes (alpha kept only when used);
// not-a-PNG, truncated, too many bytes and too many pixels are refused with a clear error.
#include "render_support.hpp"
#include "seal/png_image.hpp"

namespace cs::seal::render_testing {
namespace {

TEST(PngImageTest, DecodesRgbAndAlpha) {
  auto image = decode_png(make_png(8, 4, 1, 0x20));
  ASSERT_TRUE(image) << image.error().detail();
  EXPECT_EQ(image->width, 8u);
  EXPECT_EQ(image->height, 4u);
  ASSERT_EQ(image->rgb.size(), 8u * 4 * 3);
  ASSERT_EQ(image->alpha.size(), 8u * 4);
  EXPECT_EQ(static_cast<unsigned char>(image->alpha[0]), 0);        // the border
  EXPECT_EQ(static_cast<unsigned char>(image->alpha[8 + 1]), 255);  // the ink
  EXPECT_EQ(static_cast<unsigned char>(image->rgb[(8 + 1) * 3]), 0x20);
}

TEST(PngImageTest, OpaqueImagesHaveNoMask) {
  auto image = decode_png(make_png(5, 5));
  ASSERT_TRUE(image);
  EXPECT_TRUE(image->alpha.empty());
}

TEST(PngImageTest, RefusesWhatIsNotAUsablePng) {
  auto good = make_png(64, 64, 4);
  struct Case {
    std::string name, bytes, message;
  };
  std::string huge_pixels = make_png(kMaxPngDimension + 1, 2);
  std::string too_many_bytes = good + std::string(kMaxPngBytes, '\0');
  std::vector<Case> cases = {
      {"not a png", "GIF89a......", "not a PNG"},
      {"empty", "", "not a PNG"},
      {"truncated", good.substr(0, good.size() / 2), "damaged"},
      {"signature only", good.substr(0, 8), "damaged"},
      {"too wide", huge_pixels, "pixels"},
      {"too many bytes", too_many_bytes, "larger than 2 MiB"},
  };
  for (const auto& c : cases) {
    auto r = decode_png(c.bytes);
    ASSERT_FALSE(r) << c.name;
    EXPECT_EQ(r.error().errc(), Errc::artifact_invalid) << c.name;
    EXPECT_NE(r.error().message().find(c.message), std::string::npos) << c.name << ": " << r.error().message();
  }
}

}  // namespace
}  // namespace cs::seal::render_testing
