#include "certification/pre_review.hpp"

#include <algorithm>
#include <sstream>

#include "certification/dry_run.hpp"
#include "certification/lifecycle.hpp"
#include "core/ids.hpp"
#include "store/job_queue.hpp"
#include "store/params.hpp"

namespace cs::certification {

namespace {

using nlohmann::json;

CheckResult result(const Requirement& r, CheckOutcome outcome, std::string summary, json evidence = json::object()) {
  return {r.id, r.title, r.check, outcome, std::move(summary), std::move(evidence)};
}

json calls_json(const std::vector<calllog::CallRecord>& calls) {
  json out = json::array();
  for (const auto& c : calls) {
    out.push_back({{"id", c.id}, {"at", format_rfc3339(c.at)}, {"method", c.method}, {"route", c.route},
                   {"status", c.status}});
  }
  return out;
}

// The functions the call log shows the app using (route templates mapped like trace calls).
std::set<std::string> call_log_functions(const calllog::BehaviourReport& b) {
  std::set<std::string> out;
  for (const auto& r : b.routes) {
    const auto space = r.key.find(' ');
    if (space == std::string::npos) continue;
    for (auto& f : functions_for_call(r.key.substr(0, space), r.key.substr(space + 1))) out.insert(std::move(f));
  }
  return out;
}

CheckResult judge(const Requirement& r, const PreReviewFacts& f) {
  const std::string& c = r.check;
  if (c == "oauth_foreign_account_flow") {
    json ev = {{"foreign_account_pkce_flows", f.foreign_account_pkce_flows}};
    if (f.foreign_account_pkce_flows > 0) {
      return result(r, CheckOutcome::pass, "the app completed an authorization-code + PKCE flow with an account outside its partner org", ev);
    }
    return result(r, CheckOutcome::fail, "no authorization-code + PKCE flow with an account outside the app's partner org was recorded", ev);
  }
  if (c == "oauth_pkce_and_redirects") {
    json ev = {{"codes_redeemed", f.codes_redeemed}, {"codes_without_pkce", f.codes_without_pkce}};
    if (f.codes_redeemed == 0) return result(r, CheckOutcome::fail, "the app has not redeemed an authorization code", ev);
    if (f.codes_without_pkce > 0) return result(r, CheckOutcome::fail, "some authorization codes were requested without PKCE (S256)", ev);
    return result(r, CheckOutcome::pass, "every authorization code the app redeemed used PKCE (S256)", ev);
  }
  if (c == "oauth_no_refresh_reuse") {
    json ev = {{"refresh_token_reuses", f.refresh_reuses}};
    if (f.refresh_reuses > 0) return result(r, CheckOutcome::fail, "refresh-token reuse was recorded for the app", ev);
    return result(r, CheckOutcome::pass, "no refresh-token reuse was recorded", ev);
  }
  if (c == "app_configuration_diff") {
    if (!f.recertification) return result(r, CheckOutcome::pass, "an initial certification: no certified configuration to compare");
    return result(r, CheckOutcome::needs_review, "a recertification: the reviewer compares the pending configuration with the certified one");
  }
  if (c == "questionnaire_complete") {
    json ev = {{"answered", f.questionnaire.answered}, {"required", f.questionnaire.required},
               {"missing", f.questionnaire.missing}};
    if (f.questionnaire.complete) return result(r, CheckOutcome::pass, "every required question is answered", ev);
    return result(r, CheckOutcome::fail, std::to_string(f.questionnaire.missing.size()) + " required question(s) unanswered", ev);
  }
  if (c == "dry_run_rules") {
    json ev = {{"scheduled", f.dry_run_scheduled}, {"held", f.dry_run_held}, {"open_findings", f.dry_run_open_findings}};
    if (!f.dry_run_scheduled) return result(r, CheckOutcome::pass, "no dry run (optional)", ev);
    if (f.dry_run_open_findings > 0) return result(r, CheckOutcome::fail, "dry-run findings are still open", ev);
    if (!f.dry_run_held) return result(r, CheckOutcome::fail, "the scheduled dry run has not been held", ev);
    return result(r, CheckOutcome::pass, "the dry run was held and its findings are closed", ev);
  }
  if (c == "video_normal_flow") {
    json ev = {{"videos", f.artifacts.videos}};
    if (f.artifacts.has_normal_flow_video) return result(r, CheckOutcome::pass, "a validated video of the normal flow is attached", ev);
    return result(r, CheckOutcome::fail, "no video labelled as showing the normal flow", ev);
  }
  if (c == "video_exception_flows") {
    json ev = {{"videos", f.artifacts.videos}};
    if (f.artifacts.exception_flows_covered) return result(r, CheckOutcome::pass, "a validated video shows the exception flows", ev);
    return result(r, CheckOutcome::fail, "no video labelled as showing the exception flows", ev);
  }
  if (c == "traces_cover_functions") {
    std::vector<std::string> uncovered;
    for (const auto& fn : f.declared_functions) {
      if (!f.artifacts.functions_covered_by_traces.contains(fn)) uncovered.push_back(fn);
    }
    json ev = {{"traces", f.artifacts.traces}, {"declared", f.declared_functions},
               {"covered", f.artifacts.functions_covered_by_traces}, {"uncovered", uncovered}};
    if (f.artifacts.traces == 0) return result(r, CheckOutcome::fail, "no traces uploaded", ev);
    if (!uncovered.empty()) return result(r, CheckOutcome::fail, "traces do not cover every declared function", ev);
    return result(r, CheckOutcome::pass, "traces cover every declared function", ev);
  }
  if (c == "traces_free_of_secrets") {
    json ev = {{"traces", f.artifacts.traces}, {"live_secrets", f.artifacts.traces_have_live_secrets}};
    if (f.artifacts.traces_have_live_secrets) return result(r, CheckOutcome::fail, "a trace contains a live secret; rotate it and upload a redacted trace", ev);
    if (f.artifacts.traces == 0) return result(r, CheckOutcome::fail, "no traces uploaded", ev);
    return result(r, CheckOutcome::pass, "no live secrets in the traces", ev);
  }
  if (c == "traces_match_call_log") {
    if (!f.behaviour) return result(r, CheckOutcome::needs_review, "the call log could not be read for the review window");
    const auto seen = call_log_functions(*f.behaviour);
    std::vector<std::string> unseen;
    for (const auto& fn : f.artifacts.functions_covered_by_traces) {
      if (!seen.contains(fn)) unseen.push_back(fn);
    }
    json ev = {{"trace_functions", f.artifacts.functions_covered_by_traces}, {"call_log_functions", seen},
               {"not_in_call_log", unseen}};
    if (f.artifacts.traces == 0) return result(r, CheckOutcome::fail, "no traces uploaded", ev);
    if (!unseen.empty()) return result(r, CheckOutcome::needs_review, "some traced functions do not appear in the call log of the review window", ev);
    return result(r, CheckOutcome::pass, "every traced function appears in the app's call log", ev);
  }
  if (c == "call_log_date_in_week") {
    json ev = {{"call_log_date", f.call_log_date ? json(format_local_date(*f.call_log_date)) : json()}};
    if (!f.call_log_date) return result(r, CheckOutcome::fail, "no call-log date named", ev);
    if (!f.call_log_date_in_week) return result(r, CheckOutcome::fail, "the call-log date is not within the week of the request", ev);
    return result(r, CheckOutcome::pass, "the call-log date is within the week of the request", ev);
  }
  if (c == "happy_path_calls") {
    if (!f.happy_path) return result(r, CheckOutcome::fail, "no call-log date named: no happy-path calls to extract");
    const auto n = f.happy_path->calls.size();
    json ev = {{"date", f.happy_path->date}, {"time_zone", f.happy_path->time_zone}, {"found", n},
               {"required", calllog::kHappyPathCalls}, {"calls", calls_json(f.happy_path->calls)}};
    if (f.happy_path->shortfall()) {
      ev["shortfall"] = calllog::kHappyPathCalls - n;
      return result(r, CheckOutcome::fail, std::to_string(n) + " of " + std::to_string(calllog::kHappyPathCalls) + " successful happy-path calls on " + f.happy_path->date, ev);
    }
    return result(r, CheckOutcome::pass, "20 successful happy-path calls on " + f.happy_path->date, ev);
  }
  if (c == "polling_rule") {
    if (!f.behaviour) return result(r, CheckOutcome::needs_review, "the call log could not be read for the review window");
    json ev = {{"status_reads", f.behaviour->status_reads}, {"polling_violations", f.behaviour->polling_violations},
               {"examples", calls_json(f.behaviour->violation_examples)}};
    if (f.behaviour->polling_violations > 0) return result(r, CheckOutcome::fail, std::to_string(f.behaviour->polling_violations) + " polling-rule violation(s) in the review window", ev);
    return result(r, CheckOutcome::pass, "no polling-rule violations in the review window", ev);
  }
  if (c == "behaviour_report") {
    if (!f.behaviour) return result(r, CheckOutcome::needs_review, "the call log could not be read for the review window");
    const auto& b = *f.behaviour;
    json errors = json::array();
    for (const auto& e : b.errors) errors.push_back({{"status", e.status}, {"code", e.code}, {"count", e.count}});
    json ev = {{"from", format_rfc3339(b.from)}, {"to", format_rfc3339(b.to)}, {"total", b.total},
               {"client_errors", b.client_errors}, {"server_errors", b.server_errors}, {"error_rate", b.error_rate},
               {"rate_limited", b.rate_limited}, {"errors", errors}, {"status_tracking", b.status_tracking}};
    if (b.total == 0) return result(r, CheckOutcome::fail, "no API calls of the app in the review window", ev);
    if (b.rate_limited > 0 || b.error_rate > 0.05) {
      return result(r, CheckOutcome::needs_review, "errors or 429 responses in the review window: the reviewer judges them", ev);
    }
    return result(r, CheckOutcome::pass, "low error rate and no 429 responses in the review window", ev);
  }
  if (c == "webhook_deliveries_healthy") {
    const auto subs = f.behaviour && f.behaviour->webhook_subscriptions ? *f.behaviour->webhook_subscriptions : 0;
    json ev = {{"webhook_subscriptions", subs}};
    if (subs == 0) return result(r, CheckOutcome::fail, "the app declares webhooks but has no enabled webhook subscription", ev);
    return result(r, CheckOutcome::needs_review, "the reviewer checks the deliveries and the signature verification", ev);
  }
  return result(r, CheckOutcome::needs_review, "no automated check \"" + c + "\" is implemented: the reviewer judges it");
}

std::set<std::string> split_words(const std::string& s) {
  std::set<std::string> out;
  std::istringstream in(s);
  for (std::string w; in >> w;) out.insert(w);
  return out;
}

constexpr std::string_view kRunColumns =
    "id, request_id, status, job_id, requested_by, requested_at, started_at, finished_at, report, error";

std::optional<RunStatus> parse_run_status(std::string_view s) {
  for (auto st : {RunStatus::queued, RunStatus::running, RunStatus::done, RunStatus::failed}) {
    if (to_string(st) == s) return st;
  }
  return std::nullopt;
}

PreReviewRun run_from_row(const store::Row& r) {
  PreReviewRun run;
  run.id = r.text(0);
  run.request_id = r.text(1);
  run.status = parse_run_status(r.text(2)).value_or(RunStatus::failed);
  run.job_id = r.opt_text(3);
  run.requested_by = r.text(4);
  run.requested_at = r.int64(5);
  run.started_at = r.opt_int64(6);
  run.finished_at = r.opt_int64(7);
  if (auto report = r.opt_text(8)) {
    auto j = json::parse(*report, nullptr, false);
    if (!j.is_discarded()) run.report = std::move(j);
  }
  run.error = r.opt_text(9);
  return run;
}

}  // namespace

std::string_view to_string(CheckOutcome o) {
  switch (o) {
    case CheckOutcome::pass:
      return "pass";
    case CheckOutcome::fail:
      return "fail";
    case CheckOutcome::needs_review:
      return "needs_review";
  }
  return "needs_review";
}

std::string_view to_string(RunStatus s) {
  switch (s) {
    case RunStatus::queued:
      return "queued";
    case RunStatus::running:
      return "running";
    case RunStatus::done:
      return "done";
    case RunStatus::failed:
      return "failed";
  }
  return "failed";
}

std::vector<CheckResult> build_report(const Catalogue& catalogue, const PreReviewFacts& facts) {
  std::vector<CheckResult> out;
  for (const Requirement* r : catalogue.applicable(facts.declared_functions)) {
    if (r->check.empty()) continue;
    // Promotion and listing checks are judged later in the lifecycle, not by the pre-review.
    if (r->stage == "promotion" || r->stage == "listing") continue;
    out.push_back(judge(*r, facts));
  }
  return out;
}

json report_json(const std::string& catalogue_version, const std::vector<CheckResult>& results, Micros at) {
  json checks = json::array();
  int pass = 0, failed = 0, review = 0;
  for (const auto& r : results) {
    (r.outcome == CheckOutcome::pass ? pass : r.outcome == CheckOutcome::fail ? failed : review)++;
    checks.push_back({{"requirement_id", r.requirement_id}, {"title", r.title}, {"check", r.check},
                      {"outcome", to_string(r.outcome)}, {"summary", r.summary}, {"evidence", r.evidence}});
  }
  return {{"catalogue_version", catalogue_version},
          {"generated_at", format_rfc3339(at)},
          {"summary", {{"pass", pass}, {"fail", failed}, {"needs_review", review}}},
          {"checks", checks}};
}

Result<PreReviewFacts> gather_facts(store::Database& db, const Request& request, const BusinessCalendar& calendar,
                                    Micros now) {
  PreReviewFacts f;
  f.app_id = request.app_id;
  f.now = now;
  f.recertification = request.kind == Kind::recertification;
  f.call_log_date = request.call_log_date;
  if (request.call_log_date) {
    // The rule is judged at submission; before it (a draft), against the day of the run.
    f.call_log_date_in_week = call_log_date_in_week(*request.call_log_date, request.submitted_at.value_or(now), calendar);
  }
  {
    auto lease = CS_TRY(db.connect());
    auto& conn = *lease;
    auto version = CS_TRY(conn.query_one("SELECT functions FROM app_versions WHERE id = $1",
                                         store::params(request.app_version_id)));
    if (version) f.declared_functions = split_words(version->text(0));
    f.artifacts = summarise_artifacts(CS_TRY(list_artifacts(conn, request.id)));
    auto answers = CS_TRY(load_answers(conn, request.id));
    f.questionnaire = completeness(current_questionnaire(), answers.answers);
    auto dry = CS_TRY(load_dry_run(conn, request.id));
    if (dry) {
      f.dry_run_scheduled = true;
      f.dry_run_held = dry->held_at.has_value();
      f.dry_run_open_findings = dry->open_findings;
    }
    // OAuth evidence (OAUTH-1..3): redeemed codes, by whose account and with which challenge.
    auto foreign = CS_TRY(conn.query_one(
        "SELECT COUNT(*) FROM oauth_codes c JOIN accounts a ON a.id = c.account_id "
        "WHERE c.app_id = $1 AND c.used_at IS NOT NULL AND c.code_challenge_method = 'S256' "
        "AND (a.partner_org_id IS NULL OR a.partner_org_id <> $2)",
        store::params(request.app_id, request.partner_org_id)));
    f.foreign_account_pkce_flows = foreign ? foreign->int64(0) : 0;
    auto codes = CS_TRY(conn.query_one(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN code_challenge_method = 'S256' THEN 0 ELSE 1 END), 0) "
        "FROM oauth_codes WHERE app_id = $1 AND used_at IS NOT NULL",
        store::params(request.app_id)));
    if (codes) {
      f.codes_redeemed = codes->int64(0);
      f.codes_without_pkce = codes->int64(1);
    }
    auto reuse = CS_TRY(conn.query_one(
        "SELECT COUNT(*) FROM audit_log l JOIN oauth_grants g ON g.id = l.target_id "
        "WHERE l.action = 'oauth.refresh.reused' AND l.target_type = 'oauth_grant' AND g.app_id = $1",
        store::params(request.app_id)));
    f.refresh_reuses = reuse ? reuse->int64(0) : 0;
  }
  if (request.call_log_date) {
    auto hp = calllog::happy_path_calls(db, request.app_id, format_local_date(*request.call_log_date),
                                        calendar.spec().time_zone);
    if (!hp) return tl::unexpected(std::move(hp).error());
    f.happy_path = std::move(*hp);
  }
  auto behaviour = calllog::behaviour_report(db, request.app_id, now - kReviewWindow, now);
  if (!behaviour) return tl::unexpected(std::move(behaviour).error());
  f.behaviour = std::move(*behaviour);
  return f;
}

