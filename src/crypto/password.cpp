#include "crypto/password.hpp"

#include <sodium.h>

#include <cstdio>
#include <cstdlib>

#include "crypto/primitives.hpp"

namespace cs::crypto {
namespace {

constexpr std::string_view kArgon2idPrefix = "$argon2id$";

}  // namespace

PasswordParams PasswordParams::interactive() {
  return {crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE, crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE};
}

PasswordParams PasswordParams::minimal() {
  return {crypto_pwhash_argon2id_OPSLIMIT_MIN, crypto_pwhash_argon2id_MEMLIMIT_MIN};
}

PasswordHasher::PasswordHasher(PasswordParams params) : params_(params) {
  init();
  const std::string random_password = base64url_encode(random_bytes(24));
  auto dummy = hash(random_password);
  if (!dummy) {
    // Without a dummy hash the unknown-email path would answer faster than the known one;
    // failing here means Argon2 cannot allocate its memory at all, so nothing would work.
    std::fprintf(stderr, "fatal: cannot compute an Argon2id hash: %s\n",
                 dummy.error().detail().c_str());
    std::abort();
  }
  dummy_hash_ = std::move(*dummy);
}

Result<std::string> PasswordHasher::hash(std::string_view password) const {
  if (password.size() > kMaxPasswordBytes) {
    return fail(Errc::validation_failed, "the password is too long (at most 1024 bytes)");
  }
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), params_.opslimit,
                            params_.memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return fail(Errc::internal, "the password could not be hashed",
                "crypto_pwhash_str_alg failed (out of memory?)");
  }
  return std::string(out);
}

bool PasswordHasher::verify(std::string_view stored, std::string_view password) const {
  if (password.size() > kMaxPasswordBytes || stored.size() >= crypto_pwhash_STRBYTES ||
      stored.substr(0, kArgon2idPrefix.size()) != kArgon2idPrefix) {
    dummy_verify(password.substr(0, kMaxPasswordBytes));
    return false;
  }
  const std::string terminated(stored);  // libsodium reads a NUL-terminated string
  return crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
}

bool PasswordHasher::needs_rehash(std::string_view stored) const {
  if (stored.substr(0, kArgon2idPrefix.size()) != kArgon2idPrefix) return true;
  const std::string terminated(stored);
  return crypto_pwhash_str_needs_rehash(terminated.c_str(), params_.opslimit, params_.memlimit) !=
         0;
}

void PasswordHasher::dummy_verify(std::string_view password) const {
  if (password.size() > kMaxPasswordBytes) password = password.substr(0, kMaxPasswordBytes);
  // The outcome is meaningless (the dummy password is random and discarded); only the work counts.
  [[maybe_unused]] const int outcome =
      crypto_pwhash_str_verify(dummy_hash_.c_str(), password.data(), password.size());
}

}  // namespace cs::crypto
