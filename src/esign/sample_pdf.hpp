// A small, valid PDF built in memory (the demo envelope of issue 4 §5, and test fixtures):
// one page per entry of `pages` (width x height in points), each showing `title`.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "esign/signing_service.hpp"

namespace cs::esign {

std::string sample_pdf(std::string_view title, const std::vector<PageSize>& pages = {{612, 792}});

}  // namespace cs::esign