json to_json(const PreReviewRun& r) {
  json j = {{"id", r.id},
            {"request_id", r.request_id},
            {"status", to_string(r.status)},
            {"requested_by", r.requested_by},
            {"requested_at", format_rfc3339(r.requested_at)}};
  j["started_at"] = r.started_at ? json(format_rfc3339(*r.started_at)) : json();
  j["finished_at"] = r.finished_at ? json(format_rfc3339(*r.finished_at)) : json();
  j["report"] = r.report ? *r.report : json();
  if (r.error) j["error"] = *r.error;
  return j;
}

json to_json(const Waiver& w) {
  return {{"id", w.id},         {"request_id", w.request_id}, {"requirement_id", w.requirement_id},
          {"reason", w.reason}, {"waived_by", w.waived_by},   {"waived_at", format_rfc3339(w.waived_at)}};
}

Result<PreReviewRun> enqueue_run(store::Connection& conn, std::string_view request_id, std::string_view requested_by,
                                 Micros now) {
  PreReviewRun run;
  run.id = new_id("prr");
  run.request_id = std::string(request_id);
  run.requested_by = std::string(requested_by);
  run.requested_at = now;
  const json payload = {{"run_id", run.id}, {"request_id", run.request_id}};
  run.job_id = CS_TRY(store::enqueue(conn, {.kind = std::string(kPreReviewJobKind), .payload = payload.dump(), .run_at = now, .max_attempts = 5}));
  CS_TRY(conn.exec("INSERT INTO cert_pre_review_runs (id, request_id, status, job_id, requested_by, requested_at) "
                   "VALUES ($1, $2, 'queued', $3, $4, $5)",
                   store::params(run.id, run.request_id, run.job_id, run.requested_by, now)));
  return run;
}

