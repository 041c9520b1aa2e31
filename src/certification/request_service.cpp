#include "certification/request_service.hpp"

#include <algorithm>
#include <set>

#include "certification/catalogue.hpp"
#include "certification/final_review.hpp"
#include "certification/notifications.hpp"
#include "certification/request_edges.hpp"
#include "core/ids.hpp"
#include "identity/policy.hpp"
#include "oauth/app_service.hpp"
#include "store/params.hpp"

namespace cs::certification {

namespace {

using identity::StaffRole;

Error unmet(const std::vector<Missing>& missing) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& m : missing) list.push_back({{"requirement_id", m.requirement_id}, {"message", m.message}});
  return Error(Errc::requirements_unmet,
               std::to_string(missing.size()) + " requirement(s) are not met yet; see `missing`")
      .with_extensions_json(nlohmann::json{{"missing", std::move(list)}}.dump());
}

bool blank(std::string_view s) { return s.find_first_not_of(" \t\r\n") == std::string_view::npos; }

bool sees_every_request(const identity::Principal& who) {
  return who.has_staff_role(StaffRole::partner_manager) || who.has_staff_role(StaffRole::final_approver) ||
         who.has_staff_role(StaffRole::platform_operator);
}

bool is_member(const identity::Principal& who, const Request& r) { return who.partner_roles.contains(r.partner_org_id); }

identity::Resource resource_of(const Request& r) {
  return {identity::ResourceType::certification_request, {}, r.partner_org_id};
}

Status require_partner(const identity::Principal& who, const Request& r) {
  if (!is_member(who, r)) return fail(Errc::forbidden, "Only members of the partner org can do this");
  return identity::require(who, identity::Action::certification_submit, resource_of(r));
}

// The assigned holder of `role` on the request.
Status require_assigned(store::Connection& conn, const identity::Principal& who, const Request& r,
                        AssignmentRole role) {
  auto current = CS_TRY(current_assignment(conn, r.id, role));
  if (!current || current->user_id != who.user_id) {
    return fail(Errc::forbidden, "Only the assigned " + std::string(to_string(role)) + " can do this");
  }
  return {};
}

Status require_reason(std::string_view reason) {
  if (blank(reason) || reason.size() > 4000) {
    return fail(Error(Errc::validation_failed, "Give a reason (at most 4,000 characters)").with_field("reason"));
  }
  return {};
}

}  // namespace

RequestService::RequestService(store::Database& db, const Clock& clock, audit::AuditLog& audit,
                               const BusinessCalendar& calendar, oauth::AppService& apps, EvidenceSource* evidence)
    : db_(db), clock_(clock), audit_(audit), calendar_(calendar), apps_(apps), evidence_(evidence) {}

void RequestService::on_transition(TransitionHook hook) { hooks_.push_back(std::move(hook)); }

// ---- unscoped -------------------------------------------------------------------------------

Status RequestService::check_guard(store::Connection& conn, const Request& request, Action action,
                                   std::string_view reason) {
  Micros now = clock_.now();
  switch (action) {
    case Action::submit: {
      if (!evidence_) return fail(Errc::unavailable, "The evidence service is not available");
      auto facts = CS_TRY(evidence_->submission_facts(conn, request));
      if (auto missing = missing_for_submission(facts, now, calendar_); !missing.empty()) return fail(unmet(missing));
      return {};
    }
    case Action::assign: {
      std::vector<Missing> missing;
      for (auto role : {AssignmentRole::certification_engineer, AssignmentRole::security_reviewer}) {
        if (!CS_TRY(current_assignment(conn, request.id, role))) {
          missing.push_back({"assignment", "Assign a " + std::string(to_string(role))});
        }
      }
      if (!missing.empty()) return fail(unmet(missing));
      return {};
    }
    case Action::remedy: {
      std::vector<Missing> missing;
      for (const auto& f : CS_TRY(list_findings(conn, request.id))) {
        if (f.status == "open") missing.push_back({f.requirement_id, "Respond to finding " + f.id});
      }
      if (!missing.empty()) return fail(unmet(missing));
      return {};
    }
    case Action::approve: {
      if (!evidence_) return fail(Errc::unavailable, "The evidence service is not available");
      ApprovalFacts facts;
      facts.failing_checks = CS_TRY(evidence_->unresolved_checks(conn, request));
      facts.open_findings = CS_TRY(count_unclosed_findings(conn, request.id));
      facts.security_reviewer_confirmed_encryption = request.encryption_confirmed_at.has_value();
      if (auto missing = missing_for_approval(facts); !missing.empty()) return fail(unmet(missing));
      return {};
    }
    case Action::request_promotion: {
      auto row = CS_TRY(conn.query_one("SELECT 1 FROM cert_promotion_forms WHERE request_id = $1",
                                       store::params(request.id)));
      if (!row) return fail(unmet({{"QUES-3", "Fill in the integration key promotion form"}}));
      return {};
    }
    case Action::reject:
    case Action::decline: return require_reason(reason);
    default: return {};
  }
}

