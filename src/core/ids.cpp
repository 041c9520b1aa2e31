#include "core/ids.hpp"

#include <sodium.h>

#include <array>
#include <cstdint>

namespace cs {
namespace {

constexpr std::string_view kAlphabet =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
constexpr std::size_t kRandomChars = 22;  // 62^22 > 2^128
// Bytes >= 248 (= 4 x 62) are rejected so that every character is uniform over the alphabet.
constexpr unsigned kRejectFrom = 248;

}  // namespace

std::string new_id(std::string_view prefix) {
  std::string id;
  id.reserve(prefix.size() + 1 + kRandomChars);
  id.append(prefix);
  id.push_back('_');
  // One randombytes_buf call per id (not one per character): ids are minted on hot paths.
  std::array<unsigned char, 32> buf{};
  std::size_t used = buf.size();
  while (id.size() < prefix.size() + 1 + kRandomChars) {
    if (used == buf.size()) {
      randombytes_buf(buf.data(), buf.size());
      used = 0;
    }
    unsigned b = buf[used++];
    if (b < kRejectFrom) id.push_back(kAlphabet[b % kAlphabet.size()]);
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
