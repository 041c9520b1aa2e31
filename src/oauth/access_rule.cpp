#include "oauth/access_rule.hpp"

namespace cs::oauth {

AccessVerdict decide_access(const AccessInputs& in) {
  if (in.environment == identity::Environment::sandbox) return AccessVerdict::sandbox;
  if (in.status == CertificationStatus::certified) return AccessVerdict::certified;
  if (in.account_partner_org_id && !in.app_partner_org_id.empty() &&
      *in.account_partner_org_id == in.app_partner_org_id) {
    return AccessVerdict::own_partner_account;
  }
  if (in.allow_uncertified_apps) return AccessVerdict::allowed_by_account_setting;
  return AccessVerdict::not_certified;
}

bool allowed(AccessVerdict v) { return v != AccessVerdict::not_certified; }

std::string_view to_string(AccessVerdict v) {
  switch (v) {
    case AccessVerdict::sandbox:
      return "sandbox";
    case AccessVerdict::certified:
      return "certified";
    case AccessVerdict::own_partner_account:
      return "own_partner_account";
    case AccessVerdict::allowed_by_account_setting:
      return "allowed_by_account_setting";
    case AccessVerdict::not_certified:
      return "not_certified";
  }
  return "not_certified";
}

std::string_view not_certified_message() {
  return "This app is not certified. An account administrator can allow uncertified partner "
         "applications in the account's Security Settings (Allow uncertified partner "
         "applications to access data from this account).";
}

}  // namespace cs::oauth
