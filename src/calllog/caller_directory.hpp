// What the call log and the rate limiter need to know about a caller beyond the verified token:
// the app's partner org and effective version, and whether the account is production. Cached
// for a few seconds per (app, account) so an API call costs no extra query in the common case;
// a version certified a moment ago may be logged under the previous version for that long.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "store/database.hpp"

namespace cs::calllog {

struct CallerFacts {
  std::string partner_org_id;
  std::string app_version_id;  // production: the certified version when there is one
  bool production = false;
};

struct ClientApp {
  std::string app_id, partner_org_id, current_version_id;
};

class CallerDirectory {
 public:
  CallerDirectory(store::Database& db, const Clock& clock, Micros ttl = 10 * kMicrosPerSecond)
      : db_(db), clock_(clock), ttl_(ttl) {}

  // not_found when the app or account does not exist.
  Result<CallerFacts> facts(const std::string& app_id, const std::string& account_id);
  // nullopt for an unknown client id.
  Result<std::optional<ClientApp>> app_for_client(const std::string& client_id);

 private:
  template <class T>
  struct Entry {
    T value;
    Micros loaded_at;
  };
  store::Database& db_;
  const Clock& clock_;
  Micros ttl_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry<CallerFacts>> facts_;
  std::unordered_map<std::string, Entry<std::optional<ClientApp>>> clients_;
};

}  // namespace cs::calllog
