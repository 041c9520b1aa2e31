// Commit durability for the one write that trades it for throughput: a successful refresh-token
// rotation (DESIGN.md budget: 10,000 refresh grants/s on 2 cores; BENCHMARKS.md has the figures).
//
// By default every commit is durable before it is acknowledged (SQLite synchronous=FULL in WAL
// mode; PostgreSQL synchronous_commit=on), which costs one WAL flush per commit: the flush, not the
// CPU, bounded refresh grants to ~2,500/s. (On SQLite that flush now runs after the writer turn
// and is shared by concurrent commits, store/sqlite/deferred_sync_vfs.hpp, but the committing
// request still waits for it.) A relaxed commit still survives a crash of the server
// process and can never corrupt or half-apply (SQLite WAL with synchronous=NORMAL; PostgreSQL
// synchronous_commit=off); a power cut or OS crash may roll back the last relaxed commits that no
// later durable commit, checkpoint (SQLite) or WAL writer round (PostgreSQL, within ~0.6 s) has
// flushed yet.
//
// What that means for a rotation that is rolled back: the client holds a refresh and an access
// token the server no longer knows (both answer invalid_grant / invalid_token, and the user
// connects again), and the refresh token it presented counts as unused again. So a refresh token
// stolen BEFORE that rotation could be redeemed once without tripping reuse detection. Everything
// security-relevant stays durable: reuse detection, revocations, audit entries and code exchanges
// never commit relaxed.
#pragma once

#include <utility>

#include "core/error.hpp"
#include "store/database.hpp"

namespace cs::oauth::detail {

// Puts `conn` into relaxed commits for its lifetime. SQLite refuses to change the setting inside
// a transaction, so it is set here, before BEGIN, and put back to FULL by the destructor (a pooled
// connection left relaxed would silently weaken every later commit on it).
class RelaxedCommits {
 public:
  explicit RelaxedCommits(store::Connection& conn);
  RelaxedCommits(const RelaxedCommits&) = delete;
  RelaxedCommits& operator=(const RelaxedCommits&) = delete;
  ~RelaxedCommits();

  const Status& status() const { return status_; }
  // PostgreSQL's setting is per transaction: call first thing inside it.
  Status enter_transaction(store::Connection& conn) const;

 private:
  store::Connection& conn_;
  bool outer_transaction_;  // then the outer transaction decides, and stays durable
  Status status_;
  bool sqlite_relaxed_ = false;
};

// store::in_transaction with a relaxed commit. `fn` must write nothing that has to survive a
// power cut (no audit entry, no revocation): such paths run in store::in_transaction instead.
template <class F>
auto in_relaxed_transaction(store::Connection& conn, F&& fn) -> decltype(fn(conn)) {
  RelaxedCommits relaxed(conn);
  CS_CHECK(relaxed.status());
  return store::in_transaction(conn, [&](store::Connection& c) -> decltype(fn(conn)) {
    CS_CHECK(relaxed.enter_transaction(c));
    return std::forward<F>(fn)(c);
  });
}

}  // namespace cs::oauth::detail
