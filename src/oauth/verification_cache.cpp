#include "oauth/verification_cache.hpp"

#include <algorithm>
#include <functional>

namespace cs::oauth {

VerificationCache::VerificationCache(const AccessEpoch& epoch, Micros ttl, std::size_t capacity)
    : epoch_(epoch), ttl_(ttl), shard_capacity_(std::max<std::size_t>(1, capacity / kShards)) {}

VerificationCache::Shard& VerificationCache::shard_for(const std::string& token_hash) {
  return shards_[std::hash<std::string>{}(token_hash) % kShards];
}

std::optional<AccessContext> VerificationCache::find(const std::string& token_hash, Micros now) {
  Shard& shard = shard_for(token_hash);
  std::lock_guard lock(shard.mu);
  auto it = shard.entries.find(token_hash);
  if (it == shard.entries.end()) return std::nullopt;
  if (it->second.epoch != epoch_.current() || now >= it->second.valid_until) {
    shard.entries.erase(it);
    return std::nullopt;
  }
  return it->second.access;
}

void VerificationCache::insert(const std::string& token_hash, const AccessContext& access,
                               Micros token_expires_at, Micros read_at, std::uint64_t epoch) {
  // Already stale (something changed while the database was read): keep nothing.
  if (epoch != epoch_.current()) return;
  Entry entry{access, std::min(read_at + ttl_, token_expires_at), epoch};
  Shard& shard = shard_for(token_hash);
  std::lock_guard lock(shard.mu);
  auto it = shard.entries.find(token_hash);
  if (it != shard.entries.end()) {
    it->second = std::move(entry);
    return;
  }
  if (shard.entries.size() >= shard_capacity_) shard.entries.erase(shard.entries.begin());
  shard.entries.emplace(token_hash, std::move(entry));
}

std::size_t VerificationCache::size() const {
  std::size_t n = 0;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard.mu);
    n += shard.entries.size();
  }
  return n;
}

}  // namespace cs::oauth