Result<std::optional<PreReviewRun>> load_run(store::Connection& conn, std::string_view run_id) {
  auto row = CS_TRY(conn.query_one("SELECT " + std::string(kRunColumns) + " FROM cert_pre_review_runs WHERE id = $1",
                                   store::params(run_id)));
  if (!row) return std::optional<PreReviewRun>{};
  return std::optional<PreReviewRun>{run_from_row(*row)};
}

Result<std::optional<PreReviewRun>> latest_run(store::Connection& conn, std::string_view request_id) {
  auto rows = CS_TRY(conn.query("SELECT " + std::string(kRunColumns) +
                                    " FROM cert_pre_review_runs WHERE request_id = $1 "
                                    "ORDER BY requested_at DESC, id DESC LIMIT 1",
                                store::params(request_id)));
  if (rows.empty()) return std::optional<PreReviewRun>{};
  return std::optional<PreReviewRun>{run_from_row(rows.front())};
}

Result<std::optional<PreReviewRun>> latest_finished_run(store::Connection& conn, std::string_view request_id) {
  auto rows = CS_TRY(conn.query("SELECT " + std::string(kRunColumns) +
                                    " FROM cert_pre_review_runs WHERE request_id = $1 AND status = 'done' "
                                    "ORDER BY finished_at DESC, id DESC LIMIT 1",
                                store::params(request_id)));
  if (rows.empty()) return std::optional<PreReviewRun>{};
  return std::optional<PreReviewRun>{run_from_row(rows.front())};
}

