#include "calllog/caller_directory.hpp"

#include "store/params.hpp"

namespace cs::calllog {
namespace {

// Bounds the caches; a full cache is simply emptied (the next calls reload what they need).
constexpr std::size_t kMaxEntries = 100'000;

}  // namespace

Result<CallerFacts> CallerDirectory::facts(const std::string& app_id, const std::string& account_id) {
  std::string key = app_id + '\n' + account_id;
  const Micros now = clock_.now();
  {
    std::lock_guard lock(mu_);
    auto it = facts_.find(key);
    if (it != facts_.end() && now - it->second.loaded_at < ttl_) return it->second.value;
  }
  auto lease = CS_TRY(db_.connect());
  auto row = CS_TRY(lease->query_one(
      "SELECT a.partner_org_id, acc.environment, CASE WHEN acc.environment = 'production' AND "
      "a.certified_version_id IS NOT NULL THEN a.certified_version_id ELSE a.current_version_id END "
      "FROM apps a, accounts acc WHERE a.id = $1 AND acc.id = $2",
      store::params(app_id, account_id)));
  if (!row) return fail(Errc::not_found, "No such app or account");
  CallerFacts f{row->text(0), row->text(2), row->text(1) == "production"};
  std::lock_guard lock(mu_);
  if (facts_.size() >= kMaxEntries) facts_.clear();
  facts_[key] = {f, now};
  return f;
}

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
