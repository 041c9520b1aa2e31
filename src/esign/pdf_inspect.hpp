// Checks an uploaded document is a real, readable, unencrypted PDF and reads its page geometry
// (issue 4 §1), with qpdf. Blocking work: callers run it on a worker thread (every route does).
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "esign/signing_service.hpp"

namespace cs::esign {

struct PdfInfo {
  int page_count = 0;
  // As displayed: the CropBox (falling back to the MediaBox, both inherited through the page
  // tree), with width and height swapped for /Rotate 90 and 270.
  std::vector<PageSize> pages;
};

// pdf_invalid: not a PDF, or damaged (qpdf cannot read it without repairing it, or no pages);
// pdf_encrypted: any encryption, even with an empty user password (the signer's browser and
// the sealing step must read it without a password).
Result<PdfInfo> inspect_pdf(std::string_view bytes);

}  // namespace cs::esign
