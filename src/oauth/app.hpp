// Partner apps (integration keys) and their versioned configuration (issue 3 §1; DESIGN.md
// "Versions and recertification").
//
// An app's scopes, redirect URIs and declared functions form its configuration. Each version
// of that configuration carries a certification status. `current` is the newest version;
// `certified` is the version production accounts use while a newer one (the *pending* version)
// waits for recertification. Sandbox accounts always use `current`.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "identity/roles.hpp"

namespace cs::oauth {

enum class ClientType { confidential, public_client };  // text: "confidential" / "public"
enum class AppStatus { active, disabled };
enum class CertificationStatus { uncertified, in_certification, certified };

std::string_view to_string(ClientType v);
std::string_view to_string(AppStatus v);
std::string_view to_string(CertificationStatus v);
std::optional<ClientType> parse_client_type(std::string_view s);
std::optional<AppStatus> parse_app_status(std::string_view s);
std::optional<CertificationStatus> parse_certification_status(std::string_view s);

// A scope and the plain-language sentence the consent page shows for it.
struct ScopeInfo {
  std::string_view name;
  std::string_view description;
};

// The eight scopes, in the order the consent page lists them.
std::span<const ScopeInfo> scope_catalogue();
bool is_known_scope(std::string_view name);
// The plain-language description, or an empty view for an unknown scope.
std::string_view scope_description(std::string_view name);

inline constexpr std::string_view kOfflineAccessScope = "offline_access";

// Declared functions: send, track, sign, embedded_signing, webhooks.
std::span<const std::string_view> app_functions();
bool is_known_function(std::string_view name);

struct AppConfiguration {
  std::vector<std::string> scopes;         // sorted, unique
  std::vector<std::string> redirect_uris;  // in registration order, unique
  std::vector<std::string> functions;      // sorted, unique

  bool operator==(const AppConfiguration&) const = default;
  bool allows_scope(std::string_view scope) const;
  bool has_redirect_uri(std::string_view uri) const;
};

// What changed between two configurations (what recertification reviewers see).
struct ConfigurationDiff {
  std::vector<std::string> added_scopes, removed_scopes;
  std::vector<std::string> added_redirect_uris, removed_redirect_uris;
  std::vector<std::string> added_functions, removed_functions;

  bool empty() const;
  // Only scopes were removed: such a change applies at once, without recertification.
  bool only_removes_scopes() const;
};

ConfigurationDiff diff(const AppConfiguration& from, const AppConfiguration& to);

// The JSON forms used by the API and the audit log.
nlohmann::json to_json(const AppConfiguration& c);
nlohmann::json to_json(const ConfigurationDiff& d);

struct AppVersion {
  std::string id;  // apv_...
  int number = 1;
  AppConfiguration config;
  CertificationStatus certification = CertificationStatus::uncertified;
  Micros created_at = 0;
};

struct App {
  std::string id;         // app_...
  std::string client_id;  // the integration key: "ik_" + 22 base62
  std::string partner_org_id;
  std::string name;
  std::string description;
  std::string documentation_url;
  std::string support_url;
  ClientType client_type = ClientType::confidential;
  AppStatus status = AppStatus::active;
  AppVersion current;
  std::optional<AppVersion> certified;  // may be the same version as `current`
  Micros created_at = 0;
  Micros updated_at = 0;

  // Sandbox: always `current`. Production: `certified` when there is one, else `current`.
  const AppVersion& effective_version(identity::Environment env) const;
  // A newer version than the certified one exists and waits for recertification.
  bool has_pending_version() const;
};

struct NewApp {
  std::string name;
  std::string description;
  ClientType client_type = ClientType::confidential;
  std::vector<std::string> redirect_uris;
  std::vector<std::string> scopes;
  std::vector<std::string> functions;
  std::string documentation_url;
  std::string support_url;
  std::string partner_org_id;
};

// A partial update; unset members stay as they are.
struct AppPatch {
  std::optional<std::string> name;
  std::optional<std::string> description;
  std::optional<std::vector<std::string>> redirect_uris;
  std::optional<std::vector<std::string>> scopes;
  std::optional<std::vector<std::string>> functions;
  std::optional<std::string> documentation_url;
  std::optional<std::string> support_url;
};

struct SecretInfo {
  std::string id;  // sec_...
  Micros created_at = 0;
  std::optional<Micros> last_used_at;
};

// A connection (grant) as the listing pages and /v1 show it. Never carries token material.
struct GrantSummary {
  std::string id;  // grt_...
  std::string app_id;
  std::string app_name;
  std::string client_id;
  std::string partner_org_id;
  std::string partner_org_name;
  std::string user_id;
  std::string user_email;
  std::string account_id;
  std::string account_name;
  std::vector<std::string> scopes;
  Micros created_at = 0;
  std::optional<Micros> last_used_at;
};

// Scope strings: OAuth's space-separated form <-> sorted unique lists.
std::vector<std::string> split_scopes(std::string_view space_separated);
std::string join_scopes(const std::vector<std::string>& scopes);

}  // namespace cs::oauth
