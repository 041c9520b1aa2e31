// The embedded font: a subset draws exactly what the whole font draws (pixel for pixel), is
// small, and is marked as a subset; text decoding never lets bad bytes through; wrapping keeps
// every line inside its width.
#include <regex>

#include "render_support.hpp"
#include "seal/font_subset.hpp"
#include "seal/pdf_text.hpp"

namespace cs::seal::render_testing {
namespace {

std::shared_ptr<const TrueTypeFont> font() { return TrueTypeFont::default_font().value(); }

// One page of text in the embedded font: composite glyphs (é, Å, Ž via their components) too.
std::string text_page(bool subset) {
  QPDF pdf;
  pdf.emptyPDF();
  PdfFont pdf_font(pdf, font(), subset);
  Canvas canvas(pdf_font);
  canvas.text(20, 150, 24, decode_text("Zoë Ångström Željko"));
  canvas.text(20, 100, 18, decode_text("Résumé ½ € → ΩΣ Привет"));
  canvas.text(20, 50, 12, decode_text("The quick brown fox (jumps) \\ over"));
  pdf_font.finish();
  auto page = pdf.makeIndirectObject(QPDFObjectHandle::parse("<< /Type /Page /MediaBox [0 0 400 200] >>"));
  page.replaceKey("/Resources", canvas.resources(pdf));
  page.replaceKey("/Contents", QPDFObjectHandle::newStream(&pdf, canvas.content()));
  QPDFPageDocumentHelper(pdf).addPage(QPDFPageObjectHelper(page), false);
  return write_qpdf(pdf);
}

TEST(PdfTextTest, TheSubsetDrawsExactlyWhatTheWholeFontDraws) {
  testing::TempDir dir;
  auto full = text_page(false);
  auto subset = text_page(true);
  EXPECT_EQ(qpdf_check(subset, dir).exit_code, 0);
  EXPECT_LT(subset.size(), 60u * 1024);
  EXPECT_GT(full.size(), 300u * 1024);
  auto a = rasterize(full, 1, dir);
  auto b = rasterize(subset, 1, dir);
  ASSERT_EQ(a.pixels.size(), b.pixels.size());
  int dark = 0;
  for (auto p : b.pixels) dark += p < 100;
  EXPECT_GT(dark, 500);
  EXPECT_TRUE(a.pixels == b.pixels);
  write_file(dir / "subset.pdf", subset);
  auto fonts = run("pdffonts " + (dir / "subset.pdf").string());
  EXPECT_TRUE(std::regex_search(fonts.output, std::regex("[A-Z]{6}\\+DejaVuSans\\s+CID TrueType\\s+Identity-H\\s+yes\\s+yes\\s+yes")))
      << fonts.output;
  auto text = pdf_text(subset, dir);
  EXPECT_NE(text.find("Résumé ½ € → ΩΣ Привет"), std::string::npos) << text;
}

TEST(PdfTextTest, SubsettingRefusesWhatIsNotAFont) {
  auto r = subset_truetype("not a font at all", {1, 2});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().errc(), Errc::internal);
}

TEST(PdfTextTest, DecodingReplacesInvalidBytesAndControls) {
  EXPECT_EQ(decode_text("a\xffz"), U"a\uFFFDz");
  EXPECT_EQ(decode_text("\xC0\xAF"), U"\uFFFD\uFFFD");         // overlong
  EXPECT_EQ(decode_text("\xED\xA0\x80"), U"\uFFFD\uFFFD\uFFFD");  // a surrogate
  EXPECT_EQ(decode_text("line\nbreak\ttab"), U"line break tab");
  EXPECT_EQ(decode_text("Zoë 😀"), U"Zoë 😀");
}

TEST(PdfTextTest, WrappingKeepsEveryLineInsideItsWidth) {
  QPDF pdf;
  pdf.emptyPDF();
  PdfFont f(pdf, font());
  auto text = decode_text("The certificate lists " + std::string(120, 'x') + " and then some more words to wrap");
  auto lines = wrap_text(f, text, 10, 150);
  ASSERT_GT(lines.size(), 3u);
  std::u32string joined;
  for (const auto& l : lines) {
    EXPECT_LE(f.width(l, 10), 150.0);
    EXPECT_FALSE(l.empty());
    joined += l;
  }
  std::u32string squeezed;
  for (char32_t c : text) {
    if (c != U' ') squeezed += c;
  }
  std::u32string joined_squeezed;
  for (char32_t c : joined) {
    if (c != U' ') joined_squeezed += c;
  }
  EXPECT_EQ(joined_squeezed, squeezed);
}

}  // namespace
}  // namespace cs::seal::render_testing
