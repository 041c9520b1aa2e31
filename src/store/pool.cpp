#include "store/pool.hpp"

namespace cs::store {

ConnectionPool::ConnectionPool(Backend backend, int max_size, PoolHooks hooks,
                               std::chrono::milliseconds wait_limit)
    : backend_(backend),
      max_size_(max_size < 1 ? 1 : max_size),
      hooks_(std::move(hooks)),
      wait_limit_(wait_limit),
      state_(std::make_shared<State>()) {}

ConnectionPool::~ConnectionPool() {
  std::vector<std::unique_ptr<Connection>> idle;
  {
    std::lock_guard lock(state_->mu);
    state_->closed = true;
    idle.swap(state_->idle);
  }
  // Connections still lent out are closed when their lease returns them (see release()).
}

void ConnectionPool::release(const std::shared_ptr<State>& state,
                             std::unique_ptr<Connection> conn) {
  // A lease dropped mid-transaction (an early return that skipped commit) must not leak its
  // open transaction to the next borrower.
  if (conn->in_transaction() && !conn->rollback()) conn.reset();
  std::lock_guard lock(state->mu);
  if (conn && !state->closed) {
    state->idle.push_back(std::move(conn));
  } else {
    --state->open_count;
  }
  state->cv.notify_one();
}

ConnectionLease ConnectionPool::lease(std::unique_ptr<Connection> conn) {
  std::shared_ptr<State> state = state_;
  return ConnectionLease(std::move(conn),
                         [state](std::unique_ptr<Connection> c) { release(state, std::move(c)); });
}

Result<ConnectionLease> ConnectionPool::connect() {
  for (;;) {
    std::unique_ptr<Connection> conn;
    {
      std::unique_lock lock(state_->mu);
      bool ready = state_->cv.wait_for(lock, wait_limit_, [&] {
        return !state_->idle.empty() || state_->open_count < max_size_;
      });
      if (!ready) {
        return cs::fail(Errc::unavailable, "the database is busy",
                        "no pooled connection became free within the wait limit");
      }
      if (!state_->idle.empty()) {
        conn = std::move(state_->idle.back());
        state_->idle.pop_back();
      } else {
        ++state_->open_count;
      }
    }
    if (conn) {
      if (!hooks_.revive || hooks_.revive(*conn)) return lease(std::move(conn));
      // Broken: drop it and go round again, which opens a fresh one.
      conn.reset();
      std::lock_guard lock(state_->mu);
      --state_->open_count;
      continue;
    }
    auto opened = hooks_.open();
    if (!opened) {
      std::lock_guard lock(state_->mu);
      --state_->open_count;
      state_->cv.notify_one();
      return tl::unexpected(std::move(opened).error());
    }
    return lease(std::move(*opened));
  }
}

Status ConnectionPool::ping() {
  auto conn = CS_TRY(connect());
  auto rows = CS_TRY(conn->query("SELECT 1"));
  if (rows.size() != 1)
    return cs::fail(Errc::unavailable, "the database is not ready", "SELECT 1 returned no row");
  return {};
}

}  // namespace cs::store
