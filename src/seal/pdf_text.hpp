// Text and images as real PDF content (issue 7): an embedded TrueType font (DejaVu Sans from
// fonts-dejavu-core) as a Type0/CIDFontType2 font with Identity-H and a ToUnicode CMap, so any
// name renders and copies correctly, and a small canvas that collects drawing operators with
// the resources they name. Every string a user typed is shown as a hex string of glyph ids,
// so no user text ever reaches the content stream as PDF syntax.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#define POINTERHOLDER_TRANSITION 4
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFObjectHandle.hh>

#include "core/error.hpp"
#include "seal/png_image.hpp"

namespace cs::seal {

inline constexpr std::string_view kDefaultFontPath = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

// The parts of a TrueType file a PDF needs: character to glyph (cmap formats 4 and 12),
// advance widths (hmtx) and the metrics of the font descriptor.
class TrueTypeFont {
 public:
  // DejaVu Sans, read and parsed once per process.
  static Result<std::shared_ptr<const TrueTypeFont>> default_font();
  static Result<std::shared_ptr<const TrueTypeFont>> parse(std::string bytes);

  std::uint16_t glyph(char32_t code_point) const;  // 0 (.notdef) when the font lacks it
  double advance(std::uint16_t glyph) const;       // in 1/1000 em
  const std::string& bytes() const { return bytes_; }
  double ascent() const { return ascent_; }  // 1/1000 em, positive
  double descent() const { return descent_; }  // 1/1000 em, negative
  const double* bbox() const { return bbox_; }

 private:
  std::string bytes_;
  std::unordered_map<char32_t, std::uint16_t> cmap_;
  std::vector<std::uint16_t> advances_;  // font units
  double units_per_em_ = 1000;
  double ascent_ = 0, descent_ = 0;
  double bbox_[4] = {0, 0, 0, 0};
};

// Code points of valid UTF-8; each invalid byte and every control character becomes U+FFFD or
// a space, so text from users can never break the layout.
std::u32string decode_text(std::string_view utf8);

// The font as embedded in one PDF. Create it, use show() while drawing, then finish() once
// before writing the file.
class PdfFont {
 public:
  // `subset`: embed only the glyphs shown (the default); false embeds the whole font file.
  PdfFont(QPDF& pdf, std::shared_ptr<const TrueTypeFont> font, bool subset = true);
  QPDFObjectHandle handle() const { return type0_; }
  const TrueTypeFont& metrics() const { return *font_; }
  // A hex string of glyph ids for a Tj operator; records the glyphs for /W and ToUnicode.
  std::string show(std::u32string_view text);
  double width(std::u32string_view text, double size) const;
  void finish();

 private:
  QPDF& pdf_;
  std::shared_ptr<const TrueTypeFont> font_;
  bool subset_;
  QPDFObjectHandle type0_;
  std::map<std::uint16_t, char32_t> used_;  // glyph -> the code point it shows
};

// Drawing operators in a coordinate space with y up, plus the resources they use.
class Canvas {
 public:
  explicit Canvas(PdfFont& font) : font_(font) {}
  PdfFont& font() { return font_; }
  // Left end of the baseline at (x, y).
  void text(double x, double y, double size, std::u32string_view text, std::string_view rgb = "0 0 0");
  void image(double x, double y, double width, double height, QPDFObjectHandle xobject);
  // A check mark drawn as strokes inside the box.
  void check_mark(double x, double y, double width, double height);
  void line(double x1, double y1, double x2, double y2, double width, std::string_view gray = "0.6");
  void raw(std::string_view ops) { ops_ += ops; }
  const std::string& content() const { return ops_; }
  QPDFObjectHandle resources(QPDF& pdf) const;

 private:
  PdfFont& font_;
  std::string ops_;
  std::vector<QPDFObjectHandle> images_;  // named /Im1, /Im2, ...
};

// An image XObject (DeviceRGB, with an SMask when the image has transparency).
QPDFObjectHandle make_image_xobject(QPDF& pdf, const DecodedImage& image);

// Breaks text into lines no wider than max_width at spaces, and inside words that are wider
// than a line by themselves (hashes, user agents).
std::vector<std::u32string> wrap_text(const PdfFont& font, std::u32string_view text, double size, double max_width);

std::string pdf_number(double v);

}  // namespace cs::seal
