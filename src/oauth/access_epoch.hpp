// A process-local counter of "something may have narrowed what an issued token can do".
//
// The bearer verification cache (verification_cache.hpp) tags every entry with the epoch read
// BEFORE its database read, and serves an entry only while the epoch is unchanged. Every change
// that can take access away advances the epoch AFTER its transaction committed: token, grant and
// app revocation, refresh-token reuse, an app disabled or updated (scope removal), a certification
// status change, and the account setting "allow uncertified apps" (identity::Directory calls back
// through the listener the AuthorizationServer registers). Ordering the two that way means a
// verification that read the database before such a commit can never be served after it returns.
//
// One global counter rather than per-token invalidation: these events are rare next to API calls,
// and a single number cannot miss a token (a grant revocation, say, reaches tokens the cache
// cannot enumerate). Other server processes do not see it: there the cache's 1 s TTL bounds how
// long a change can go unnoticed (DESIGN.md "Access rule", issue 3 §3).
#pragma once

#include <atomic>
#include <cstdint>

namespace cs::oauth {

class AccessEpoch {
 public:
  std::uint64_t current() const { return value_.load(std::memory_order_seq_cst); }
  void advance() { value_.fetch_add(1, std::memory_order_seq_cst); }

  // Advances when it goes out of scope, i.e. after `return store::transact(...)` committed;
  // the _if form only when `*when` is true by then.
  class AdvanceOnExit {
   public:
    AdvanceOnExit(AccessEpoch& epoch, const bool* when) : epoch_(epoch), when_(when) {}
    AdvanceOnExit(const AdvanceOnExit&) = delete;
    AdvanceOnExit& operator=(const AdvanceOnExit&) = delete;
    ~AdvanceOnExit() {
      if (!when_ || *when_) epoch_.advance();
    }

   private:
    AccessEpoch& epoch_;
    const bool* when_;
  };
  [[nodiscard]] AdvanceOnExit advance_on_exit() { return AdvanceOnExit(*this, nullptr); }
  [[nodiscard]] AdvanceOnExit advance_on_exit_if(const bool& when) {
    return AdvanceOnExit(*this, &when);
  }

 private:
  std::atomic<std::uint64_t> value_{0};
};

}  // namespace cs::oauth
