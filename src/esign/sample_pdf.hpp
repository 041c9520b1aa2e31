// A small, valid PDF built in memory (the demo envelope of issue 4 §5, and test fixtures):
// one page per entry of `pages` (width x height in points), each showing `title`.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "esign/signing_service.hpp"

namespace cs::esign {

std::string sample_pdf(std::string_view title, const std::vector<PageSize>& pages = {{612, 792}});

// Serialises `objects` (object i+1 is objects[i]; object 1 is the catalog) as a classic PDF with
// a cross-reference table. For PDFs generated from scratch (the sample, the certification
// certificate).
std::string write_pdf(const std::vector<std::string>& objects);

}  // namespace cs::esign
