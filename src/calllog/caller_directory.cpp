#include "calllog/caller_directory.hpp"

#include "store/params.hpp"

namespace cs::calllog {
namespace {

// Bounds the cache; a full cache is simply emptied (the next calls reload what they need).
constexpr std::size_t kMaxEntries = 100'000;

}  // namespace

Result<std::optional<ClientApp>> CallerDirectory::app_for_client(const std::string& client_id) {
  const Micros now = clock_.now();
  {
    std::lock_guard lock(mu_);
    auto it = clients_.find(client_id);
    if (it != clients_.end() && now - it->second.loaded_at < ttl_) return it->second.value;
  }
  auto lease = CS_TRY(db_.connect());
  auto row = CS_TRY(lease->query_one("SELECT id, partner_org_id, current_version_id FROM apps WHERE client_id = $1",
                                     store::params(client_id)));
  std::optional<ClientApp> app;
  if (row) app = ClientApp{row->text(0), row->text(1), row->text(2)};
  std::lock_guard lock(mu_);
  if (clients_.size() >= kMaxEntries) clients_.clear();
  clients_[client_id] = {app, now};
  return app;
}

}  // namespace cs::calllog
