// `countersign cert ...` through the real binary (issue 6 §8), and GET /v1/certification/metrics
// plus .../final-review over real HTTP: staff only for metrics, tenant-scoped for a request.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "oauth_client.hpp"

namespace cs::testing {
namespace {

// Runs SQL against the data directory's SQLite database (seeding what earlier steps of the
// lifecycle would have produced; RequestService's own tests cover those steps).
void sql(const std::filesystem::path& db_file, const std::string& statement) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_file.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  int rc = sqlite3_exec(db, statement.c_str(), nullptr, nullptr, &err);
  std::string message = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << message << "\n" << statement;
}

std::string query_text(const std::filesystem::path& db_file, const std::string& statement) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(db_file.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, statement.c_str(), -1, &st, nullptr), SQLITE_OK);
  std::string out;
  if (sqlite3_step(st) == SQLITE_ROW)
    out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

// The JSON result: the last line of stdout (start-up log lines may precede it).
nlohmann::json js(const CliResult& r) {
  std::string out = r.out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  auto nl = out.rfind('\n');
  return nlohmann::json::parse(nl == std::string::npos ? out : out.substr(nl + 1));
}

class CertificationCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    crypto::init();
    data_ = (dir_.path() / "data").string();
    auto seeded = cli({"demo", "seed", "--json"});
    ASSERT_EQ(seeded.exit_code, 0) << seeded.err;
    demo_ = js(seeded);
    db_file_ = dir_.path() / "data" / "countersign.db";
    // A submitted request for the demo app (2026-11-23T09:00Z).
    sql(db_file_,
        "INSERT INTO cert_requests (id, app_id, app_version_id, partner_org_id, kind, state, "
        "catalogue_version, "
        "remedy_rounds, created_by, created_at, updated_at, submitted_at, review_clock_started_at, "
        "review_due_at) "
        "SELECT 'crq_clitest000000000000000', a.id, a.current_version_id, a.partner_org_id, "
        "'initial', 'submitted', "
        "'2026.1', 0, 'usr_seed', 1795424400000000, 1795424400000000, 1795424400000000, "
        "1795424400000000, "
        "1795996800000000 FROM apps a WHERE a.client_id = '" +
            demo_["app"]["client_id"].get<std::string>() + "'");
  }

  CliResult cli(std::vector<std::string> args) {
    args.push_back("--data-dir");
    args.push_back(data_);
    return run_cli(args);
  }
  std::string email(const char* who) const { return demo_["users"][who]["email"]; }
  std::string password(const char* who) const { return demo_["users"][who]["password"]; }

  static constexpr const char* kId = "crq_clitest000000000000000";
  TempDir dir_;
  std::string data_;
  nlohmann::json demo_;
  std::filesystem::path db_file_;
};

