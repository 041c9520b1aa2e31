// Partner apps: registration, versioned configuration, client secrets, disabling (issue 3 §1).
//
// Authorisation: partner_admin / partner_developer of the app's org manage it
// (identity::Action::app_manage); staff read every app. Another tenant's app answers not_found.
// Every change is audited in the same transaction. Client secrets ("cs_sk_...") are 256-bit
// random, shown once and stored only as HMAC-SHA256 under the token-hash key.
//
// Versions (DESIGN.md "Versions and recertification"), applied by update():
//   * while `current` is uncertified it is edited in place;
//   * once `current` is in_certification or certified, a change that only removes scopes is
//     applied to it in place; anything else (adding a scope, changing a redirect URI or a
//     function) creates a new `current` version (number + 1, uncertified): the pending version;
//   * a removed scope is also removed from the certified version at once, so production stops
//     granting it immediately (verify_bearer intersects token scopes with the effective version).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "identity/actor.hpp"
#include "identity/principal.hpp"
#include "oauth/access_epoch.hpp"
#include "oauth/app.hpp"

namespace cs::store {
class Database;
class Connection;
}  // namespace cs::store
namespace cs::audit {
class AuditLog;
}
namespace cs::crypto {
class TokenHasher;
}

namespace cs::oauth {

inline constexpr int kMaxActiveSecrets = 2;

struct CreatedApp {
  App app;
  std::optional<std::string> client_secret;  // confidential apps only; shown once
};

struct NewSecret {
  SecretInfo info;
  std::string secret;  // shown once
};

class AppService {
 public:
  AppService(store::Database& db, const Clock& clock, audit::AuditLog& audit,
             const crypto::TokenHasher& hasher);

  // Validation failures answer Errc::validation_failed with the field ("redirect_uris/1").
  Result<CreatedApp> create(const identity::Principal& principal, const NewApp& in,
                            const identity::RequestContext& ctx);
  Result<App> get(const identity::Principal& principal, std::string_view app_id);
  Result<std::vector<App>> list(const identity::Principal& principal);
  Result<App> update(const identity::Principal& principal, std::string_view app_id,
                     const AppPatch& patch, const identity::RequestContext& ctx);
  // Revokes every grant, code and token of the app at once. Idempotent.
  Result<App> disable(const identity::Principal& principal, std::string_view app_id,
                      const identity::RequestContext& ctx);

  // Confidential apps only (Errc::invalid_state for public ones). Keeps at most
  // kMaxActiveSecrets active: the oldest active one is revoked.
  Result<NewSecret> rotate_secret(const identity::Principal& principal, std::string_view app_id,
                                  const identity::RequestContext& ctx);
  Result<std::vector<SecretInfo>> list_secrets(const identity::Principal& principal,
                                               std::string_view app_id);
  Status revoke_secret(const identity::Principal& principal, std::string_view app_id,
                       std::string_view secret_id, const identity::RequestContext& ctx);

  // Active grants (connections) of the app, for its partner members and staff.
  Result<std::vector<GrantSummary>> list_grants(const identity::Principal& principal,
                                                std::string_view app_id);

  // The certification issue moves versions through their statuses; nothing else calls this
  // (no HTTP route, no CLI). Audited. A version that becomes certified becomes its app's
  // `certified` version; the certified version losing that status leaves the app without one.
  Status set_certification_status(std::string_view app_version_id, CertificationStatus status,
                                  const identity::Actor& actor);

  // Runs inside update()'s transaction when a change gives an app that has a certified version
  // a new pending version (`app` as updated: `current` is the pending one). The certification
  // program opens the recertification request here, so the version and its request commit
  // together. Register at wiring time, before requests are served.
  using PendingVersionHook =
      std::function<Status(store::Connection& conn, const App& app, const identity::Actor& actor)>;
  void on_pending_version(PendingVersionHook hook) { pending_version_hooks_.push_back(std::move(hook)); }

  // Not authorised: for the OAuth endpoints and internal callers.
  Result<App> find_by_client_id(std::string_view client_id);
  Result<App> find_by_id(std::string_view app_id);

  // Client authentication (RFC 6749 §2.3). Errc::oauth_invalid_client for an unknown client, a
  // disabled app, a wrong or missing secret of a confidential client, or a secret presented by
  // a public client. The secret comparison runs in constant time against every active secret,
  // and an unknown client still costs one HMAC.
  Result<App> authenticate_client(std::string_view client_id,
                                  std::optional<std::string_view> secret);

  // Advanced after update(), disable() and set_certification_status() (and by the
  // AuthorizationServer after revocations): the bearer verification cache serves nothing
  // verified before (access_epoch.hpp). Shared so a listener may outlive this service.
  const std::shared_ptr<AccessEpoch>& access_epoch() const { return access_epoch_; }

 private:
  Result<App> load_visible(const identity::Principal& principal, std::string_view app_id,
                           bool manage);

  store::Database& db_;
  const Clock& clock_;
  audit::AuditLog& audit_;
  const crypto::TokenHasher& hasher_;
  std::shared_ptr<AccessEpoch> access_epoch_ = std::make_shared<AccessEpoch>();
  std::vector<PendingVersionHook> pending_version_hooks_;
};

}  // namespace cs::oauth
