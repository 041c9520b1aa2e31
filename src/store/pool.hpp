// The connection pool both backends share: an idle list guarded by a mutex, at most
// `max_size` open connections, and callers that wait (bounded) when all are lent out.
// Internal to src/store; services see only Database.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "store/database.hpp"

namespace cs::store {

struct PoolHooks {
  // Opens a new connection.
  std::function<Result<std::unique_ptr<Connection>>()> open;
  // Called on an idle connection before it is lent out again; answers false when the connection
  // is broken beyond repair (it is then dropped and a fresh one opened).
  std::function<bool(Connection&)> revive;
};

class ConnectionPool final : public Database {
 public:
  ConnectionPool(Backend backend, int max_size, PoolHooks hooks,
                 std::chrono::milliseconds wait_limit = std::chrono::seconds(30));
  ~ConnectionPool() override;

  Backend backend() const override { return backend_; }
  Result<ConnectionLease> connect() override;
  Status ping() override;

 private:
  // Shared with outstanding leases so that returning a connection never touches a freed pool.
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    std::vector<std::unique_ptr<Connection>> idle;
    int open_count = 0;
    bool closed = false;
  };
  static void release(const std::shared_ptr<State>& state, std::unique_ptr<Connection> conn);
  ConnectionLease lease(std::unique_ptr<Connection> conn);

  Backend backend_;
  int max_size_;
  PoolHooks hooks_;
  std::chrono::milliseconds wait_limit_;
  std::shared_ptr<State> state_;
};

}  // namespace cs::store
