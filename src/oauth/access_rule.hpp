// DESIGN.md "Access rule", as a pure function: enforced when a token is issued and again on
// every API call (AuthorizationServer::approve, token, verify_bearer).
//
//   * any registered app may use sandbox accounts;
//   * on production accounts an app may act only if its effective version is certified, or the
//     account belongs to the app's own partner org, or the account admin turned on "Allow
//     uncertified partner applications to access data from this account".
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "identity/roles.hpp"
#include "oauth/app.hpp"

namespace cs::oauth {

struct AccessInputs {
  identity::Environment environment = identity::Environment::sandbox;
  std::optional<std::string> account_partner_org_id;  // the partner org owning the account
  bool allow_uncertified_apps = false;                // the account's CURRENT setting
  std::string app_partner_org_id;
  CertificationStatus status = CertificationStatus::uncertified;  // of the effective version
};

// Why access is allowed, or that it is not.
enum class AccessVerdict {
  sandbox,
  certified,
  own_partner_account,
  allowed_by_account_setting,
  not_certified,
};

AccessVerdict decide_access(const AccessInputs& in);
bool allowed(AccessVerdict v);
std::string_view to_string(AccessVerdict v);

// What the customer is told when the rule refuses (consent redirect and app_not_certified).
std::string_view not_certified_message();

}  // namespace cs::oauth
