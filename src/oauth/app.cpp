#include "oauth/app.hpp"

#include <algorithm>
#include <array>
#include <iterator>

namespace cs::oauth {
namespace {

// Issue 3 §1: the scopes, each documented in plain language for the consent page.
constexpr std::array<ScopeInfo, 8> kScopes = {{
    {"account:read", "Read your account's name and settings"},
    {"user:read", "Read your name and e-mail address"},
    {"envelope:read", "Read your envelopes, their documents and their status"},
    {"envelope:write", "Create and edit envelopes and their documents"},
    {"envelope:send", "Send envelopes for signature in your name"},
    {"signing:embedded", "Open signing sessions for your recipients inside the app"},
    {"webhook:manage", "Set up notifications about your envelopes to the app's servers"},
    {"offline_access", "Keep access while you are not using the app (refresh tokens)"},
}};

constexpr std::array<std::string_view, 5> kFunctions = {"send", "track", "sign", "embedded_signing",
                                                        "webhooks"};

std::vector<std::string> minus(const std::vector<std::string>& a,
                               const std::vector<std::string>& b) {
  std::vector<std::string> out;
  for (const auto& x : a)
    if (std::find(b.begin(), b.end(), x) == b.end()) out.push_back(x);
  return out;
}

}  // namespace

std::string_view to_string(ClientType v) {
  return v == ClientType::confidential ? "confidential" : "public";
}
std::string_view to_string(AppStatus v) { return v == AppStatus::active ? "active" : "disabled"; }
std::string_view to_string(CertificationStatus v) {
  switch (v) {
    case CertificationStatus::uncertified:
      return "uncertified";
    case CertificationStatus::in_certification:
      return "in_certification";
    case CertificationStatus::certified:
      return "certified";
  }
  return "uncertified";
}

std::optional<ClientType> parse_client_type(std::string_view s) {
  if (s == "confidential") return ClientType::confidential;
  if (s == "public") return ClientType::public_client;
  return std::nullopt;
}
std::optional<AppStatus> parse_app_status(std::string_view s) {
  if (s == "active") return AppStatus::active;
  if (s == "disabled") return AppStatus::disabled;
  return std::nullopt;
}
std::optional<CertificationStatus> parse_certification_status(std::string_view s) {
  if (s == "uncertified") return CertificationStatus::uncertified;
  if (s == "in_certification") return CertificationStatus::in_certification;
  if (s == "certified") return CertificationStatus::certified;
  return std::nullopt;
}

std::span<const ScopeInfo> scope_catalogue() { return kScopes; }

bool is_known_scope(std::string_view name) { return !scope_description(name).empty(); }

std::string_view scope_description(std::string_view name) {
  for (const auto& s : kScopes)
    if (s.name == name) return s.description;
  return {};
}

std::span<const std::string_view> app_functions() { return kFunctions; }

bool is_known_function(std::string_view name) {
  return std::find(kFunctions.begin(), kFunctions.end(), name) != kFunctions.end();
}

bool AppConfiguration::allows_scope(std::string_view scope) const {
  return std::binary_search(scopes.begin(), scopes.end(), scope, std::less<>());
}

bool AppConfiguration::has_redirect_uri(std::string_view uri) const {
  // RFC 9700 §4.1.3: exact string comparison, nothing else.
  return std::find(redirect_uris.begin(), redirect_uris.end(), uri) != redirect_uris.end();
}

bool ConfigurationDiff::empty() const {
  return added_scopes.empty() && removed_scopes.empty() && added_redirect_uris.empty() &&
         removed_redirect_uris.empty() && added_functions.empty() && removed_functions.empty();
}

bool ConfigurationDiff::only_removes_scopes() const {
  return !removed_scopes.empty() && added_scopes.empty() && added_redirect_uris.empty() &&
         removed_redirect_uris.empty() && added_functions.empty() && removed_functions.empty();
}

ConfigurationDiff diff(const AppConfiguration& from, const AppConfiguration& to) {
  ConfigurationDiff d;
  d.added_scopes = minus(to.scopes, from.scopes);
  d.removed_scopes = minus(from.scopes, to.scopes);
  d.added_redirect_uris = minus(to.redirect_uris, from.redirect_uris);
  d.removed_redirect_uris = minus(from.redirect_uris, to.redirect_uris);
  d.added_functions = minus(to.functions, from.functions);
  d.removed_functions = minus(from.functions, to.functions);
  return d;
}

const AppVersion& App::effective_version(identity::Environment env) const {
  // DESIGN.md: production keeps the certified configuration until the pending one is
  // recertified; sandbox uses the newest version straight away.
  if (env == identity::Environment::production && certified) return *certified;
  return current;
}

bool App::has_pending_version() const { return certified && certified->id != current.id; }

std::vector<std::string> split_scopes(std::string_view text) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') ++i;
    std::size_t j = i;
    while (j < text.size() && text[j] != ' ') ++j;
    if (j > i) out.emplace_back(text.substr(i, j - i));
    i = j;
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string join_scopes(const std::vector<std::string>& scopes) {
  std::string out;
  for (const auto& s : scopes) {
    if (!out.empty()) out += ' ';
    out += s;
  }
  return out;
}

nlohmann::json to_json(const AppConfiguration& c) {
  return {{"scopes", c.scopes}, {"redirect_uris", c.redirect_uris}, {"functions", c.functions}};
}

nlohmann::json to_json(const ConfigurationDiff& d) {
  return {{"added_scopes", d.added_scopes},
          {"removed_scopes", d.removed_scopes},
          {"added_redirect_uris", d.added_redirect_uris},
          {"removed_redirect_uris", d.removed_redirect_uris},
          {"added_functions", d.added_functions},
          {"removed_functions", d.removed_functions}};
}

}  // namespace cs::oauth
