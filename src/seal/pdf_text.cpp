#include "seal/pdf_text.hpp"

#include "seal/font_subset.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <stdexcept>
#include <utility>

namespace cs::seal {

namespace {

// Bounds-checked big-endian reads; a short or lying table throws and parse() reports it.
struct Reader {
  std::string_view data;
  std::uint32_t u8(std::size_t off) const {
    if (off >= data.size()) throw std::out_of_range("font table out of range");
    return static_cast<unsigned char>(data[off]);
  }
  std::uint32_t u16(std::size_t off) const { return (u8(off) << 8) | u8(off + 1); }
  std::int32_t s16(std::size_t off) const { return static_cast<std::int16_t>(u16(off)); }
  std::uint32_t u32(std::size_t off) const { return (u16(off) << 16) | u16(off + 2); }
};

struct Table {
  std::size_t offset = 0, length = 0;
};

Table find_table(const Reader& r, std::string_view tag) {
  std::uint32_t count = r.u16(4);
  for (std::uint32_t i = 0; i < count; ++i) {
    std::size_t rec = 12 + 16 * static_cast<std::size_t>(i);
    if (r.data.substr(rec, 4) == tag) {
      Table t{r.u32(rec + 8), r.u32(rec + 12)};
      if (t.offset + t.length > r.data.size()) throw std::out_of_range("font table past the end");
      return t;
    }
  }
  throw std::runtime_error("font has no " + std::string(tag) + " table");
}

void read_cmap_format4(const Reader& r, std::size_t at, std::unordered_map<char32_t, std::uint16_t>& out) {
  std::uint32_t seg_count = r.u16(at + 6) / 2;
  std::size_t ends = at + 14, starts = ends + 2 * seg_count + 2, deltas = starts + 2 * seg_count,
              range_offsets = deltas + 2 * seg_count;
  for (std::uint32_t i = 0; i < seg_count; ++i) {
    std::uint32_t end = r.u16(ends + 2 * i), start = r.u16(starts + 2 * i);
    std::uint32_t delta = r.u16(deltas + 2 * i), range = r.u16(range_offsets + 2 * i);
    for (std::uint32_t c = start; c <= end && c != 0xffff; ++c) {
      std::uint32_t g = 0;
      if (range == 0) {
        g = (c + delta) & 0xffff;
      } else {
        g = r.u16(range_offsets + 2 * i + range + 2 * (c - start));
        if (g != 0) g = (g + delta) & 0xffff;
      }
      if (g != 0) out.emplace(static_cast<char32_t>(c), static_cast<std::uint16_t>(g));
    }
  }
}

void read_cmap_format12(const Reader& r, std::size_t at, std::unordered_map<char32_t, std::uint16_t>& out) {
  std::uint32_t groups = r.u32(at + 12);
  for (std::uint32_t i = 0; i < groups; ++i) {
    std::size_t g = at + 16 + 12 * static_cast<std::size_t>(i);
    std::uint32_t start = r.u32(g), end = r.u32(g + 4), glyph = r.u32(g + 8);
    if (end < start || end > 0x10ffff || end - start > 0x10000) throw std::runtime_error("bad cmap group");
    for (std::uint32_t c = start; c <= end; ++c) {
      std::uint32_t gid = glyph + (c - start);
      if (gid != 0 && gid <= 0xffff) out.emplace(static_cast<char32_t>(c), static_cast<std::uint16_t>(gid));
    }
  }
}

std::string hex4(std::uint32_t v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04X", v & 0xffff);
  return buf;
}

std::string utf16_hex(char32_t c) {
  if (c < 0x10000) return hex4(c);
  c -= 0x10000;
  return hex4(0xd800 + (c >> 10)) + hex4(0xdc00 + (c & 0x3ff));
}

std::string to_unicode_cmap(const std::map<std::uint16_t, char32_t>& used) {
  std::string s =
      "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
      "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
      "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
      "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n";
  std::vector<std::pair<std::uint16_t, char32_t>> entries(used.begin(), used.end());
  for (std::size_t i = 0; i < entries.size(); i += 100) {
    std::size_t n = std::min<std::size_t>(100, entries.size() - i);
    s += std::to_string(n) + " beginbfchar\n";
    for (std::size_t j = i; j < i + n; ++j) s += "<" + hex4(entries[j].first) + "> <" + utf16_hex(entries[j].second) + ">\n";
    s += "endbfchar\n";
  }
  s += "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n";
  return s;
}

}  // namespace

std::string pdf_number(double v) {
  if (!std::isfinite(v)) v = 0;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  std::string s = buf;
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  if (s == "-0" || s.empty()) s = "0";
  return s;
}

Result<std::shared_ptr<const TrueTypeFont>> TrueTypeFont::parse(std::string bytes) {
  try {
    auto font = std::make_shared<TrueTypeFont>();
    font->bytes_ = std::move(bytes);
    Reader r{font->bytes_};
    auto head = find_table(r, "head");
    auto hhea = find_table(r, "hhea");
    auto hmtx = find_table(r, "hmtx");
    auto maxp = find_table(r, "maxp");
    auto cmap = find_table(r, "cmap");
    double upem = r.u16(head.offset + 18);
    if (upem < 16) throw std::runtime_error("bad unitsPerEm");
    font->units_per_em_ = upem;
    auto scale = [&](double v) { return v * 1000.0 / upem; };
    for (int i = 0; i < 4; ++i) font->bbox_[i] = scale(r.s16(head.offset + 36 + 2 * i));
    font->ascent_ = scale(r.s16(hhea.offset + 4));
    font->descent_ = scale(r.s16(hhea.offset + 6));
    std::uint32_t metrics = r.u16(hhea.offset + 34);
    std::uint32_t glyphs = r.u16(maxp.offset + 4);
    if (metrics == 0 || metrics > glyphs) throw std::runtime_error("bad numberOfHMetrics");
    font->advances_.resize(glyphs);
    for (std::uint32_t g = 0; g < glyphs; ++g) {
      font->advances_[g] = static_cast<std::uint16_t>(r.u16(hmtx.offset + 4 * std::min(g, metrics - 1)));
    }
    // Prefer the full Unicode subtable (3,10) format 12, then the BMP one (3,1) format 4.
    std::size_t best = 0;
    int best_rank = 0;
    for (std::uint32_t i = 0, n = r.u16(cmap.offset + 2); i < n; ++i) {
      std::size_t rec = cmap.offset + 4 + 8 * static_cast<std::size_t>(i);
      std::uint32_t platform = r.u16(rec), encoding = r.u16(rec + 2);
      std::size_t at = cmap.offset + r.u32(rec + 4);
      std::uint32_t format = r.u16(at);
      int rank = 0;
      if (format == 12 && (platform == 3 || platform == 0)) rank = 2;
      if (format == 4 && ((platform == 3 && encoding == 1) || platform == 0)) rank = 1;
      if (rank > best_rank) best_rank = rank, best = at;
    }
    if (best_rank == 2) read_cmap_format12(r, best, font->cmap_);
    else if (best_rank == 1) read_cmap_format4(r, best, font->cmap_);
    else throw std::runtime_error("font has no Unicode cmap");
    return std::shared_ptr<const TrueTypeFont>(std::move(font));
  } catch (const std::exception& e) {
    return fail(Errc::internal, "The embedded font cannot be read", e.what());
  }
}

Result<std::shared_ptr<const TrueTypeFont>> TrueTypeFont::default_font() {
  static const Result<std::shared_ptr<const TrueTypeFont>> font = []() -> Result<std::shared_ptr<const TrueTypeFont>> {
    std::ifstream in{std::string(kDefaultFontPath), std::ios::binary};
    if (!in) return fail(Errc::internal, "The embedded font is not installed", std::string(kDefaultFontPath));
    std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    return parse(std::move(bytes));
  }();
  return font;
}

std::uint16_t TrueTypeFont::glyph(char32_t code_point) const {
  auto it = cmap_.find(code_point);
  return it == cmap_.end() ? 0 : it->second;
}

double TrueTypeFont::advance(std::uint16_t glyph) const {
  if (glyph >= advances_.size()) return 0;
  return advances_[glyph] * 1000.0 / units_per_em_;
}

std::u32string decode_text(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    auto b = static_cast<unsigned char>(s[i]);
    std::size_t len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
    char32_t c = 0xfffd;
    bool ok = len != 0 && i + len <= s.size();
    if (ok) {
      c = len == 1 ? b : len == 2 ? (b & 0x1f) : len == 3 ? (b & 0x0f) : (b & 0x07);
      for (std::size_t k = 1; k < len; ++k) {
        auto cb = static_cast<unsigned char>(s[i + k]);
        if ((cb & 0xc0) != 0x80) ok = false;
        c = (c << 6) | (cb & 0x3f);
      }
      static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
      if (ok && (c < kMin[len] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))) ok = false;
    }
    if (!ok) {
      out.push_back(0xfffd);
      i += 1;
      continue;
    }
    out.push_back(c < 0x20 || (c >= 0x7f && c < 0xa0) ? U' ' : c);
    i += len;
  }
  return out;
}