Result<Request> RequestService::run_edge(store::Connection& conn, const Request& before, Action action,
                                         const identity::Actor& actor, std::string_view reason) {
  auto after = CS_TRY(apply_edge(conn, audit_, before, action, actor, reason, clock_.now(), &calendar_));
  for (const auto& hook : hooks_) CS_CHECK(hook(conn, after, action, actor));
  return after;
}

// submitted/remedied -> in_review once both reviewers are assigned; a request entering review
// with a finding that still waits for the partner goes straight on to changes_requested.
Result<Request> RequestService::advance_if_staffed(store::Connection& conn, Request request,
                                                   const identity::Actor& actor) {
  if (request.state != State::submitted && request.state != State::remedied) return request;
  if (!check_guard(conn, request, Action::assign, {})) return request;
  request = CS_TRY(run_edge(conn, request, Action::assign, actor, {}));
  if (CS_TRY(count_findings_awaiting_response(conn, request.id)) > 0) {
    request = CS_TRY(run_edge(conn, request, Action::request_changes, actor, "open findings"));
  }
  return request;
}

Result<Request> RequestService::transition(store::Connection& conn, std::string_view request_id, Action action,
                                           const identity::Actor& actor, std::string_view reason) {
  return store::in_transaction(conn, [&](store::Connection& c) -> Result<Request> {
    auto before = CS_TRY(load_request(c, request_id, true));
    if (!next_state(before.state, action)) {
      return fail(Errc::invalid_transition, "A request in state " + std::string(to_string(before.state)) +
                                                " does not allow " + std::string(to_string(action)));
    }
    CS_CHECK(check_guard(c, before, action, reason));
    auto after = CS_TRY(run_edge(c, before, action, actor, reason));
    if (action == Action::submit || action == Action::remedy) {
      // The automated pre-review runs on submission and again on every resubmission.
      if (evidence_) CS_CHECK(evidence_->enqueue_pre_review(c, after));
      after = CS_TRY(advance_if_staffed(c, after, actor));
    } else if (action == Action::assign && CS_TRY(count_findings_awaiting_response(c, after.id)) > 0) {
      after = CS_TRY(run_edge(c, after, Action::request_changes, actor, "open findings"));
    }
    return after;
  });
}

