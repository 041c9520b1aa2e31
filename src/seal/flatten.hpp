// Flattening (issue 7): each completed field's value drawn onto its page as real PDF content.
// The original content streams stay untouched: they are wrapped in q/Q and one more content
// stream is appended that draws a form XObject holding the values.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "seal/png_image.hpp"

namespace cs::seal {

class TrueTypeFont;

// What one field shows. Coordinates are PDF points from the top-left corner of the page as it
// is displayed (after the CropBox and /Rotate), like esign's fields.
struct FieldDrawing {
  enum class Kind { text, signature_text, image, check };
  Kind kind = Kind::text;
  int page = 1;  // 1-based
  double x = 0, y = 0, width = 0, height = 0;
  std::string text;  // text and signature_text, UTF-8
  std::shared_ptr<const DecodedImage> image;  // image
};

// The flattened PDF. pdf_invalid when the document cannot be read or a field names a page it
// does not have. Existing form fields (/AcroForm) and signature dictionaries are kept as they are.
Result<std::string> flatten_pdf(std::string_view pdf, const std::vector<FieldDrawing>& fields,
                                std::shared_ptr<const TrueTypeFont> font);

// One PDF of every page of `pdfs` in order (the combined document of an envelope). Form fields
// of each part are carried over into the result's /AcroForm (renamed where names collide).
Result<std::string> combine_pdfs(const std::vector<std::string>& pdfs);

}  // namespace cs::seal
