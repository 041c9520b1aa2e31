// Input rules for partner apps (issue 3 §1). Each check answers Errc::validation_failed with the
// field attached and a message that is safe to show.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "oauth/app.hpp"

namespace cs::oauth {

inline constexpr std::size_t kMaxRedirectUris = 10;
inline constexpr std::size_t kMaxUriLength = 2048;
inline constexpr std::size_t kMaxDescriptionChars = 2000;

// An exact absolute URI: https, or http only for the loopback hosts 127.0.0.1, [::1] and
// localhost (RFC 8252 §7.3); no fragment, no wildcard, no user info, printable ASCII, at most
// kMaxUriLength characters.
Status validate_redirect_uri(std::string_view uri);

// Listing links: empty, or an https URL.
Status validate_link(std::string_view url, std::string_view field);

// Scopes and functions known and deduplicated (sorted); 1..kMaxRedirectUris valid redirect
// URIs, deduplicated in order; at least one scope.
Result<AppConfiguration> validate_configuration(const std::vector<std::string>& scopes,
                                                const std::vector<std::string>& redirect_uris,
                                                const std::vector<std::string>& functions);

Result<std::string> validate_description(std::string_view text);

}  // namespace cs::oauth
