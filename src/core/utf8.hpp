#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace cs {

// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
bool is_valid_utf8(std::string_view s);

// `s` made safe to store in a UTF-8 text column on every backend: each invalid sequence and
// every NUL becomes U+FFFD, and the result is cut at a code-point boundary to at most
// `max_bytes` bytes. For values that arrive as raw bytes (User-Agent) or are truncated.
std::string to_storable_utf8(std::string_view s, std::size_t max_bytes = std::string::npos);

}  // namespace cs
