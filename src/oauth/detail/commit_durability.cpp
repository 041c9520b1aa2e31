#include "oauth/detail/commit_durability.hpp"

#include <cstdio>
#include <cstdlib>

namespace cs::oauth::detail {

RelaxedCommits::RelaxedCommits(store::Connection& conn)
    : conn_(conn), outer_transaction_(conn.in_transaction()) {
  if (conn_.backend() != store::Backend::sqlite || outer_transaction_) return;
  status_ = conn_.exec_script("PRAGMA synchronous=NORMAL");
  sqlite_relaxed_ = status_.has_value();
}

Status RelaxedCommits::enter_transaction(store::Connection& conn) const {
  if (conn.backend() != store::Backend::postgres || outer_transaction_) return {};
  CS_TRY(conn.exec("SET LOCAL synchronous_commit = off"));
  return {};
}

RelaxedCommits::~RelaxedCommits() {
  if (!sqlite_relaxed_) return;
  if (auto restored = conn_.exec_script("PRAGMA synchronous=FULL"); !restored) {
    // Cannot happen short of memory exhaustion, and must not pass quietly.
    std::fprintf(stderr, "oauth: cannot restore synchronous=FULL: %s\n",
                 restored.error().detail().c_str());
    std::abort();
  }
}

}  // namespace cs::oauth::detail
