// Input rules for identity data. Each check answers Errc::validation_failed with the field
// name attached, and a message that is safe to show.
#pragma once

#include <string>
#include <string_view>

#include "core/error.hpp"

namespace cs::identity {

inline constexpr std::size_t kMaxEmailBytes = 254;  // RFC 5321 path limit
inline constexpr std::size_t kMaxNameChars = 200;
inline constexpr std::size_t kMinPasswordChars = 12;
inline constexpr std::size_t kMaxPasswordBytes = 1024;  // bounds Argon2 input and request size

// The stored form of an e-mail address: surrounding whitespace trimmed, ASCII lower-cased.
// Does not validate.
std::string normalize_email(std::string_view email);

// Normalises and validates an address: printable ASCII, one '@', a dot-atom local part of at
// most 64 bytes, a domain of dot-separated LDH labels with an alphabetic top-level label.
Result<std::string> validate_email(std::string_view email);

// At least kMinPasswordChars characters (code points), at most kMaxPasswordBytes bytes, valid
// UTF-8. No composition rules (NIST SP 800-63B): length is what counts.
Status validate_password(std::string_view password);

// A display name (users, accounts, partner orgs): trimmed, 1..kMaxNameChars characters, valid
// UTF-8, no control characters. Returns the trimmed name; `field` names it in the error.
Result<std::string> validate_display_name(std::string_view name, std::string_view field);

}  // namespace cs::identity