Result<Assignment> RequestService::assign(store::Connection& conn, std::string_view request_id, AssignmentRole role,
                                          std::optional<std::string> user_id, const identity::Actor& actor) {
  return store::in_transaction(conn, [&](store::Connection& c) -> Result<Assignment> {
    auto request = CS_TRY(load_request(c, request_id, true));
    if (request.state == State::draft || request.state == State::certified || is_final(request.state)) {
      return fail(Errc::invalid_transition,
                  "Reviewers are assigned to submitted requests (this one is " + std::string(to_string(request.state)) + ")");
    }
    std::optional<Assignment> previous;
    if (role == AssignmentRole::final_approver) previous = CS_TRY(current_assignment(c, request.id, role));
    // Reassigning the final approver without naming one picks the least loaded other approver.
    std::string user = user_id ? *user_id
                               : CS_TRY(least_loaded_staff(c, role, previous ? previous->user_id : std::string()));
    if (user_id) CS_CHECK(check_staff_role(c, user, role));
    if (previous && previous->user_id == user) return *previous;  // already theirs: nothing changes
    Micros now = clock_.now();
    std::string by = actor.type == "user" ? actor.id : "system";
    auto assignment = CS_TRY(record_assignment(c, request.id, role, user, by, now));
    nlohmann::json facts = {{"user_id", user}, {"role", std::string(to_string(role))}};
    if (role == AssignmentRole::final_approver && request.state == State::final_review &&
        request.certification_envelope_id) {
      // The certificate is out for signature with the previous approver: from this commit its
      // outcome decides nothing (the request forgets it), and the final-review job voids it and
      // sends a new one to the new approver (final_review.hpp).
      facts["replaces_envelope_id"] = *request.certification_envelope_id;
      CS_TRY(c.exec("UPDATE cert_requests SET certification_envelope_id = NULL, updated_at = $2 WHERE id = $1",
                    store::params(request.id, now)));
      CS_TRY(store::enqueue(c,
                            {std::string(kFinalReviewJobKind),
                             nlohmann::json{{"request_id", request.id},
                                            {"replaces_envelope_id", *request.certification_envelope_id}}
                                 .dump()},
                            clock_));
    }
    CS_CHECK(append_history(c,
                            HistoryEntry{.request_id = request.id,
                                         .actor = actor,
                                         .action = "assigned",
                                         .from_state = std::nullopt,
                                         .to_state = std::nullopt,
                                         .reason = {},
                                         .detail_json = facts.dump()},
                            now));
    CS_CHECK(audit_request(c, audit_, request, actor, "certification.request.assigned", facts));
    CS_CHECK(notify(c, request, Notice::assigned, facts, now));
    CS_TRY(advance_if_staffed(c, request, actor));
    return assignment;
  });
}

Result<std::vector<Assignment>> RequestService::assignments(store::Connection& conn, std::string_view request_id) {
  return current_assignments(conn, request_id);
}

// ---- principal-scoped -----------------------------------------------------------------------

Status RequestService::check_visible(store::Connection& conn, const identity::Principal& who, const Request& r) {
  if (is_member(who, r) || sees_every_request(who)) return {};
  if ((who.has_staff_role(StaffRole::certification_engineer) || who.has_staff_role(StaffRole::security_reviewer)) &&
      CS_TRY(is_assigned(conn, r.id, who.user_id))) {
    return {};
  }
  return fail(Errc::not_found, "Certification request not found");
}

Result<Request> RequestService::load_visible(store::Connection& conn, const identity::Principal& who,
                                             std::string_view request_id, bool lock) {
  auto request = CS_TRY(load_request(conn, request_id, lock));
  CS_CHECK(check_visible(conn, who, request));
  return request;
}

