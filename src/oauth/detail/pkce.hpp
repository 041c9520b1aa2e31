// PKCE (RFC 7636) and the URL encoding of redirect parameters.
#pragma once

#include <string>
#include <string_view>

namespace cs::oauth::detail {

// 43..128 characters of [A-Za-z0-9-._~] (RFC 7636 §4.1, §4.2).
bool is_pkce_value(std::string_view v);
// BASE64URL(SHA256(verifier)), the S256 code challenge.
std::string s256_challenge(std::string_view verifier);
// True when `verifier` is well-formed and its S256 challenge equals `challenge`.
bool verify_s256(std::string_view verifier, std::string_view challenge);

// application/x-www-form-urlencoded value encoding (RFC 3986 unreserved kept).
std::string url_encode(std::string_view v);

}  // namespace cs::oauth::detail
