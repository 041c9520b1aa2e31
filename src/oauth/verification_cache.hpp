// The bearer verification cache (DESIGN.md "Performance budgets": an authenticated call at half
// the bare server's requests/s). Without it every /v1 call reads token, grant, app, account and
// effective version from the database.
//
// What it may serve, and for how long:
//   * only successful verifications (a refused token always goes to the database, so nothing
//     learnt about a bad token outlives its request, and turning a setting ON needs no hook);
//   * keyed by the token's keyed hash, so no usable token sits in memory;
//   * while the AccessEpoch is the one read before the database read (in-process changes
//     apply to the very next call),
//   * for at most `ttl` (1 s) after that read (changes made by other server processes on a
//     shared PostgreSQL apply within one second),
//   * and never at or after the token's own expiry.
// Bounded: at most `capacity` entries; a full shard drops an arbitrary entry.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/clock.hpp"
#include "oauth/access_epoch.hpp"
#include "oauth/authorization_server.hpp"

namespace cs::oauth {

inline constexpr Micros kVerificationTtl = kMicrosPerSecond;
inline constexpr std::size_t kVerificationCapacity = 65536;

class VerificationCache {
 public:
  explicit VerificationCache(const AccessEpoch& epoch, Micros ttl = kVerificationTtl,
                             std::size_t capacity = kVerificationCapacity);

  // The epoch to pass to insert(): read it BEFORE reading the database.
  std::uint64_t epoch() const { return epoch_.current(); }

  std::optional<AccessContext> find(const std::string& token_hash, Micros now);
  // `read_at`: when the database read began; `token_expires_at`: the token's expires_at.
  void insert(const std::string& token_hash, const AccessContext& access, Micros token_expires_at,
              Micros read_at, std::uint64_t epoch);

  std::size_t size() const;
  std::size_t capacity() const { return kShards * shard_capacity_; }

 private:
  static constexpr std::size_t kShards = 16;
  struct Entry {
    AccessContext access;
    Micros valid_until = 0;  // min(read_at + ttl, token expiry), exclusive
    std::uint64_t epoch = 0;
  };
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<std::string, Entry> entries;
  };
  Shard& shard_for(const std::string& token_hash);

  const AccessEpoch& epoch_;
  Micros ttl_;
  std::size_t shard_capacity_;
  std::array<Shard, kShards> shards_;
};

}  // namespace cs::oauth
