// Human passwords: Argon2id through libsodium's crypto_pwhash_str (issue 2 §4). Tokens and
// client secrets are 256-bit random and use the keyed SHA-256 in tokens.hpp instead.
//
// Argon2 is deliberately slow: call these on the worker pool, never on an io thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace cs::crypto {

// Longer passwords are rejected before hashing so one request cannot buy unbounded work.
inline constexpr std::size_t kMaxPasswordBytes = 1024;

struct PasswordParams {
  unsigned long long opslimit;
  std::size_t memlimit;

  // libsodium's INTERACTIVE limits for Argon2id (2 passes, 64 MiB): the production default.
  static PasswordParams interactive();
  // libsodium's MIN limits (1 pass, 8 KiB). Offers no real protection: only for unit tests and
  // the demo's fast mode, where hundreds of hashes must not take minutes.
  static PasswordParams minimal();

  bool operator==(const PasswordParams&) const = default;
};

class PasswordHasher {
 public:
  // Computes one hash (with these params) for dummy_verify, so construct it once at startup.
  explicit PasswordHasher(PasswordParams params);

  const PasswordParams& params() const { return params_; }

  // "$argon2id$v=19$m=...,t=...,p=1$salt$hash". Errc::validation_failed when the password is
  // longer than kMaxPasswordBytes; Errc::internal if Argon2 cannot get its memory.
  Result<std::string> hash(std::string_view password) const;

  // False for a wrong password, a malformed stored hash, or an over-long password.
  bool verify(std::string_view stored, std::string_view password) const;

  // True when the stored hash is not Argon2id with this hasher's params (or is malformed):
  // after a successful login, hash the password again and store the new hash.
  bool needs_rehash(std::string_view stored) const;

  // Spends the same time as verify() against a real hash. The login path calls it when the
  // email is unknown, so response time does not reveal which emails have accounts.
  void dummy_verify(std::string_view password) const;

 private:
  PasswordParams params_;
  std::string dummy_hash_;
};

}  // namespace cs::crypto
