// The automated pre-review (issue 6 §4): a durable job (kind `certification.pre_review`) that
// judges a request's evidence requirement by requirement, for the catalogue requirements with an
// automated check that apply to the app's declared functions: pass, fail or needs_review, each
// with its evidence (the 20 happy-path calls or the shortfall, the behaviour report, OAuth
// evidence, video and trace checks, questionnaire completeness). Every run is kept
// (cert_pre_review_runs); the engineer may waive a failing check with a reason
// (cert_check_waivers), and unresolved_checks() reads the latest finished run and the waivers.
//
// build_report() is pure: the job gathers PreReviewFacts from storage, then judges them.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "calllog/review.hpp"
#include "certification/artifacts.hpp"
#include "certification/catalogue.hpp"
#include "certification/questionnaire.hpp"
#include "certification/request.hpp"
#include "core/business_calendar.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "store/database.hpp"

namespace cs::certification {

inline constexpr std::string_view kPreReviewJobKind = "certification.pre_review";
// The behaviour report's window: the week up to the run (the week of the request).
inline constexpr Micros kReviewWindow = 7LL * 24 * 3600 * kMicrosPerSecond;

enum class CheckOutcome { pass, fail, needs_review };
std::string_view to_string(CheckOutcome o);

struct CheckResult {
  std::string requirement_id;
  std::string title;
  std::string check;
  CheckOutcome outcome = CheckOutcome::needs_review;
  std::string summary;  // one sentence for the partner
  nlohmann::json evidence = nlohmann::json::object();
};

// Everything the checks look at, gathered by the job.
struct PreReviewFacts {
  std::string app_id;
  std::set<std::string> declared_functions;
  bool recertification = false;
  Micros now = 0;
  // API-1 / API-2 / API-3 / API-4 / API-5 / TRC-3
  std::optional<LocalDate> call_log_date;
  bool call_log_date_in_week = false;
  std::optional<calllog::HappyPath> happy_path;
  std::optional<calllog::BehaviourReport> behaviour;
  // OAUTH-1..3
  std::int64_t foreign_account_pkce_flows = 0;  // codes redeemed with S256 on accounts outside the org
  std::int64_t codes_redeemed = 0;
  std::int64_t codes_without_pkce = 0;
  std::int64_t refresh_reuses = 0;
  // Artifacts, questionnaire, dry run.
  ArtifactFacts artifacts;
  Completeness questionnaire;
  bool dry_run_scheduled = false;
  bool dry_run_held = false;
  int dry_run_open_findings = 0;
};

// One result per automated requirement of `catalogue` that applies to the declared functions and
// is due by review (stages submission, review and approval), in catalogue order. A check name this
// code does not know answers needs_review, never a silent pass.
std::vector<CheckResult> build_report(const Catalogue& catalogue, const PreReviewFacts& facts);
nlohmann::json report_json(const std::string& catalogue_version, const std::vector<CheckResult>& results, Micros at);

// Gathers the facts for `request_id` (call log queries borrow their own connections).
Result<PreReviewFacts> gather_facts(store::Database& db, const Request& request, const BusinessCalendar& calendar,
                                    Micros now);

// --- runs and waivers ---------------------------------------------------------------------------
enum class RunStatus { queued, running, done, failed };
std::string_view to_string(RunStatus s);

struct PreReviewRun {
  std::string id;  // prr_...
  std::string request_id;
  RunStatus status = RunStatus::queued;
  std::optional<std::string> job_id;
  std::string requested_by;
  Micros requested_at = 0;
  std::optional<Micros> started_at;
  std::optional<Micros> finished_at;
  std::optional<nlohmann::json> report;
  std::optional<std::string> error;
};
nlohmann::json to_json(const PreReviewRun& r);

struct Waiver {
  std::string id;  // cwv_...
  std::string request_id;
  std::string requirement_id;
  std::string reason;
  std::string waived_by;
  Micros waived_at = 0;
};
nlohmann::json to_json(const Waiver& w);

// Inserts a queued run and its job (payload {"run_id","request_id"}) on the caller's connection.
Result<PreReviewRun> enqueue_run(store::Connection& conn, std::string_view request_id, std::string_view requested_by,
                                 Micros now);
Result<std::optional<PreReviewRun>> load_run(store::Connection& conn, std::string_view run_id);
Result<std::optional<PreReviewRun>> latest_run(store::Connection& conn, std::string_view request_id);
// The newest run with status done.
Result<std::optional<PreReviewRun>> latest_finished_run(store::Connection& conn, std::string_view request_id);
Status mark_running(store::Connection& conn, std::string_view run_id, Micros now);
Status mark_done(store::Connection& conn, std::string_view run_id, const nlohmann::json& report, Micros now);
Status mark_failed(store::Connection& conn, std::string_view run_id, std::string_view error, Micros now);

// Upserts the waiver of one requirement (a new reason replaces the old).
Result<Waiver> store_waiver(store::Connection& conn, std::string_view request_id, std::string_view requirement_id,
                            std::string_view reason, std::string_view waived_by, Micros now);
Result<std::vector<Waiver>> list_waivers(store::Connection& conn, std::string_view request_id);

// Requirement ids whose latest result (in `report`) is not pass and that carry no waiver.
std::vector<std::string> unresolved_in(const nlohmann::json& report, const std::vector<Waiver>& waivers);

}  // namespace cs::certification
