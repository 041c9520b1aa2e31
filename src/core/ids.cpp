#include "core/ids.hpp"

#include <sodium.h>

#include <array>
#include <cstdint>

namespace cs {
namespace {

constexpr std::string_view kAlphabet =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
constexpr std::size_t kRandomChars = 22;  // 62^22 > 2^128

}  // namespace

std::string new_id(std::string_view prefix) {
  std::string id;
  id.reserve(prefix.size() + 1 + kRandomChars);
  id.append(prefix);
  id.push_back('_');
  for (std::size_t i = 0; i < kRandomChars; ++i) {
    id.push_back(kAlphabet[randombytes_uniform(static_cast<uint32_t>(kAlphabet.size()))]);
  }
  return id;
}

bool is_valid_id(std::string_view id, std::string_view prefix) {
  if (id.size() != prefix.size() + 1 + kRandomChars) return false;
  if (id.substr(0, prefix.size()) != prefix || id[prefix.size()] != '_') return false;
  for (char c : id.substr(prefix.size() + 1)) {
    if (kAlphabet.find(c) == std::string_view::npos) return false;
  }
  return true;
}

}  // namespace cs
