#include "store/sqlite/writer_queue.hpp"

#include <filesystem>
#include <map>
#include <system_error>

namespace cs::store {

std::shared_ptr<WriterQueue> WriterQueue::for_file(const std::string& path) {
  static std::mutex registry_mu;
  static std::map<std::string, std::weak_ptr<WriterQueue>> registry;
  std::error_code ec;
  std::string key = std::filesystem::weakly_canonical(std::filesystem::absolute(path, ec), ec).string();
  if (ec || key.empty()) key = path;
  std::lock_guard lock(registry_mu);
  // Drop the entries of files nobody has open any more, so the map stays small.
  std::erase_if(registry, [](const auto& entry) { return entry.second.expired(); });
  if (auto existing = registry[key].lock()) return existing;
  auto queue = std::make_shared<WriterQueue>();
  registry[key] = queue;
  return queue;
}

bool WriterQueue::acquire(std::chrono::milliseconds limit) {
  std::unique_lock lock(mu_);
  if (!held_ && waiters_.empty()) {
    held_ = true;
    return true;
  }
  Waiter me;
  auto pos = waiters_.insert(waiters_.end(), &me);
  if (me.cv.wait_for(lock, limit, [&] { return me.granted; })) return true;
  // Not granted while we held mu_, so `me` is still queued: leave the queue.
  waiters_.erase(pos);
  return false;
}

void WriterQueue::release() {
  std::lock_guard lock(mu_);
  if (waiters_.empty()) {
    held_ = false;
    return;
  }
  // The turn passes directly (held_ stays true), so a newcomer cannot overtake the waiters.
  Waiter* next = waiters_.front();
  waiters_.pop_front();
  next->granted = true;
  next->cv.notify_one();
}

std::uint64_t WriterQueue::note_commit() { return committed_.fetch_add(1) + 1; }

int WriterQueue::sync_through(std::uint64_t commit, const std::function<int()>& sync) {
  std::lock_guard lock(sync_mu_);
  if (synced_ >= commit) return 0;
  // Everything numbered by now has been written, so this sync covers it.
  std::uint64_t covers = committed_.load();
  int rc = sync();
  syncs_.fetch_add(1);
  if (rc == 0) synced_ = covers;
  return rc;
}

std::size_t WriterQueue::waiting() const {
  std::lock_guard lock(mu_);
  return waiters_.size();
}

}  // namespace cs::store
