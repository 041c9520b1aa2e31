// multipart/form-data (RFC 7578) for uploads such as POST /v1/envelopes: a `metadata` JSON part
// plus file parts. Bounded: the body is already limited by the route; here the number of parts
// and the size of each part's headers are too. Errors: 415 unsupported_media_type when the
// request is not multipart/form-data; 400 invalid_request for a missing or bad boundary, a
// malformed part, or a part without a Content-Disposition form-data name.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace cs::web {

struct MultipartPart {
  std::string name;
  std::optional<std::string> filename;
  std::string content_type = "text/plain";  // RFC 7578 §4.4 default
  std::string body;
};

struct MultipartLimits {
  std::size_t max_parts = 50;
  std::size_t max_header_bytes = 8 * 1024;  // all header lines of one part
};

// True when the Content-Type's media type is multipart/form-data (case-insensitive).
bool is_multipart_form_data(std::string_view content_type);

Result<std::vector<MultipartPart>> parse_multipart(std::string_view content_type, std::string_view body,
                                                   const MultipartLimits& limits = {});

}  // namespace cs::web