Result<Request> RequestService::open(const identity::Principal& who, std::string_view app_id,
                                     const identity::Actor& actor) {
  auto app = CS_TRY(apps_.get(who, app_id));  // another org's app answers not_found
  CS_CHECK(identity::require(who, identity::Action::certification_submit,
                             {identity::ResourceType::certification_request, {}, app.partner_org_id}));
  if (!who.partner_roles.contains(app.partner_org_id)) {
    return fail(Errc::forbidden, "Only members of the partner org can open a certification request");
  }
  if (app.status != oauth::AppStatus::active) {
    return fail(Error(Errc::validation_failed, "A disabled app cannot be certified").with_field("app_id"));
  }
  if (app.current.certification == oauth::CertificationStatus::certified) {
    return fail(Errc::conflict, "The app's current version is already certified");
  }
  auto created = store::transact(db_, [&](store::Connection& conn) -> Result<Request> {
    auto active = CS_TRY(conn.query_one(
        "SELECT id FROM cert_requests WHERE app_id = $1 AND state NOT IN ('withdrawn', 'rejected', 'launched')",
        store::params(app.id)));
    if (active) {
      return fail(Error(Errc::conflict, "The app already has an active certification request: " + active->text(0))
                      .with_extensions_json(nlohmann::json{{"active_request_id", active->text(0)}}.dump()));
    }
    Micros now = clock_.now();
    Request r;
    r.id = new_id("crq");
    r.app_id = app.id;
    r.app_version_id = app.current.id;
    r.partner_org_id = app.partner_org_id;
    r.kind = Kind::initial;
    r.state = State::draft;
    r.catalogue_version = current_catalogue().version;
    r.created_by = who.user_id;
    r.created_at = now;
    r.updated_at = now;
    CS_TRY(conn.exec("INSERT INTO cert_requests (id, app_id, app_version_id, partner_org_id, kind, state, "
                     "catalogue_version, created_by, created_at, updated_at) "
                     "VALUES ($1, $2, $3, $4, 'initial', 'draft', $5, $6, $7, $7)",
                     store::params(r.id, r.app_id, r.app_version_id, r.partner_org_id, r.catalogue_version,
                                   r.created_by, now)));
    nlohmann::json facts = {{"catalogue_version", r.catalogue_version}, {"kind", "initial"}};
    CS_CHECK(append_history(conn,
                            HistoryEntry{.request_id = r.id,
                                         .actor = actor,
                                         .action = "opened",
                                         .from_state = std::nullopt,
                                         .to_state = State::draft,
                                         .reason = {},
                                         .detail_json = facts.dump()},
                            now));
    CS_CHECK(audit_request(conn, audit_, r, actor, "certification.request.opened", facts));
    return r;
  });
  if (!created) return created;
  // The version is in certification from the moment its request exists (AppService runs its own
  // audited transaction, so this follows the commit; it is idempotent).
  CS_CHECK(apps_.set_certification_status(created->app_version_id, oauth::CertificationStatus::in_certification, actor));
  return created;
}

Result<Request> RequestService::get(const identity::Principal& who, std::string_view request_id) {
  auto conn = CS_TRY(db_.connect());
  return load_visible(*conn, who, request_id, false);
}

