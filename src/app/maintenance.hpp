// Periodic housekeeping while the server runs: expired sessions and stale sign-in throttle
// records are deleted. Every task is an idempotent delete, so several servers sharing one
// database may each run it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/error.hpp"

namespace cs::app {

struct MaintenanceTask {
  std::string name;
  std::function<Result<std::int64_t>()> run;  // returns how many rows it removed
};

class Maintenance {
 public:
  Maintenance(std::vector<MaintenanceTask> tasks, std::chrono::milliseconds interval);
  ~Maintenance();
  Maintenance(const Maintenance&) = delete;
  Maintenance& operator=(const Maintenance&) = delete;

  // Runs every task once, logging what it removed and any failure; a failing task does not
  // stop the others. Returns the number of tasks that failed.
  int run_once();
  // Runs run_once() every interval on a thread of its own until stop().
  void start();
  void stop();

 private:
  std::vector<MaintenanceTask> tasks_;
  std::chrono::milliseconds interval_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace cs::app