Status mark_running(store::Connection& conn, std::string_view run_id, Micros now) {
  CS_TRY(conn.exec("UPDATE cert_pre_review_runs SET status = 'running', started_at = $2, error = NULL WHERE id = $1",
                   store::params(run_id, now)));
  return {};
}

Status mark_done(store::Connection& conn, std::string_view run_id, const json& report, Micros now) {
  CS_TRY(conn.exec("UPDATE cert_pre_review_runs SET status = 'done', finished_at = $2, report = $3, error = NULL "
                   "WHERE id = $1",
                   store::params(run_id, now, report.dump())));
  return {};
}

Status mark_failed(store::Connection& conn, std::string_view run_id, std::string_view error, Micros now) {
  CS_TRY(conn.exec("UPDATE cert_pre_review_runs SET status = 'failed', finished_at = $2, error = $3 WHERE id = $1",
                   store::params(run_id, now, error)));
  return {};
}

Result<Waiver> store_waiver(store::Connection& conn, std::string_view request_id, std::string_view requirement_id,
                            std::string_view reason, std::string_view waived_by, Micros now) {
  Waiver w{new_id("cwv"), std::string(request_id), std::string(requirement_id), std::string(reason),
           std::string(waived_by), now};
  auto changed = CS_TRY(conn.exec(
      "UPDATE cert_check_waivers SET reason = $3, waived_by = $4, waived_at = $5 "
      "WHERE request_id = $1 AND requirement_id = $2",
      store::params(request_id, requirement_id, reason, waived_by, now)));
  if (changed == 0) {
    CS_TRY(conn.exec("INSERT INTO cert_check_waivers (id, request_id, requirement_id, reason, waived_by, waived_at) "
                     "VALUES ($1, $2, $3, $4, $5, $6)",
                     store::params(w.id, w.request_id, w.requirement_id, w.reason, w.waived_by, now)));
    return w;
  }
  auto row = CS_TRY(conn.query_one("SELECT id FROM cert_check_waivers WHERE request_id = $1 AND requirement_id = $2",
                                   store::params(request_id, requirement_id)));
  if (row) w.id = row->text(0);
  return w;
}

Result<std::vector<Waiver>> list_waivers(store::Connection& conn, std::string_view request_id) {
  auto rows = CS_TRY(conn.query("SELECT id, request_id, requirement_id, reason, waived_by, waived_at "
                                "FROM cert_check_waivers WHERE request_id = $1 ORDER BY waived_at, id",
                                store::params(request_id)));
  std::vector<Waiver> out;
  for (const auto& r : rows) out.push_back({r.text(0), r.text(1), r.text(2), r.text(3), r.text(4), r.int64(5)});
  return out;
}

std::vector<std::string> unresolved_in(const json& report, const std::vector<Waiver>& waivers) {
  std::vector<std::string> out;
  if (!report.contains("checks") || !report["checks"].is_array()) return out;
  for (const auto& c : report["checks"]) {
    const std::string id = c.value("requirement_id", "");
    if (c.value("outcome", "") == "pass") continue;
    const bool waived = std::any_of(waivers.begin(), waivers.end(), [&](const Waiver& w) { return w.requirement_id == id; });
    if (!waived && std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
  }
  return out;
}

}  // namespace cs::certification
