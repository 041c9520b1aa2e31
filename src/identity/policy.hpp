// The one place that answers "may this principal do this action on this resource" (issue 2 §5).
// Pure logic, no I/O: callers load the Principal and describe the Resource (its owning account
// and/or partner org) and route every authorisation decision through decide()/require().
//
// The rules, in short (policy.cpp holds them as tables):
//   * account admin: everything on their own account, including its settings and members;
//   * sender: read the account, create and read envelopes;
//   * partner_admin: read the org, manage its members and apps, read and submit certifications;
//   * partner_developer: the same without managing members;
//   * staff read partner orgs, apps and certification requests across tenants; on top of that
//     certification_engineer/security_reviewer review, partner_manager assigns, final_approver
//     gives the final approval, operator reads accounts and the audit log and manages
//     operational matters. Staff never change a customer account's settings or members and
//     never touch envelopes: that is the customer's data.
//
// A denial says how to answer: not_found when the resource belongs to a tenant the principal
// cannot see at all (so another tenant's ids do not even reveal that they exist), forbidden
// when the principal can see the resource but lacks the role for this action.
#pragma once

#include <string>
#include <string_view>

#include "core/error.hpp"
#include "identity/principal.hpp"

namespace cs::identity {

enum class Action {
  account_read,
  account_manage_settings,
  account_manage_members,
  connection_manage,  // connect the account to partner apps, revoke connections
  envelope_create,
  envelope_read,
  partner_read,
  partner_manage_members,
  app_read,
  app_manage,
  certification_read,
  certification_submit,
  certification_review,
  certification_assign,
  certification_final_approve,
  staff_read_all,  // platform-wide listings (all partners, the review queue)
  audit_read,
  operator_manage,  // keys, configuration, the holiday calendar, jobs
};

std::string_view to_string(Action a);

enum class ResourceType {
  platform,  // not owned by any tenant: queues, configuration, the whole audit log
  account,
  envelope,
  connection,
  partner_org,
  app,
  certification_request,
  audit_log,  // with account_id: that account's part of the log
};

// What the action is applied to. account_id and partner_org_id name the tenant that owns the
// resource (empty when none does): an envelope carries its account, an app or a certification
// request its partner org, a connection both.
struct Resource {
  ResourceType type = ResourceType::platform;
  std::string account_id;
  std::string partner_org_id;

  static Resource platform() { return {ResourceType::platform, {}, {}}; }
  static Resource account(std::string id) { return {ResourceType::account, std::move(id), {}}; }
  static Resource partner_org(std::string id) {
    return {ResourceType::partner_org, {}, std::move(id)};
  }
};

class AccessDecision {
 public:
  enum class Outcome { allow, deny_not_found, deny_forbidden };

  static AccessDecision allow() { return AccessDecision(Outcome::allow); }
  static AccessDecision not_found() { return AccessDecision(Outcome::deny_not_found); }
  static AccessDecision forbidden() { return AccessDecision(Outcome::deny_forbidden); }

  Outcome outcome() const { return outcome_; }
  bool allowed() const { return outcome_ == Outcome::allow; }
  explicit operator bool() const { return allowed(); }
  bool operator==(const AccessDecision&) const = default;

  // The error to answer with; only meaningful for a denial.
  Error to_error() const;

 private:
  explicit AccessDecision(Outcome o) : outcome_(o) {}
  Outcome outcome_;
};

AccessDecision decide(const Principal& principal, Action action, const Resource& resource);

// decide() as a Status: ok when allowed, else Errc::not_found or Errc::forbidden.
Status require(const Principal& principal, Action action, const Resource& resource);

}  // namespace cs::identity