PdfFont::PdfFont(QPDF& pdf, std::shared_ptr<const TrueTypeFont> font, bool subset)
    : pdf_(pdf),
      font_(std::move(font)),
      subset_(subset),
      type0_(pdf.makeIndirectObject(QPDFObjectHandle::newDictionary())) {}

std::string PdfFont::show(std::u32string_view text) {
  std::string s = "<";
  for (char32_t c : text) {
    std::uint16_t g = font_->glyph(c);
    if (g != 0) used_.emplace(g, c);
    s += hex4(g);
  }
  return s + ">";
}

double PdfFont::width(std::u32string_view text, double size) const {
  double w = 0;
  for (char32_t c : text) w += font_->advance(font_->glyph(c));
  return w * size / 1000.0;
}

void PdfFont::finish() {
  std::string widths = "[";
  for (const auto& [g, c] : used_) widths += " " + std::to_string(g) + " [" + pdf_number(font_->advance(g)) + "]";
  widths += " ]";
  const double* b = font_->bbox();
  std::string program = font_->bytes();
  std::string name = "/DejaVuSans";
  if (subset_) {
    std::set<std::uint16_t> glyphs;
    std::uint32_t hash = 2166136261u;  // FNV-1a over the glyph ids: the subset's tag
    for (const auto& entry : used_) {
      glyphs.insert(entry.first);
      hash = (hash ^ entry.first) * 16777619u;
    }
    auto subset = subset_truetype(program, glyphs);
    if (!subset) throw std::runtime_error(subset.error().detail());
    program = std::move(*subset);
    std::string tag;
    for (int i = 0; i < 6; ++i, hash /= 26) tag += static_cast<char>('A' + hash % 26);
    name = "/" + tag + "+DejaVuSans";  // PDF 32000-1 9.6.4: subset fonts carry a tag
  }
  auto file = QPDFObjectHandle::newStream(&pdf_, program);
  file.getDict().replaceKey("/Length1", QPDFObjectHandle::newInteger(static_cast<long long>(program.size())));
  auto descriptor = pdf_.makeIndirectObject(QPDFObjectHandle::parse(
      "<< /Type /FontDescriptor /FontName " + name + " /Flags 32 /FontBBox [" + pdf_number(b[0]) + " " +
      pdf_number(b[1]) + " " + pdf_number(b[2]) + " " + pdf_number(b[3]) + "] /ItalicAngle 0 /Ascent " +
      pdf_number(font_->ascent()) + " /Descent " + pdf_number(font_->descent()) + " /CapHeight " +
      pdf_number(font_->ascent()) + " /StemV 80 >>"));
  descriptor.replaceKey("/FontFile2", file);
  auto cid = pdf_.makeIndirectObject(QPDFObjectHandle::parse(
      "<< /Type /Font /Subtype /CIDFontType2 /BaseFont " + name + " /CIDSystemInfo << /Registry (Adobe) /Ordering "
      "(Identity) /Supplement 0 >> /DW " +
      pdf_number(font_->advance(0)) + " /W " + widths + " /CIDToGIDMap /Identity >>"));
  cid.replaceKey("/FontDescriptor", descriptor);
  type0_.replaceKey("/Type", QPDFObjectHandle::newName("/Font"));
  type0_.replaceKey("/Subtype", QPDFObjectHandle::newName("/Type0"));
  type0_.replaceKey("/BaseFont", QPDFObjectHandle::newName(name));
  type0_.replaceKey("/Encoding", QPDFObjectHandle::newName("/Identity-H"));
  type0_.replaceKey("/DescendantFonts", QPDFObjectHandle::newArray({cid}));
  type0_.replaceKey("/ToUnicode", QPDFObjectHandle::newStream(&pdf_, to_unicode_cmap(used_)));
}

