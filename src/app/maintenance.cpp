#include "app/maintenance.hpp"

#include <spdlog/spdlog.h>

namespace cs::app {

Maintenance::Maintenance(std::vector<MaintenanceTask> tasks, std::chrono::milliseconds interval)
    : tasks_(std::move(tasks)), interval_(interval) {}

Maintenance::~Maintenance() { stop(); }

int Maintenance::run_once() {
  int failures = 0;
  for (const auto& task : tasks_) {
    auto removed = task.run();
    if (!removed) {
      ++failures;
      spdlog::warn("maintenance task {} failed: {}", task.name, removed.error().detail());
    } else if (*removed > 0) {
      spdlog::info("maintenance task {} removed {} row(s)", task.name, *removed);
    }
  }
  return failures;
}

void Maintenance::start() {
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, interval_, [this] { return stopping_; })) {
      lock.unlock();
      run_once();
      lock.lock();
    }
  });
}

void Maintenance::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace cs::app