Result<std::vector<Request>> RequestService::list(const identity::Principal& who, const RequestFilter& filter) {
  auto conn = CS_TRY(db_.connect());
  std::vector<std::string> ids;
  if (sees_every_request(who)) {
    for (const auto& row : CS_TRY(conn->query("SELECT id FROM cert_requests"))) ids.push_back(row.text(0));
  } else {
    for (const auto& [org, role] : who.partner_roles) {
      for (const auto& row :
           CS_TRY(conn->query("SELECT id FROM cert_requests WHERE partner_org_id = $1", store::params(org)))) {
        ids.push_back(row.text(0));
      }
    }
    if (who.has_staff_role(StaffRole::certification_engineer) || who.has_staff_role(StaffRole::security_reviewer)) {
      for (const auto& row : CS_TRY(conn->query(
               "SELECT DISTINCT request_id FROM cert_assignments WHERE user_id = $1 AND unassigned_at IS NULL",
               store::params(who.user_id)))) {
        ids.push_back(row.text(0));
      }
    }
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::vector<Request> out;
  for (const auto& id : ids) {
    auto r = CS_TRY(load_request(*conn, id));
    if (filter.state && r.state != *filter.state) continue;
    if (filter.app_id && r.app_id != *filter.app_id) continue;
    out.push_back(std::move(r));
  }
  std::sort(out.begin(), out.end(), [](const Request& a, const Request& b) {
    return a.created_at != b.created_at ? a.created_at > b.created_at : a.id > b.id;
  });
  return out;
}

Result<Request> RequestService::submit(const identity::Principal& who, std::string_view request_id,
                                       const identity::Actor& actor) {
  return store::transact(db_, [&](store::Connection& conn) -> Result<Request> {
    auto r = CS_TRY(load_visible(conn, who, request_id, true));
    CS_CHECK(require_partner(who, r));
    return transition(conn, r.id, Action::submit, actor, {});
  });
}

Result<Request> RequestService::remedy(const identity::Principal& who, std::string_view request_id,
                                       const identity::Actor& actor) {
  return store::transact(db_, [&](store::Connection& conn) -> Result<Request> {
    auto r = CS_TRY(load_visible(conn, who, request_id, true));
    CS_CHECK(require_partner(who, r));
    return transition(conn, r.id, Action::remedy, actor, {});
  });
}

Status RequestService::after_close(const Request& request, const identity::Actor& actor) {
  // The version leaves certification with its request (it never reached `certified`).
  return apps_.set_certification_status(request.app_version_id, oauth::CertificationStatus::uncertified, actor);
}

Result<Request> RequestService::withdraw(const identity::Principal& who, std::string_view request_id,
                                         std::string_view reason, const identity::Actor& actor) {
  if (reason.size() > 4000) {
    return fail(Error(Errc::validation_failed, "The reason is limited to 4,000 characters").with_field("reason"));
  }
  auto done = store::transact(db_, [&](store::Connection& conn) -> Result<Request> {
    auto r = CS_TRY(load_visible(conn, who, request_id, true));
    CS_CHECK(require_partner(who, r));
    return transition(conn, r.id, Action::withdraw, actor, reason);
  });
  if (done) CS_CHECK(after_close(*done, actor));
  return done;
}

Result<Request> RequestService::reject(const identity::Principal& who, std::string_view request_id,
                                       std::string_view reason, const identity::Actor& actor) {
  auto done = store::transact(db_, [&](store::Connection& conn) -> Result<Request> {
    auto r = CS_TRY(load_visible(conn, who, request_id, true));
    bool may = who.has_staff_role(StaffRole::partner_manager) || who.has_staff_role(StaffRole::final_approver) ||
               ((who.has_staff_role(StaffRole::certification_engineer) ||
                 who.has_staff_role(StaffRole::security_reviewer)) &&
                CS_TRY(is_assigned(conn, r.id, who.user_id)));
    if (!may) return fail(Errc::forbidden, "Only certification staff can reject a request");
    return transition(conn, r.id, Action::reject, actor, reason);
  });
  if (done) CS_CHECK(after_close(*done, actor));
  return done;
}

Result<Request> RequestService::approve(const identity::Principal& who, std::string_view request_id,
                                        const identity::Actor& actor) {
  return store::transact(db_, [&](store::Connection& conn) -> Result<Request> {
    auto r = CS_TRY(load_visible(conn, who, request_id, true));
    CS_CHECK(require_assigned(conn, who, r, AssignmentRole::certification_engineer));
    return transition(conn, r.id, Action::approve, actor, {});
  });
}

Result<Request> RequestService::confirm_encryption(const identity::Principal& who, std::string_view request_id,
                                                   const identity::Actor& actor) {
  return store::transact(db_, [&](store::Connection& conn) -> Result<Request> {
    auto r = CS_TRY(load_visible(conn, who, request_id, true));
    CS_CHECK(require_assigned(conn, who, r, AssignmentRole::security_reviewer));
    if (r.state != State::in_review && r.state != State::changes_requested && r.state != State::remedied) {
      return fail(Errc::invalid_transition, "The encryption confirmation belongs to the review (the request is " +
                                                std::string(to_string(r.state)) + ")");
    }
    if (r.encryption_confirmed_at) return r;
    Micros now = clock_.now();
    CS_TRY(conn.exec("UPDATE cert_requests SET encryption_confirmed_by = $2, encryption_confirmed_at = $3, "
                     "updated_at = $3 WHERE id = $1",
                     store::params(r.id, who.user_id, now)));
    r.encryption_confirmed_by = who.user_id;
    r.encryption_confirmed_at = now;
    r.updated_at = now;
    CS_CHECK(append_history(conn,
                            HistoryEntry{.request_id = r.id,
                                         .actor = actor,
                                         .action = "encryption_confirmed",
                                         .from_state = std::nullopt,
                                         .to_state = std::nullopt,
                                         .reason = {},
                                         .detail_json = "{}"},
                            now));
    CS_CHECK(audit_request(conn, audit_, r, actor, "certification.encryption.confirmed", nlohmann::json::object()));
    return r;
  });
}

Result<Request> RequestService::request_promotion(const identity::Principal& who, std::string_view request_id,
                                                  const PromotionForm& form, const identity::Actor& actor) {
  return store::transact(db_, [&](store::Connection& conn) -> Result<Request> {
    auto r = CS_TRY(load_visible(conn, who, request_id, true));
    CS_CHECK(require_partner(who, r));
    if (!next_state(r.state, Action::request_promotion)) {
      return fail(Errc::invalid_transition, "The promotion form follows the engineer's approval (the request is " +
                                                std::string(to_string(r.state)) + ")");
    }
    auto client = CS_TRY(conn.query_one("SELECT client_id FROM apps WHERE id = $1", store::params(r.app_id)));
    if (!client) return fail(Errc::internal, "App vanished", r.app_id);
    Micros now = clock_.now();
    CS_CHECK(validate_promotion_form(form, client->text(0), now, calendar_));
    CS_TRY(conn.exec("DELETE FROM cert_promotion_forms WHERE request_id = $1", store::params(r.id)));
    CS_TRY(conn.exec("INSERT INTO cert_promotion_forms (request_id, system_integrator_name, technical_contact_name, "
                     "technical_contact_email, technical_contact_phone, production_date_estimate, integration_key, "
                     "submitted_by, submitted_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                     store::params(r.id, form.system_integrator_name, form.technical_contact_name,
                                   form.technical_contact_email, form.technical_contact_phone,
                                   form.production_date_estimate, form.integration_key, who.user_id, now)));
    return transition(conn, r.id, Action::request_promotion, actor, {});
  });
}