void Canvas::text(double x, double y, double size, std::u32string_view text, std::string_view rgb) {
  if (text.empty()) return;
  ops_ += "BT " + std::string(rgb) + " rg /F1 " + pdf_number(size) + " Tf " + pdf_number(x) + " " + pdf_number(y) +
          " Td " + font_.show(text) + " Tj ET\n";
}

void Canvas::image(double x, double y, double width, double height, QPDFObjectHandle xobject) {
  images_.push_back(std::move(xobject));
  ops_ += "q " + pdf_number(width) + " 0 0 " + pdf_number(height) + " " + pdf_number(x) + " " + pdf_number(y) +
          " cm /Im" + std::to_string(images_.size()) + " Do Q\n";
}

void Canvas::check_mark(double x, double y, double width, double height) {
  double s = std::min(width, height);
  double ox = x + (width - s) / 2, oy = y + (height - s) / 2;
  ops_ += "q 0 0 0 RG " + pdf_number(std::max(0.8, s * 0.14)) + " w 1 J 1 j " + pdf_number(ox + s * 0.18) + " " +
          pdf_number(oy + s * 0.52) + " m " + pdf_number(ox + s * 0.42) + " " + pdf_number(oy + s * 0.22) + " l " +
          pdf_number(ox + s * 0.84) + " " + pdf_number(oy + s * 0.82) + " l S Q\n";
}

