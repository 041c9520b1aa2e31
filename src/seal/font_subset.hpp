// TrueType subsetting for embedded fonts (issue 7): only the outlines of the glyphs a PDF shows
// are kept, with glyph ids unchanged (so Identity CID-to-glyph maps and /W stay valid). The full
// DejaVu Sans is 740 KiB; a typical subset is a few KiB, which keeps sealed files small and
// sealing fast.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace cs::seal {

// A font with the tables a PDF TrueType font program needs (head, hhea, maxp, hmtx, loca,
// glyf and the hinting tables), where every glyph outside `glyphs` (and the components of
// composite glyphs in it, and glyph 0) is empty. internal for a font it cannot read.
Result<std::string> subset_truetype(std::string_view font, const std::set<std::uint16_t>& glyphs);

}  // namespace cs::seal