Result<std::optional<StoredPromotionForm>> RequestService::promotion_form(const identity::Principal& who,
                                                                          std::string_view request_id) {
  auto conn = CS_TRY(db_.connect());
  auto r = CS_TRY(load_visible(*conn, who, request_id, false));
  auto row = CS_TRY(conn->query_one(
      "SELECT system_integrator_name, technical_contact_name, technical_contact_email, technical_contact_phone, "
      "production_date_estimate, integration_key, submitted_by, submitted_at FROM cert_promotion_forms "
      "WHERE request_id = $1",
      store::params(r.id)));
  if (!row) return std::optional<StoredPromotionForm>{};
  StoredPromotionForm s;
  s.form = {row->text(0), row->text(1), row->text(2), row->text(3), row->text(4), row->text(5)};
  s.submitted_by = row->text(6);
  s.submitted_at = row->int64(7);
  return std::optional<StoredPromotionForm>(std::move(s));
}

Result<Assignment> RequestService::assign(const identity::Principal& who, std::string_view request_id,
                                          AssignmentRole role, std::optional<std::string> user_id,
                                          const identity::Actor& actor) {
  return store::transact(db_, [&](store::Connection& conn) -> Result<Assignment> {
    auto r = CS_TRY(load_visible(conn, who, request_id, true));
    CS_CHECK(identity::require(who, identity::Action::certification_assign, resource_of(r)));
    // The final approver is assigned automatically when the promotion form is in; from then on a
    // partner manager may reassign them (in final review a new certificate goes to the new one).
    if (role == AssignmentRole::final_approver && r.state != State::promotion_requested &&
        r.state != State::final_review) {
      return fail(Error(Errc::validation_failed,
                        "The final approver is assigned when the promotion form is in; this request is " +
                            std::string(to_string(r.state)))
                      .with_field("role"));
    }
    return assign(conn, r.id, role, std::move(user_id), actor);
  });
}