void Canvas::line(double x1, double y1, double x2, double y2, double width, std::string_view gray) {
  ops_ += "q " + std::string(gray) + " G " + pdf_number(width) + " w " + pdf_number(x1) + " " + pdf_number(y1) + " m " +
          pdf_number(x2) + " " + pdf_number(y2) + " l S Q\n";
}

QPDFObjectHandle Canvas::resources(QPDF&) const {
  auto res = QPDFObjectHandle::newDictionary();
  auto fonts = QPDFObjectHandle::newDictionary();
  fonts.replaceKey("/F1", font_.handle());
  res.replaceKey("/Font", fonts);
  if (!images_.empty()) {
    auto xobjects = QPDFObjectHandle::newDictionary();
    for (std::size_t i = 0; i < images_.size(); ++i) xobjects.replaceKey("/Im" + std::to_string(i + 1), images_[i]);
    res.replaceKey("/XObject", xobjects);
  }
  return res;
}

QPDFObjectHandle make_image_xobject(QPDF& pdf, const DecodedImage& image) {
  std::string dims = " /Width " + std::to_string(image.width) + " /Height " + std::to_string(image.height) +
                     " /BitsPerComponent 8";
  auto stream = QPDFObjectHandle::newStream(&pdf, image.rgb);
  auto dict = stream.getDict();
  for (auto& [k, v] : QPDFObjectHandle::parse("<< /Type /XObject /Subtype /Image /ColorSpace /DeviceRGB" + dims + " >>")
                          .getDictAsMap()) {
    dict.replaceKey(k, v);
  }
  if (!image.alpha.empty()) {
    auto mask = QPDFObjectHandle::newStream(&pdf, image.alpha);
    auto mdict = mask.getDict();
    for (auto& [k, v] :
         QPDFObjectHandle::parse("<< /Type /XObject /Subtype /Image /ColorSpace /DeviceGray" + dims + " >>").getDictAsMap()) {
      mdict.replaceKey(k, v);
    }
    dict.replaceKey("/SMask", mask);
  }
  return stream;
}

std::vector<std::u32string> wrap_text(const PdfFont& font, std::u32string_view text, double size, double max_width) {
  std::vector<std::u32string> lines;
  std::u32string line;
  auto fits = [&](std::u32string_view s) { return font.width(s, size) <= max_width; };
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == U' ') ++i;
    std::size_t end = text.find(U' ', i);
    if (end == std::u32string_view::npos) end = text.size();
    std::u32string_view word = text.substr(i, end - i);
    i = end;
    if (word.empty()) break;
    std::u32string candidate = line.empty() ? std::u32string(word) : line + U' ' + std::u32string(word);
    if (fits(candidate)) {
      line = std::move(candidate);
      continue;
    }
    if (!line.empty()) lines.push_back(std::move(line));
    line.clear();
    // A word wider than the line by itself is broken between characters.
    for (char32_t c : word) {
      if (!line.empty() && !fits(line + c)) lines.push_back(std::exchange(line, {}));
      line += c;
    }
  }
  if (!line.empty() || lines.empty()) lines.push_back(std::move(line));
  return lines;
}

}  // namespace cs::seal
