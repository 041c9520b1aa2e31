#include "identity/validation.hpp"

#include "core/utf8.hpp"

#include <algorithm>
#include <cstdint>

namespace cs::identity {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// RFC 5322 atext.
bool is_atext(char c) {
  return is_alnum(c) || std::string_view("!#$%&'*+/=?^_`{|}~-").find(c) != std::string_view::npos;
}

bool valid_local_part(std::string_view local) {
  if (local.empty() || local.size() > 64) return false;
  if (local.front() == '.' || local.back() == '.') return false;
  char prev = 0;
  for (char c : local) {
    if (c == '.') {
      if (prev == '.') return false;
    } else if (!is_atext(c)) {
      return false;
    }
    prev = c;
  }
  return true;
}

bool valid_domain(std::string_view domain) {
  if (domain.empty() || domain.size() > 253) return false;
  std::size_t labels = 0;
  std::string_view last;
  while (true) {
    std::size_t dot = domain.find('.');
    std::string_view label = domain.substr(0, dot);
    if (label.empty() || label.size() > 63) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    if (!std::all_of(label.begin(), label.end(), [](char c) { return is_alnum(c) || c == '-'; }))
      return false;
    ++labels;
    last = label;
    if (dot == std::string_view::npos) break;
    domain.remove_prefix(dot + 1);
  }
  return labels >= 2 && last.size() >= 2 && std::all_of(last.begin(), last.end(), is_alpha);
}

tl::unexpected<Error> invalid(std::string message, std::string_view field) {
  return tl::unexpected(
      Error(Errc::validation_failed, std::move(message)).with_field(std::string(field)));
}

std::size_t code_points(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

}  // namespace

std::string normalize_email(std::string_view email) {
  std::string out(trim(email));
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

Result<std::string> validate_email(std::string_view email) {
  std::string normalized = normalize_email(email);
  if (normalized.empty()) return invalid("Email is required", "email");
  if (normalized.size() > kMaxEmailBytes)
    return invalid("Email must be at most 254 characters", "email");
  std::size_t at = normalized.find('@');
  if (at == std::string::npos || normalized.find('@', at + 1) != std::string::npos ||
      !valid_local_part(std::string_view(normalized).substr(0, at)) ||
      !valid_domain(std::string_view(normalized).substr(at + 1))) {
    return invalid("Email is not a valid address", "email");
  }
  return normalized;
}

Status validate_password(std::string_view password) {
  if (password.size() > kMaxPasswordBytes)
    return invalid("Password must be at most 1024 bytes", "password");
  if (!is_valid_utf8(password)) return invalid("Password must be valid UTF-8", "password");
  if (code_points(password) < kMinPasswordChars) {
    return invalid("Password must be at least 12 characters", "password");
  }
  return {};
}

Result<std::string> validate_display_name(std::string_view name, std::string_view field) {
  std::string_view trimmed = trim(name);
  if (trimmed.empty()) return invalid(std::string(field) + " is required", field);
  if (!is_valid_utf8(trimmed)) return invalid(std::string(field) + " must be valid UTF-8", field);
  if (code_points(trimmed) > kMaxNameChars) {
    return invalid(std::string(field) + " must be at most 200 characters", field);
  }
  if (std::any_of(trimmed.begin(), trimmed.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; })) {
    return invalid(std::string(field) + " must not contain control characters", field);
  }
  return std::string(trimmed);
}

}  // namespace cs::identity
