// `countersign cert ...` (issue 6 §8): the operator's view of the certification program.
//   list [--state S]                  requests, newest first
//   show ID                           one request: clocks, assignments, open findings, the
//                                     configuration difference of a recertification
//   assign ID --role R [--user U]     assign staff (without --user: the least loaded holder;
//                                     a final approver reassigned in final review gets a new
//                                     certificate envelope and the old one is voided)
//   history ID                        the request's timeline
//   metrics                           GET /v1/certification/metrics' numbers
// The operator acts on every tenant (no principal): writes go through RequestService's unscoped
// operations with Actor::operator_cli(), so they are audited like staff actions.
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

#include <nlohmann/json.hpp>

#include "app/commands.hpp"
#include "app/runtime.hpp"
#include "certification/assignments.hpp"
#include "certification/clocks.hpp"
#include "certification/final_review.hpp"
#include "certification/findings.hpp"
#include "certification/metrics.hpp"
#include "certification/recertification.hpp"
#include "certification/request_service.hpp"
#include "core/business_calendar.hpp"
#include "store/params.hpp"

namespace cs::app {
namespace {

namespace cert = cs::certification;

nlohmann::json opt_time(std::optional<Micros> t) {
  return t ? nlohmann::json(format_rfc3339(*t)) : nlohmann::json(nullptr);
}

nlohmann::json request_json(const cert::Request& r) {
  return {{"id", r.id},
          {"app_id", r.app_id},
          {"app_version_id", r.app_version_id},
          {"partner_org_id", r.partner_org_id},
          {"kind", std::string(cert::to_string(r.kind))},
          {"state", std::string(cert::to_string(r.state))},
          {"catalogue_version", r.catalogue_version},
          {"remedy_rounds", r.remedy_rounds},
          {"review_due_at", opt_time(r.review_due_at)},
          {"final_due_at", opt_time(r.final_due_at)},
          {"certification_envelope_id", r.certification_envelope_id
                                            ? nlohmann::json(*r.certification_envelope_id)
                                            : nlohmann::json(nullptr)},
          {"decision_reason",
           r.decision_reason ? nlohmann::json(*r.decision_reason) : nlohmann::json(nullptr)},
          {"created_at", format_rfc3339(r.created_at)},
          {"updated_at", format_rfc3339(r.updated_at)},
          {"submitted_at", opt_time(r.submitted_at)},
          {"certified_at", opt_time(r.certified_at)},
          {"launched_at", opt_time(r.launched_at)}};
}

nlohmann::json assignment_json(const cert::Assignment& a) {
  return {{"role", std::string(cert::to_string(a.role))},
          {"user_id", a.user_id},
          {"name", a.user_name},
          {"email", a.user_email},
          {"assigned_by", a.assigned_by},
          {"assigned_at", format_rfc3339(a.assigned_at)}};
}

}  // namespace

Result<BusinessCalendar> certification_calendar(const Config& config) {
  CalendarSpec spec;
  spec.time_zone = config.certification_time_zone;
  spec.weekend = CS_TRY(parse_weekend(config.certification_weekend));
  if (!config.certification_holidays_file.empty()) {
    std::ifstream in(config.certification_holidays_file);
    if (!in)
      return fail(Errc::validation_failed,
                  "cannot read the holidays file " + config.certification_holidays_file.string());
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    spec.holidays = CS_TRY(parse_holiday_file(text));
  }
  return BusinessCalendar::create(std::move(spec));
}

namespace {

Result<identity::User> resolve_user(identity::Directory& directory, const std::string& user) {
  if (user.rfind("usr_", 0) == 0) return directory.get_user(user);
  auto found = CS_TRY(directory.find_user_by_email(user));
  if (!found) return fail(Errc::not_found, "no user with email " + user);
  return *found;
}

int list(Runtime& rt, const CertArgs& args, const OutputOptions& out) {
  std::string sql = "SELECT id FROM cert_requests";
  std::vector<store::Value> params;
  if (!args.state.empty()) {
    if (!cert::parse_state(args.state)) {
      return report_failure(Error(Errc::validation_failed, "unknown state " + args.state), out);
    }
    sql += " WHERE state = $1";
    params.emplace_back(args.state);
  }
  sql += " ORDER BY created_at DESC, id DESC";
  auto lease = rt.db->connect();
  if (!lease) return report_failure(lease.error(), out);
  auto rows = (*lease)->query(sql, params);
  if (!rows) return report_failure(rows.error(), out);
  nlohmann::json items = nlohmann::json::array();
  std::string human;
  for (const auto& row : *rows) {
    auto r = cert::load_request(**lease, row.text(0));
    if (!r) return report_failure(r.error(), out);
    items.push_back(request_json(*r));
    human += r->id + "  " + std::string(cert::to_string(r->state)) + "  " +
             std::string(cert::to_string(r->kind)) + "  " + r->app_id + "\n";
  }
  print_result({{"data", items}}, out,
               human.empty() ? "no certification requests" : human.substr(0, human.size() - 1));
  return 0;
}

int show(Runtime& rt, const BusinessCalendar& calendar, const CertArgs& args,
         const OutputOptions& out) {
  auto lease = rt.db->connect();
  if (!lease) return report_failure(lease.error(), out);
  auto r = cert::load_request(**lease, args.id);
  if (!r) return report_failure(r.error(), out);
  auto assigned = cert::current_assignments(**lease, r->id);
  if (!assigned) return report_failure(assigned.error(), out);
  auto unclosed = cert::count_unclosed_findings(**lease, r->id);
  if (!unclosed) return report_failure(unclosed.error(), out);
  nlohmann::json j = request_json(*r);
  j["assignments"] = nlohmann::json::array();
  for (const auto& a : *assigned) j["assignments"].push_back(assignment_json(a));
  j["unclosed_findings"] = *unclosed;
  j["clock"] = nullptr;
  if (auto clock = cert::running_clock(*r, rt.clock.now(), calendar)) {
    j["clock"] = {{"kind", clock->kind},
                  {"due_at", format_rfc3339(clock->due_at)},
                  {"status", std::string(cert::to_string(clock->status))}};
  }
  j["configuration_difference"] = nullptr;
  if (r->kind == cert::Kind::recertification) {
    auto app = rt.apps.find_by_id(r->app_id);
    if (!app) return report_failure(app.error(), out);
    j["configuration_difference"] = cert::pending_difference_json(*app);
  }
  std::string human = r->id + ": " + std::string(cert::to_string(r->kind)) + " request for " +
                      r->app_id + ", " + std::string(cert::to_string(r->state));
  if (!j["clock"].is_null()) {
    human += "; " + j["clock"]["kind"].get<std::string>() + " clock due " +
             j["clock"]["due_at"].get<std::string>() + " (" +
             j["clock"]["status"].get<std::string>() + ")";
  }
  for (const auto& a : *assigned)
    human += "\n  " + std::string(cert::to_string(a.role)) + ": " + a.user_email;
  print_result(j, out, human);
  return 0;
}

int assign(Runtime& rt, const BusinessCalendar& calendar, const CertArgs& args,
           const OutputOptions& out) {
  auto role = cert::parse_assignment_role(args.role);
  if (!role) {
    return report_failure(
        Error(Errc::validation_failed,
              "role must be certification_engineer, security_reviewer or final_approver"),
        out);
  }
  std::optional<std::string> user_id;
  if (!args.user.empty()) {
    auto user = resolve_user(rt.directory, args.user);
    if (!user) return report_failure(user.error(), out);
    user_id = user->id;
  }
  cert::RequestService requests(*rt.db, rt.clock, rt.audit, calendar, rt.apps);
  Result<cert::Assignment> assigned;
  if (*role == cert::AssignmentRole::final_approver) {
    // Reassigning the final approver in final review voids the certificate out for signature
    // and sends a new one to the new approver (certification/final_review.hpp).
    cert::FinalReview final_review(cert::FinalReviewDeps{*rt.db, rt.clock, rt.audit, calendar, requests,
                                                          rt.apps, rt.directory, rt.envelopes});
    assigned = final_review.assign_final_approver(nullptr, args.id, user_id, identity::Actor::operator_cli());
  } else {
    assigned = store::transact(*rt.db, [&](store::Connection& conn) -> Result<cert::Assignment> {
      return requests.assign(conn, args.id, *role, user_id, identity::Actor::operator_cli());
    });
  }
  if (!assigned) return report_failure(assigned.error(), out);
  print_result(assignment_json(*assigned), out,
               "assigned " + assigned->user_email + " as " +
                   std::string(cert::to_string(assigned->role)) + " on " + args.id);
  return 0;
}

int history(Runtime& rt, const CertArgs& args, const OutputOptions& out) {
  auto lease = rt.db->connect();
  if (!lease) return report_failure(lease.error(), out);
  if (auto r = cert::load_request(**lease, args.id); !r) return report_failure(r.error(), out);
  auto rows = (*lease)->query(
      "SELECT at, actor_type, actor_id, action, from_state, to_state, reason, detail FROM "
      "cert_request_history "
      "WHERE request_id = $1 ORDER BY at, id",
      store::params(args.id));
  if (!rows) return report_failure(rows.error(), out);
  nlohmann::json items = nlohmann::json::array();
  std::string human;
  for (const auto& h : *rows) {
    auto detail = nlohmann::json::parse(h.text(7), nullptr, false);
    items.push_back(
        {{"at", format_rfc3339(h.int64(0))},
         {"actor", {{"type", h.text(1)}, {"id", h.text(2)}}},
         {"action", h.text(3)},
         {"from_state", h.opt_text(4) ? nlohmann::json(*h.opt_text(4)) : nlohmann::json(nullptr)},
         {"to_state", h.opt_text(5) ? nlohmann::json(*h.opt_text(5)) : nlohmann::json(nullptr)},
         {"reason", h.opt_text(6).value_or("")},
         {"detail", detail.is_discarded() ? nlohmann::json::object() : detail}});
    human += format_rfc3339(h.int64(0)) + "  " + h.text(3) + "  " + h.text(1) + ":" + h.text(2);
    if (h.opt_text(5)) human += "  -> " + *h.opt_text(5);
    if (h.opt_text(6) && !h.opt_text(6)->empty()) human += "  (" + *h.opt_text(6) + ")";
    human += "\n";
  }
  print_result({{"data", items}}, out,
               human.empty() ? "no history" : human.substr(0, human.size() - 1));
  return 0;
}

int metrics(Runtime& rt, const BusinessCalendar& calendar, const OutputOptions& out) {
  auto lease = rt.db->connect();
  if (!lease) return report_failure(lease.error(), out);
  auto m = cert::compute_metrics(**lease, calendar, rt.clock.now());
  if (!m) return report_failure(m.error(), out);
  auto j = cert::to_json(*m);
  std::string human;
  for (const auto& [state, n] : m->requests_by_state) {
    if (n > 0) human += state + ": " + std::to_string(n) + "\n";
  }
  auto fmt = [](const nlohmann::json& v) { return v.is_null() ? std::string("-") : v.dump(); };
  human += "time to certify (business days): median " +
           fmt(j["time_to_certify_business_days"]["median"]) + ", p90 " +
           fmt(j["time_to_certify_business_days"]["p90"]) + "\nclock breaches: review " +
           std::to_string(m->review_clock_breaches) + ", final " +
           std::to_string(m->final_clock_breaches) + "\nremedy rounds: mean " +
           fmt(j["remedy_rounds"]["mean"]) + ", max " + std::to_string(m->remedy_rounds_max);
  print_result(j, out, human);
  return 0;
}

}  // namespace

int cmd_cert(const Config& config, CertCommand which, const CertArgs& args,
             const OutputOptions& out) {
  auto calendar = certification_calendar(config);
  if (!calendar) return report_failure(calendar.error(), out);
  auto rt = open_runtime(config);
  if (!rt) return report_failure(rt.error(), out);
  Runtime& r = **rt;
  switch (which) {
    case CertCommand::list:
      return list(r, args, out);
    case CertCommand::show:
      return show(r, *calendar, args, out);
    case CertCommand::assign:
      return assign(r, *calendar, args, out);
    case CertCommand::history:
      return history(r, args, out);
    case CertCommand::metrics:
      return metrics(r, *calendar, out);
  }
  return 2;
}

}  // namespace cs::app
