#include "certification/evidence_service.hpp"

#include <algorithm>
#include <sstream>

#include "certification/assignments.hpp"
#include "certification/catalogue.hpp"
#include "certification/findings.hpp"
#include "core/ids.hpp"
#include "core/utf8.hpp"
#include "identity/policy.hpp"
#include "store/params.hpp"

namespace cs::certification {

namespace {

using identity::Principal;
using identity::RequestContext;
using identity::StaffRole;
using nlohmann::json;

constexpr std::size_t kMaxReasonBytes = 4000;
// The TRC-2 requirement (no live secrets in traces): a live secret files a critical finding.
constexpr std::string_view kTraceSecretsRequirement = "TRC-2";

identity::Resource resource_of(const Request& r) {
  return {identity::ResourceType::certification_request, {}, r.partner_org_id};
}

identity::Actor actor_of(const Principal& who, const RequestContext& rc) { return identity::Actor::user(who.user_id, rc); }

audit::AuditEvent audit_event(std::string_view actor_type, const Principal& who, const RequestContext& rc,
                              std::string_view action, const Request& request, json details) {
  audit::AuditEvent e;
  e.actor_type = std::string(actor_type);
  e.actor_id = who.user_id;
  e.action = std::string(action);
  e.target_type = "certification_request";
  e.target_id = request.id;
  e.partner_org_id = request.partner_org_id;
  e.ip = rc.ip;
  e.request_id = rc.request_id;
  e.details = std::move(details);
  return e;
}

bool is_partner_member(const Principal& who, const Request& r) { return who.partner_roles.contains(r.partner_org_id); }

// Drafts and requests sent back for changes take the partner's evidence.
bool partner_may_edit(State s) { return s == State::draft || s == State::changes_requested; }

Status require_editable(const Request& r) {
  if (partner_may_edit(r.state)) return {};
  return fail(Errc::invalid_transition, "evidence can be changed while the request is a draft or changes are requested "
                                        "(it is " + std::string(to_string(r.state)) + ")");
}

Status require_open(const Request& r) {
  if (!is_final(r.state) && r.state != State::certified) return {};
  return fail(Errc::invalid_transition, "the request is " + std::string(to_string(r.state)));
}

const Catalogue& catalogue_for(const Request& r) {
  for (const auto& c : embedded_catalogues()) {
    if (c.version == r.catalogue_version) return c;
  }
  return current_catalogue();
}

Result<std::set<std::string>> declared_functions(store::Connection& conn, const Request& r) {
  auto row = CS_TRY(conn.query_one("SELECT functions FROM app_versions WHERE id = $1", store::params(r.app_version_id)));
  std::set<std::string> out;
  if (row) {
    std::istringstream in(row->text(0));
    for (std::string w; in >> w;) out.insert(w);
  }
  return out;
}

}  // namespace

EvidenceService::EvidenceService(store::Database& db, store::BlobStore& blobs, const crypto::FieldCipher& cipher,
                                 audit::AuditLog& audit, const BusinessCalendar& calendar, const Clock& clock,
                                 EvidenceLimits limits)
    : db_(db), blobs_(blobs), cipher_(cipher), audit_(audit), calendar_(calendar), clock_(clock), limits_(limits) {}

// --- visibility (issue 6 §8) -------------------------------------------------------------------

Result<Request> EvidenceService::load_visible(store::Connection& conn, const Principal& who,
                                              std::string_view request_id) {
  auto request = load_request(conn, request_id);
  if (!request) {
    if (request.error().errc() == Errc::not_found) return fail(Errc::not_found, "no such certification request");
    return tl::unexpected(std::move(request).error());
  }
  CS_CHECK(identity::require(who, identity::Action::certification_read, resource_of(*request)));
  if (is_partner_member(who, *request)) return request;
  if (who.has_staff_role(StaffRole::partner_manager) || who.has_staff_role(StaffRole::final_approver)) return request;
  // Certification engineers and security reviewers see the requests assigned to them.
  if (CS_TRY(is_assigned(conn, request->id, who.user_id))) return request;
  return fail(Errc::not_found, "no such certification request");
}

Result<Request> EvidenceService::load_for_partner_edit(store::Connection& conn, const Principal& who,
                                                       std::string_view request_id) {
  auto request = CS_TRY(load_visible(conn, who, request_id));
  CS_CHECK(identity::require(who, identity::Action::certification_submit, resource_of(request)));
  CS_CHECK(require_editable(request));
  return request;
}

// --- EvidenceSource ----------------------------------------------------------------------------

Result<SubmissionFacts> EvidenceService::submission_facts(store::Connection& conn, const Request& request) {
  SubmissionFacts f;
  const auto arts = summarise_artifacts(CS_TRY(certification::list_artifacts(conn, request.id)));
  f.has_normal_flow_video = arts.has_normal_flow_video;
  f.exception_flows_covered = arts.exception_flows_covered;
  f.functions_covered_by_traces = arts.functions_covered_by_traces;
  f.traces_have_live_secrets = arts.traces_have_live_secrets;
  f.declared_functions = CS_TRY(declared_functions(conn, request));
  auto answers = CS_TRY(load_answers(conn, request.id));
  const auto c = completeness(current_questionnaire(), answers.answers);
  f.questionnaire_complete = c.complete;
  f.owasp_checklist_answered = c.owasp_checklist_answered;
  f.token_encryption_attested = c.token_encryption_attested;
  f.call_log_date = request.call_log_date;
  f.instance_access_given = CS_TRY(load_instance_access_summary(conn, request.id)).has_value();
  if (auto dry = CS_TRY(load_dry_run(conn, request.id))) {
    f.dry_run_held = dry->held_at.has_value();
    f.dry_run_open_findings = dry->open_findings;
  } else {
    // Dry-run findings without a scheduled dry run still block submission.
    auto open = CS_TRY(conn.query_one(
        "SELECT COUNT(*) FROM cert_findings WHERE request_id = $1 AND phase = 'dry_run' AND status <> 'closed'",
        store::params(request.id)));
    f.dry_run_open_findings = open ? static_cast<int>(open->int64(0)) : 0;
  }
  return f;
}

Result<std::vector<std::string>> EvidenceService::unresolved_checks(store::Connection& conn, const Request& request) {
  auto waivers = CS_TRY(list_waivers(conn, request.id));
  if (auto run = CS_TRY(latest_finished_run(conn, request.id)); run && run->report) {
    return unresolved_in(*run->report, waivers);
  }
  // Never run: every automated requirement that applies is unresolved (unless waived).
  std::vector<std::string> out;
  const auto functions = CS_TRY(declared_functions(conn, request));
  for (const Requirement* r : catalogue_for(request).applicable(functions)) {
    if (r->check.empty() || r->stage == "promotion" || r->stage == "listing") continue;
    const bool waived =
        std::any_of(waivers.begin(), waivers.end(), [&](const Waiver& w) { return w.requirement_id == r->id; });
    if (!waived) out.push_back(r->id);
  }
  return out;
}

Status EvidenceService::enqueue_pre_review(store::Connection& conn, const Request& request) {
  auto run = CS_TRY(enqueue_run(conn, request.id, "system", clock_.now()));
  (void)run;
  return {};
}

// --- artifacts ---------------------------------------------------------------------------------

Result<Artifact> EvidenceService::upload_artifact(const Principal& who, const RequestContext& rc,
                                                  std::string_view request_id, const NewArtifact& upload) {
  // Authorise before doing any work on the bytes.
  {
    auto lease = CS_TRY(db_.connect());
    auto request = CS_TRY(load_visible(*lease, who, request_id));
    if (upload.kind == ArtifactKind::meeting_recording) {
      // Recordings come from the staff who held the kickoff.
      if (!who.is_staff()) return fail(Errc::forbidden, "meeting recordings are uploaded by the certification staff");
      CS_CHECK(require_open(request));
    } else {
      CS_CHECK(identity::require(who, identity::Action::certification_submit, resource_of(request)));
      CS_CHECK(require_editable(request));
    }
  }
  if (upload.filename.empty() || upload.filename.size() > 255 || !is_valid_utf8(upload.filename)) {
    return fail(Error(Errc::validation_failed, "the file needs a name of at most 255 bytes").with_field("file"));
  }
  if (upload.finding_id && upload.kind != ArtifactKind::supplemental) {
    return fail(Error(Errc::validation_failed, "only supplemental files can be tied to a finding").with_field("finding_id"));
  }
  const ArtifactLimits limits{limits_.video_max_bytes, limits_.recording_max_bytes, limits_.artifact_max_bytes};
  auto valid = CS_TRY(validate_artifact(upload, limits));
  auto blob = CS_TRY(blobs_.put(upload.bytes));
  const Micros now = clock_.now();
  return store::transact(db_, [&](store::Connection& conn) -> Result<Artifact> {
    // Re-check under the transaction: the state may have moved while the bytes were validated.
    auto request = CS_TRY(load_request(conn, request_id, true));
    CS_CHECK(upload.kind == ArtifactKind::meeting_recording ? require_open(request) : require_editable(request));
    if (upload.finding_id) {
      auto f = load_finding(conn, request.id, *upload.finding_id);
      if (!f) return fail(Error(Errc::validation_failed, "no such finding on this request").with_field("finding_id"));
    }
    Artifact a;
    a.id = new_id("art");
    a.request_id = request.id;
    a.kind = upload.kind;
    a.filename = upload.filename;
    a.content_type = upload.content_type.empty() ? "application/octet-stream" : upload.content_type;
    a.blob_sha256 = blob.sha256;
    a.size_bytes = static_cast<std::int64_t>(blob.size);
    a.label_normal = upload.kind == ArtifactKind::video && upload.label_normal;
    a.label_exception = upload.kind == ArtifactKind::video && upload.label_exception;
    a.duration_us = valid.duration_us;
    a.live_secrets = valid.live_secrets;
    a.finding_id = upload.finding_id;
    a.detail = valid.detail;
    a.uploaded_by = who.user_id;
    a.uploaded_at = now;
    CS_CHECK(insert_artifact(conn, a));
    const json facts = {{"artifact_id", a.id}, {"kind", to_string(a.kind)}, {"filename", a.filename},
                        {"size_bytes", a.size_bytes}};
    CS_CHECK(append_history(conn, {request.id, actor_of(who, rc), "artifact_uploaded", std::nullopt, std::nullopt, {},
                                   facts.dump()},
                            now));
    if (valid.trace && valid.trace->has_live_secrets()) {
      // Issue 6 §3: a live secret in a trace files a critical finding automatically.
      std::string where;
      for (std::size_t i = 0; i < valid.trace->secrets.size() && i < 5; ++i) {
        const auto& s = valid.trace->secrets[i];
        where += (i ? "; " : "") + std::string(to_string(s.kind)) + " at " + s.location();
      }
      NewFinding finding{.requirement_id = std::string(kTraceSecretsRequirement),
                         .phase = "review",
                         .source = "automated",
                         .severity = "critical",
                         .description = "The trace " + a.filename + " (" + a.id + ") contains " +
                                        std::to_string(a.live_secrets) +
                                        " live secret(s). Rotate them and upload a redacted trace.",
                         .evidence = where};
      CS_TRY(file_finding(conn, audit_, request.id, finding, identity::Actor::system("pre-review"), now));
    }
    return a;
  });
}

Result<std::vector<Artifact>> EvidenceService::list_artifacts(const Principal& who, std::string_view request_id) {
  auto lease = CS_TRY(db_.connect());
  auto request = CS_TRY(load_visible(*lease, who, request_id));
  return certification::list_artifacts(*lease, request.id);
}

Result<Artifact> EvidenceService::get_artifact(const Principal& who, std::string_view request_id,
                                               std::string_view artifact_id) {
  auto lease = CS_TRY(db_.connect());
  auto request = CS_TRY(load_visible(*lease, who, request_id));
  return find_artifact(*lease, request.id, artifact_id);
}

Result<std::vector<std::uint8_t>> EvidenceService::artifact_content(const Principal& who, std::string_view request_id,
                                                                    std::string_view artifact_id, Artifact* meta) {
  auto a = CS_TRY(get_artifact(who, request_id, artifact_id));
  auto bytes = blobs_.get(a.blob_sha256);
  if (!bytes) return fail(Errc::internal, "internal error", "artifact " + a.id + ": blob missing: " + bytes.error().detail());
  if (meta) *meta = std::move(a);
  return std::move(*bytes);
}

// --- instance access ---------------------------------------------------------------------------

Result<InstanceAccessSummary> EvidenceService::set_instance_access(const Principal& who, const RequestContext& rc,
                                                                   std::string_view request_id,
                                                                   const InstanceAccessInput& input) {
  {
    auto lease = CS_TRY(db_.connect());
    auto request = CS_TRY(load_visible(*lease, who, request_id));
    CS_CHECK(identity::require(who, identity::Action::certification_submit, resource_of(request)));
    CS_CHECK(require_open(request));
  }
  CS_CHECK(validate_instance_access(input, limits_.instance_url_policy));
  const Micros now = clock_.now();
  return store::transact(db_, [&](store::Connection& conn) -> Result<InstanceAccessSummary> {
    auto request = CS_TRY(load_request(conn, request_id, true));
    CS_CHECK(require_open(request));
    CS_CHECK(store_instance_access(conn, cipher_, request.id, input, who.user_id, now));
    CS_CHECK(append_history(conn, {request.id, actor_of(who, rc), "instance_access_replaced", std::nullopt,
                                   std::nullopt, {}, "{}"},
                            now));
    CS_TRY(audit_.append(conn, audit_event(audit::actor::kUser, who, rc, "certification.instance_access.replaced", request, json::object())));
    return InstanceAccessSummary{true, who.user_id, now};
  });
}

Result<std::optional<InstanceAccessSummary>> EvidenceService::instance_access_summary(const Principal& who,
                                                                                     std::string_view request_id) {
  auto lease = CS_TRY(db_.connect());
  auto request = CS_TRY(load_visible(*lease, who, request_id));
  return load_instance_access_summary(*lease, request.id);
}

Result<InstanceAccess> EvidenceService::read_instance_access(const Principal& who, const RequestContext& rc,
                                                             std::string_view request_id) {
  return store::transact(db_, [&](store::Connection& conn) -> Result<InstanceAccess> {
    auto request = CS_TRY(load_visible(conn, who, request_id));
    // Adobe: "shown only to assigned reviewers": the current certification engineer and
    // security reviewer, nobody else (not the partner, not other staff).
    bool assigned = false;
    for (auto role : {AssignmentRole::certification_engineer, AssignmentRole::security_reviewer}) {
      auto a = CS_TRY(current_assignment(conn, request.id, role));
      assigned = assigned || (a && a->user_id == who.user_id);
    }
    if (!assigned) {
      return fail(Errc::forbidden, "instance credentials are shown only to the assigned certification engineer and "
                                   "security reviewer");
    }
    auto access = CS_TRY(load_instance_access(conn, cipher_, request.id));
    CS_TRY(audit_.append(conn, audit_event(audit::actor::kStaff, who, rc, "certification.instance_access.read", request, json::object())));
    return access;
  });
}

// --- questionnaire -----------------------------------------------------------------------------

Result<QuestionnaireAnswers> EvidenceService::questionnaire(const Principal& who, std::string_view request_id) {
  auto lease = CS_TRY(db_.connect());
  auto request = CS_TRY(load_visible(*lease, who, request_id));
  return load_answers(*lease, request.id);
}

Result<QuestionnaireAnswers> EvidenceService::put_questionnaire(const Principal& who, const RequestContext& rc,
                                                                std::string_view request_id, const json& patch) {
  const Micros now = clock_.now();
  return store::transact(db_, [&](store::Connection& conn) -> Result<QuestionnaireAnswers> {
    auto request = CS_TRY(load_for_partner_edit(conn, who, request_id));
    auto answers = CS_TRY(load_answers(conn, request.id));
    const auto& def = current_questionnaire();
    if (answers.version != def.version) {
      // Answers given under an older definition keep only the questions that still exist.
      json kept = json::object();
      for (const auto& [id, v] : answers.answers.items()) {
        if (const Question* q = def.find(id); q && validate_answer(*q, v)) kept[id] = v;
      }
      answers.answers = std::move(kept);
      answers.version = def.version;
    }
    CS_CHECK(merge_answers(def, answers.answers, patch));
    CS_CHECK(store_answers(conn, answers, who.user_id, now));
    const auto c = completeness(def, answers.answers);
    CS_CHECK(append_history(conn, {request.id, actor_of(who, rc), "questionnaire_updated", std::nullopt, std::nullopt,
                                   {}, json({{"complete", c.complete}, {"answered", c.answered}}).dump()},
                            now));
    answers.updated_by = who.user_id;
    answers.updated_at = now;
    return answers;
  });
}

// --- kickoff -----------------------------------------------------------------------------------

Result<std::optional<Kickoff>> EvidenceService::kickoff(const Principal& who, std::string_view request_id) {
  auto lease = CS_TRY(db_.connect());
  auto request = CS_TRY(load_visible(*lease, who, request_id));
  return load_kickoff(*lease, request.id);
}

Result<Kickoff> EvidenceService::put_kickoff(const Principal& who, const RequestContext& rc,
                                             std::string_view request_id, const KickoffInput& input) {
  const Micros now = clock_.now();
  return store::transact(db_, [&](store::Connection& conn) -> Result<Kickoff> {
    auto request = CS_TRY(load_visible(conn, who, request_id));
    if (!who.is_staff()) return fail(Errc::forbidden, "the kickoff meeting is recorded by the certification staff");
    CS_CHECK(require_open(request));
    auto k = CS_TRY(store_kickoff(conn, request.id, input, who.user_id, now));
    const json facts = {{"held_on", format_local_date(k.held_on)}, {"participants", k.participants}};
    CS_CHECK(append_history(conn, {request.id, actor_of(who, rc), "kickoff_recorded", std::nullopt, std::nullopt, {},
                                   facts.dump()},
                            now));
    CS_TRY(audit_.append(conn, audit_event(audit::actor::kStaff, who, rc, "certification.kickoff.recorded", request, facts)));
    return k;
  });
}

// --- dry run -----------------------------------------------------------------------------------

Result<std::optional<DryRun>> EvidenceService::dry_run(const Principal& who, std::string_view request_id) {
  auto lease = CS_TRY(db_.connect());
  auto request = CS_TRY(load_visible(*lease, who, request_id));
  return load_dry_run(*lease, request.id);
}

Result<DryRun> EvidenceService::put_dry_run(const Principal& who, const RequestContext& rc,
                                            std::string_view request_id, const DryRunInput& input) {
  const Micros now = clock_.now();
  return store::transact(db_, [&](store::Connection& conn) -> Result<DryRun> {
    auto request = CS_TRY(load_visible(conn, who, request_id));
    if (input.held) {
      // Staff mark the dry run held; the schedule is the partner's.
      if (input.scheduled_on || input.planned_certification_date || input.notes) {
        return fail(Error(Errc::validation_failed, "send either the schedule or `held`, not both").with_field("held"));
      }
      if (!who.is_staff() || !identity::decide(who, identity::Action::certification_review, resource_of(request))) {
        if (!who.has_staff_role(StaffRole::partner_manager)) {
          return fail(Errc::forbidden, "the certification staff mark the dry run held");
        }
      }
      CS_CHECK(require_open(request));
      auto d = CS_TRY(mark_dry_run_held(conn, request.id, *input.held, who.user_id, now));
      CS_CHECK(append_history(conn, {request.id, actor_of(who, rc), *input.held ? "dry_run_held" : "dry_run_unheld",
                                     std::nullopt, std::nullopt, {}, "{}"},
                              now));
      return d;
    }
    CS_CHECK(identity::require(who, identity::Action::certification_submit, resource_of(request)));
    if (request.state != State::draft) {
      return fail(Errc::invalid_transition, "the dry run is scheduled before submission (the request is " +
                                                std::string(to_string(request.state)) + ")");
    }
    auto d = CS_TRY(schedule_dry_run(conn, request.id, request.partner_org_id, input, calendar_, who.user_id, now));
    const json facts = {{"scheduled_on", format_local_date(d.scheduled_on)},
                        {"planned_certification_date", input.planned_certification_date.value_or("")}};
    CS_CHECK(append_history(conn, {request.id, actor_of(who, rc), "dry_run_scheduled", std::nullopt, std::nullopt, {},
                                   facts.dump()},
                            now));
    return d;
  });
}

// --- call-log date -----------------------------------------------------------------------------

Status EvidenceService::set_call_log_date(const Principal& who, const RequestContext& rc, std::string_view request_id,
                                          std::string_view date) {
  auto parsed = parse_local_date(date);
  if (!parsed) {
    return fail(Error(Errc::validation_failed, "call_log_date must be a date (YYYY-MM-DD)").with_field("call_log_date"));
  }
  const Micros now = clock_.now();
  return store::transact(db_, [&](store::Connection& conn) -> Status {
    auto request = CS_TRY(load_for_partner_edit(conn, who, request_id));
    const std::string text = format_local_date(*parsed);
    CS_TRY(conn.exec("UPDATE cert_requests SET call_log_date = $2, updated_at = $3 WHERE id = $1",
                     store::params(request.id, text, now)));
    CS_CHECK(append_history(conn, {request.id, actor_of(who, rc), "call_log_date_set", std::nullopt, std::nullopt, {},
                                   json({{"call_log_date", text}}).dump()},
                            now));
    return {};
  });
}

// --- pre-review --------------------------------------------------------------------------------

Result<PreReviewRun> EvidenceService::request_pre_review(const Principal& who, const RequestContext& rc,
                                                         std::string_view request_id) {
  const Micros now = clock_.now();
  return store::transact(db_, [&](store::Connection& conn) -> Result<PreReviewRun> {
    auto request = CS_TRY(load_visible(conn, who, request_id));
    if (is_partner_member(who, request)) {
      CS_CHECK(identity::require(who, identity::Action::certification_submit, resource_of(request)));
      CS_CHECK(require_editable(request));
    } else {
      CS_CHECK(require_open(request));
    }
    auto run = CS_TRY(enqueue_run(conn, request.id, who.user_id, now));
    CS_CHECK(append_history(conn, {request.id, actor_of(who, rc), "pre_review_requested", std::nullopt, std::nullopt,
                                   {}, json({{"run_id", run.id}}).dump()},
                            now));
    return run;
  });
}

Result<PreReviewRun> EvidenceService::latest_pre_review(const Principal& who, std::string_view request_id) {
  auto lease = CS_TRY(db_.connect());
  auto request = CS_TRY(load_visible(*lease, who, request_id));
  auto run = CS_TRY(latest_run(*lease, request.id));
  if (!run) return fail(Errc::not_found, "the pre-review has not run for this request yet");
  return std::move(*run);
}

Result<Waiver> EvidenceService::waive_check(const Principal& who, const RequestContext& rc,
                                            std::string_view request_id, std::string_view requirement_id,
                                            std::string_view reason) {
  if (reason.find_first_not_of(" \t\r\n") == std::string_view::npos || reason.size() > kMaxReasonBytes ||
      !is_valid_utf8(reason)) {
    return fail(Error(Errc::validation_failed, "a waiver needs a reason (at most 4,000 bytes)").with_field("reason"));
  }
  const Micros now = clock_.now();
  return store::transact(db_, [&](store::Connection& conn) -> Result<Waiver> {
    auto request = CS_TRY(load_visible(conn, who, request_id));
    auto engineer = CS_TRY(current_assignment(conn, request.id, AssignmentRole::certification_engineer));
    if (!engineer || engineer->user_id != who.user_id) {
      return fail(Errc::forbidden, "only the assigned certification engineer waives automated checks");
    }
    CS_CHECK(require_open(request));
    auto run = CS_TRY(latest_finished_run(conn, request.id));
    bool failing = false;
    if (run && run->report && run->report->contains("checks")) {
      for (const auto& c : (*run->report)["checks"]) {
        failing = failing || (c.value("requirement_id", "") == requirement_id && c.value("outcome", "") != "pass");
      }
    }
    if (!failing) {
      return fail(Error(Errc::validation_failed, "the latest pre-review has no failing check for " +
                                                     std::string(requirement_id))
                      .with_field("requirement_id"));
    }
    auto w = CS_TRY(store_waiver(conn, request.id, requirement_id, reason, who.user_id, now));
    const json facts = {{"requirement_id", w.requirement_id}, {"reason", w.reason}};
    CS_CHECK(append_history(conn, {request.id, actor_of(who, rc), "check_waived", std::nullopt, std::nullopt,
                                   std::string(reason), facts.dump()},
                            now));
    CS_TRY(audit_.append(conn, audit_event(audit::actor::kStaff, who, rc, "certification.check.waived", request, facts)));
    return w;
  });
}

Status EvidenceService::run_pre_review_job(const store::Job& job) {
  auto payload = json::parse(job.payload, nullptr, false);
  if (payload.is_discarded() || !payload.contains("run_id") || !payload["run_id"].is_string()) {
    return fail(Errc::internal, "internal error", "certification.pre_review: bad payload");
  }
  const std::string run_id = payload["run_id"].get<std::string>();
  Request request;
  {
    auto lease = CS_TRY(db_.connect());
    auto run = CS_TRY(load_run(*lease, run_id));
    if (!run) return {};  // nothing to do: the run is gone
    if (run->status == RunStatus::done) return {};
    request = CS_TRY(load_request(*lease, run->request_id));
    CS_CHECK(mark_running(*lease, run_id, clock_.now()));
  }
  const Micros now = clock_.now();
  auto facts = gather_facts(db_, request, calendar_, now);
  if (!facts) {
    auto lease = CS_TRY(db_.connect());
    CS_CHECK(mark_failed(*lease, run_id, "the pre-review could not read the evidence; it will be retried", clock_.now()));
    return tl::unexpected(std::move(facts).error());
  }
  const auto& catalogue = catalogue_for(request);
  const auto results = build_report(catalogue, *facts);
  const json report = report_json(catalogue.version, results, now);
  return store::transact(db_, [&](store::Connection& conn) -> Status {
    CS_CHECK(mark_done(conn, run_id, report, clock_.now()));
    CS_CHECK(append_history(conn, {request.id, identity::Actor::system("pre-review"), "pre_review_finished",
                                   std::nullopt, std::nullopt, {},
                                   json({{"run_id", run_id}, {"summary", report["summary"]}}).dump()},
                            clock_.now()));
    return {};
  });
}

}  // namespace cs::certification
