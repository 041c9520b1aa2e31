#include "seal/font_subset.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>
#include <vector>

namespace cs::seal {

namespace {

// PDF 32000-1 9.9: what an embedded TrueType program needs. No cmap: a CIDFontType2 with an
// Identity CIDToGIDMap addresses glyphs by id.
constexpr std::string_view kKeptTables[] = {"cvt ", "fpgm", "glyf", "head", "hhea", "hmtx", "loca", "maxp", "prep"};

// Composite glyph component flags (TrueType 'glyf').
constexpr std::uint32_t kArgsAreWords = 0x0001, kHaveScale = 0x0008, kMoreComponents = 0x0020,
                        kHaveXYScale = 0x0040, kHaveTwoByTwo = 0x0080;

struct Font {
  std::string_view data;
  std::uint32_t u8(std::size_t off) const {
    if (off >= data.size()) throw std::out_of_range("font data out of range");
    return static_cast<unsigned char>(data[off]);
  }
  std::uint32_t u16(std::size_t off) const { return (u8(off) << 8) | u8(off + 1); }
  std::uint32_t u32(std::size_t off) const { return (u16(off) << 16) | u16(off + 2); }
  std::string_view table(std::string_view tag) const {
    for (std::uint32_t i = 0, n = u16(4); i < n; ++i) {
      std::size_t rec = 12 + 16 * static_cast<std::size_t>(i);
      if (data.substr(rec, 4) == tag) {
        std::size_t off = u32(rec + 8), len = u32(rec + 12);
        if (off > data.size() || len > data.size() - off) throw std::out_of_range("font table past the end");
        return data.substr(off, len);
      }
    }
    return {};
  }
};

void put16(std::string& s, std::size_t at, std::uint32_t v) {
  s[at] = static_cast<char>((v >> 8) & 0xff);
  s[at + 1] = static_cast<char>(v & 0xff);
}
void put32(std::string& s, std::size_t at, std::uint32_t v) {
  put16(s, at, v >> 16);
  put16(s, at + 2, v & 0xffff);
}
void append32(std::string& s, std::uint32_t v) {
  s.append(4, '\0');
  put32(s, s.size() - 4, v);
}

std::uint32_t checksum(std::string_view t) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i < t.size(); i += 4) {
    std::uint32_t word = 0;
    for (std::size_t k = 0; k < 4; ++k) word = (word << 8) | (i + k < t.size() ? static_cast<unsigned char>(t[i + k]) : 0);
    sum += word;
  }
  return sum;
}

}  // namespace

Result<std::string> subset_truetype(std::string_view bytes, const std::set<std::uint16_t>& wanted) {
  try {
    Font f{bytes};
    std::string_view head = f.table("head"), maxp = f.table("maxp"), loca = f.table("loca"), glyf = f.table("glyf");
    if (head.size() < 54 || maxp.size() < 6 || glyf.empty() || loca.empty()) throw std::runtime_error("missing tables");
    Font h{head}, m{maxp}, l{loca}, g{glyf};
    const bool long_offsets = h.u16(50) != 0;
    const std::uint32_t glyph_count = m.u16(4);
    auto glyph_range = [&](std::uint32_t gid) {
      std::size_t start = long_offsets ? l.u32(4 * gid) : 2 * std::size_t{l.u16(2 * gid)};
      std::size_t end = long_offsets ? l.u32(4 * (gid + 1)) : 2 * std::size_t{l.u16(2 * (gid + 1))};
      if (end < start || end > glyf.size()) throw std::out_of_range("bad loca entry");
      return std::pair{start, end};
    };

    // Glyph 0 (.notdef), the wanted glyphs, and every component of a composite, transitively.
    std::set<std::uint32_t> keep{0};
    std::vector<std::uint32_t> todo(wanted.begin(), wanted.end());
    while (!todo.empty()) {
      std::uint32_t gid = todo.back();
      todo.pop_back();
      if (gid >= glyph_count || !keep.insert(gid).second) continue;
      auto [start, end] = glyph_range(gid);
      if (end - start < 10 || static_cast<std::int16_t>(g.u16(start)) >= 0) continue;  // empty or simple
      std::size_t at = start + 10;
      for (std::uint32_t flags = kMoreComponents; flags & kMoreComponents;) {
        flags = g.u16(at);
        todo.push_back(g.u16(at + 2));
        at += 4 + ((flags & kArgsAreWords) ? 4 : 2);
        if (flags & kHaveScale) at += 2;
        else if (flags & kHaveXYScale) at += 4;
        else if (flags & kHaveTwoByTwo) at += 8;
      }
    }
    keep.insert(0);

    std::string new_glyf, new_loca;
    for (std::uint32_t gid = 0; gid < glyph_count; ++gid) {
      append32(new_loca, static_cast<std::uint32_t>(new_glyf.size()));
      if (!keep.contains(gid)) continue;
      auto [start, end] = glyph_range(gid);
      new_glyf.append(glyf.substr(start, end - start));
      new_glyf.append((4 - new_glyf.size() % 4) % 4, '\0');
    }
    append32(new_loca, static_cast<std::uint32_t>(new_glyf.size()));

    std::map<std::string_view, std::string> tables;
    for (auto tag : kKeptTables) {
      auto t = f.table(tag);
      if (!t.empty()) tables[tag] = std::string(t);
    }
    tables["glyf"] = std::move(new_glyf);
    tables["loca"] = std::move(new_loca);
    // Metrics of dropped glyphs are zeroed too (the PDF's /W gives the widths), which makes the
    // table compress to almost nothing.
    if (tables.contains("hmtx") && tables.contains("hhea")) {
      std::string& hmtx = tables["hmtx"];
      const std::uint32_t metrics = Font{tables["hhea"]}.u16(34);
      for (std::uint32_t gid = 0; gid < glyph_count; ++gid) {
        if (keep.contains(gid)) continue;
        std::size_t at = gid < metrics ? 4 * std::size_t{gid} : 4 * std::size_t{metrics} + 2 * std::size_t{gid - metrics};
        std::size_t len = gid < metrics ? 4 : 2;
        if (at + len <= hmtx.size()) hmtx.replace(at, len, len, '\0');
      }
    }
    std::string& new_head = tables["head"];
    put32(new_head, 8, 0);   // checkSumAdjustment, set below
    put16(new_head, 50, 1);  // indexToLocFormat: long offsets

    const auto n = static_cast<std::uint32_t>(tables.size());
    std::uint32_t entry_selector = 0;
    while ((2u << entry_selector) <= n) ++entry_selector;
    const std::uint32_t search_range = (1u << entry_selector) * 16;
    std::string out(12 + 16 * n, '\0');
    put32(out, 0, 0x00010000);
    put16(out, 4, n);
    put16(out, 6, search_range);
    put16(out, 8, entry_selector);
    put16(out, 10, n * 16 - search_range);
    std::size_t head_offset = 0, rec = 12;
    for (const auto& [tag, data] : tables) {  // std::map: sorted by tag, as the format requires
      out.replace(rec, 4, tag);
      put32(out, rec + 4, checksum(data));
      put32(out, rec + 8, static_cast<std::uint32_t>(out.size()));
      put32(out, rec + 12, static_cast<std::uint32_t>(data.size()));
      if (tag == "head") head_offset = out.size();
      out += data;
      out.append((4 - out.size() % 4) % 4, '\0');
      rec += 16;
    }
    put32(out, head_offset + 8, 0xB1B0AFBAu - checksum(out));
    return out;
  } catch (const std::exception& e) {
    return fail(Errc::internal, "The embedded font cannot be subset", e.what());
  }
}

}  // namespace cs::seal
