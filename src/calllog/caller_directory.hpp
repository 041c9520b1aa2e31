// The app behind an OAuth client id, for recording /oauth calls, which carry no verified access
// token (bearer verification gives /v1 calls their partner org, version and environment).
// Cached for a few seconds per client id so a token request costs no extra query in the common
// case.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "store/database.hpp"

namespace cs::calllog {

struct ClientApp {
  std::string app_id, partner_org_id, current_version_id;
};

class CallerDirectory {
 public:
  CallerDirectory(store::Database& db, const Clock& clock, Micros ttl = 10 * kMicrosPerSecond)
      : db_(db), clock_(clock), ttl_(ttl) {}

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
  std::unordered_map<std::string, Entry<std::optional<ClientApp>>> clients_;
};

}  // namespace cs::calllog