TEST_F(CertificationCliTest, ListShowAssignHistoryAndMetrics) {
  auto help = cli({"cert", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  for (const char* sub : {"list", "show", "assign", "history", "metrics"}) {
    EXPECT_NE(help.out.find(sub), std::string::npos) << sub;
  }

  auto listed = cli({"cert", "list", "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  ASSERT_EQ(js(listed)["data"].size(), 1u);
  EXPECT_EQ(js(listed)["data"][0]["id"], kId);
  EXPECT_EQ(js(listed)["data"][0]["state"], "submitted");
  EXPECT_TRUE(js(cli({"cert", "list", "--state", "launched", "--json"}))["data"].empty());
  auto human = cli({"cert", "list"});
  EXPECT_NE(human.out.find(std::string(kId) + "  submitted"), std::string::npos) << human.out;

  auto shown = cli({"cert", "show", kId, "--json"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_EQ(js(shown)["state"], "submitted");
  EXPECT_TRUE(js(shown)["assignments"].empty());
  EXPECT_EQ(js(shown)["clock"]["kind"], "review");

  // Least loaded certification engineer, then a named security reviewer: in review.
  auto engineer = cli({"cert", "assign", kId, "--role", "certification_engineer", "--json"});
  ASSERT_EQ(engineer.exit_code, 0) << engineer.err;
  EXPECT_EQ(js(engineer)["email"], email("certification_engineer"));
  EXPECT_EQ(js(engineer)["role"], "certification_engineer");
  auto reviewer = cli({"cert", "assign", kId, "--role", "security_reviewer", "--user",
                       email("security_reviewer"), "--json"});
  ASSERT_EQ(reviewer.exit_code, 0) << reviewer.err;
  EXPECT_EQ(js(cli({"cert", "show", kId, "--json"}))["state"], "in_review");
  EXPECT_EQ(js(cli({"cert", "show", kId, "--json"}))["assignments"].size(), 2u);

  auto history = cli({"cert", "history", kId, "--json"});
  ASSERT_EQ(history.exit_code, 0) << history.err;
  bool moved = false;
  auto timeline = js(history);
  for (const auto& h : timeline["data"]) {
    if (h["to_state"] == "in_review") moved = true;
  }
  EXPECT_TRUE(moved) << history.out;

  auto metrics = cli({"cert", "metrics", "--json"});
  ASSERT_EQ(metrics.exit_code, 0) << metrics.err;
  EXPECT_EQ(js(metrics)["requests_by_state"]["in_review"], 1);
  EXPECT_EQ(js(metrics)["requests_by_state"]["submitted"], 0);
  EXPECT_TRUE(js(metrics)["time_to_certify_business_days"]["median"].is_null());

  // The operator's two assignments and the move to in_review are audited; the chain verifies.
  EXPECT_EQ(
      query_text(db_file_,
                 "SELECT COUNT(*) FROM audit_log WHERE actor_type = 'operator' AND target_id = '" +
                     std::string(kId) + "'"),
      "3");
  EXPECT_EQ(cli({"audit", "verify", "--json"}).exit_code, 0);
}

TEST_F(CertificationCliTest, BadInputIsRefusedAndChangesNothing) {
  auto unknown = cli({"cert", "show", "crq_doesnotexist0000000000", "--json"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_EQ(nlohmann::json::parse(unknown.err)["error"]["code"], "not_found");
  auto state = cli({"cert", "list", "--state", "nonsense", "--json"});
  EXPECT_EQ(state.exit_code, 1);
  EXPECT_EQ(nlohmann::json::parse(state.err)["error"]["code"], "validation_failed");
  auto role = cli({"cert", "assign", kId, "--role", "partner_admin", "--json"});
  EXPECT_EQ(role.exit_code, 1);
  // A partner user is no certification engineer.
  auto not_staff = cli({"cert", "assign", kId, "--role", "certification_engineer", "--user",
                        email("partner_admin"), "--json"});
  EXPECT_EQ(not_staff.exit_code, 1);
  EXPECT_EQ(cli({"cert", "assign", kId, "--json"}).exit_code, 2);  // --role is required
  EXPECT_EQ(query_text(db_file_, "SELECT COUNT(*) FROM cert_assignments"), "0");
  EXPECT_EQ(js(cli({"cert", "show", kId, "--json"}))["state"], "submitted");
}

TEST_F(CertificationCliTest, MetricsAndFinalReviewOverHttpAreScopedToTheirAudience) {
  ServerProcess server({dir_.path() / "data", {}, {}, {}});
  OAuthDriver driver(server);
  auto session = [&](const char* who) {
    CookieJar jar = driver.sign_in(email(who), password(who));
    return std::vector<std::pair<std::string, std::string>>{{"Cookie", jar.header()}};
  };

  auto staff = driver.send("GET", "/v1/certification/metrics", {}, session("partner_manager"));
  ASSERT_EQ(staff.status, 200) << staff.body;
  EXPECT_EQ(staff.json()["requests_by_state"]["submitted"], 1);
  auto partner = driver.send("GET", "/v1/certification/metrics", {}, session("partner_admin"));
  EXPECT_EQ(partner.status, 403) << partner.body;
  EXPECT_EQ(partner.header("content-type"), "application/problem+json");
  EXPECT_EQ(driver.send("GET", "/v1/certification/metrics", {}, {}).status, 401);

  std::string path = "/v1/certification/requests/" + std::string(kId) + "/final-review";
  auto own = driver.send("GET", path, {}, session("partner_admin"));
  ASSERT_EQ(own.status, 200) << own.body;
  EXPECT_EQ(own.json()["state"], "submitted");
  EXPECT_TRUE(own.json()["envelope"].is_null());
  auto approver = driver.send("GET", path, {}, session("final_approver"));
  EXPECT_EQ(approver.status, 200) << approver.body;
  // A customer account's admin sees no partner's request: 404, as for an unknown id.
  auto outsider = driver.send("GET", path, {}, session("production_admin"));
  EXPECT_EQ(outsider.status, 404) << outsider.body;
  EXPECT_EQ(driver
                .send("GET", "/v1/certification/requests/crq_unknown/final-review", {},
                      session("partner_admin"))
                .status,
            404);
  auto certificate = driver.send("GET", path + "/certificate", {}, session("partner_admin"));
  EXPECT_EQ(certificate.status, 404) << certificate.body;
  EXPECT_EQ(certificate.header("content-type"), "application/problem+json");
}

}  // namespace
}  // namespace cs::testing