Result<std::vector<Assignment>> RequestService::assignments(const identity::Principal& who,
                                                            std::string_view request_id) {
  auto conn = CS_TRY(db_.connect());
  auto r = CS_TRY(load_visible(*conn, who, request_id, false));
  return current_assignments(*conn, r.id);
}

Result<Finding> RequestService::file_finding(const identity::Principal& who, std::string_view request_id,
                                             const NewFinding& finding, const identity::Actor& actor) {
  return store::transact(db_, [&](store::Connection& conn) -> Result<Finding> {
    auto r = CS_TRY(load_visible(conn, who, request_id, true));
    auto engineer = CS_TRY(current_assignment(conn, r.id, AssignmentRole::certification_engineer));
    auto security = CS_TRY(current_assignment(conn, r.id, AssignmentRole::security_reviewer));
    bool reviewer = (engineer && engineer->user_id == who.user_id) || (security && security->user_id == who.user_id);
    if (!reviewer) return fail(Errc::forbidden, "Only an assigned reviewer can file findings");
    NewFinding f = finding;
    f.source = "reviewer";
    auto filed = CS_TRY(certification::file_finding(conn, audit_, r.id, f, actor, clock_.now()));
    auto after = CS_TRY(load_request(conn, r.id));
    if (after.state != r.state) {
      Action moved = r.state == State::final_review ? Action::decline : Action::request_changes;
      for (const auto& hook : hooks_) CS_CHECK(hook(conn, after, moved, actor));
    }
    return filed;
  });
}

Result<Finding> RequestService::respond_to_finding(const identity::Principal& who, std::string_view request_id,
                                                   std::string_view finding_id, std::string_view response,
                                                   const identity::Actor& actor) {
  return store::transact(db_, [&](store::Connection& conn) -> Result<Finding> {
    auto r = CS_TRY(load_visible(conn, who, request_id, true));
    CS_CHECK(require_partner(who, r));
    return certification::respond_to_finding(conn, audit_, r.id, finding_id, response, actor, clock_.now());
  });
}

Result<Finding> RequestService::close_finding(const identity::Principal& who, std::string_view request_id,
                                              std::string_view finding_id, std::string_view note,
                                              const identity::Actor& actor) {
  return store::transact(db_, [&](store::Connection& conn) -> Result<Finding> {
    auto r = CS_TRY(load_visible(conn, who, request_id, true));
    if (!CS_TRY(is_assigned(conn, r.id, who.user_id)) ||
        !(who.has_staff_role(StaffRole::certification_engineer) || who.has_staff_role(StaffRole::security_reviewer))) {
      return fail(Errc::forbidden, "Only an assigned reviewer can close findings");
    }
    return certification::close_finding(conn, audit_, r.id, finding_id, note, actor, clock_.now());
  });
}

Result<std::vector<Finding>> RequestService::findings(const identity::Principal& who, std::string_view request_id) {
  auto conn = CS_TRY(db_.connect());
  auto r = CS_TRY(load_visible(*conn, who, request_id, false));
  return list_findings(*conn, r.id);
}

Result<std::vector<TimelineEntry>> RequestService::history(const identity::Principal& who,
                                                           std::string_view request_id) {
  auto conn = CS_TRY(db_.connect());
  auto r = CS_TRY(load_visible(*conn, who, request_id, false));
  auto rows = CS_TRY(conn->query("SELECT actor_type, actor_id, action, from_state, to_state, reason, detail, at "
                                 "FROM cert_request_history WHERE request_id = $1 ORDER BY seq",
                                 store::params(r.id)));
  std::vector<TimelineEntry> out;
  for (const auto& row : rows) {
    TimelineEntry t;
    HistoryEntry& e = t.entry;
    e.request_id = r.id;
    e.actor = {row.text(0), row.text(1), {}};
    e.action = row.text(2);
    if (auto s = row.opt_text(3)) e.from_state = parse_state(*s);
    if (auto s = row.opt_text(4)) e.to_state = parse_state(*s);
    e.reason = row.opt_text(5).value_or("");
    e.detail_json = row.text(6);
    t.at = row.int64(7);
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace cs::certification
