// Certification requests over real HTTP against the real binary (issue 6 §2): open, the submit
// refusal listing what is missing (problem+json requirements_unmet with `missing`), the findings
// round-trip (assign, file, respond, remedy, close), the timeline, and cross-tenant denial.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "oauth_client.hpp"

namespace cs::testing {
namespace {

void sql(const std::filesystem::path& db_file, const std::string& statement) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_file.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  int rc = sqlite3_exec(db, statement.c_str(), nullptr, nullptr, &err);
  std::string message = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << message;
}

nlohmann::json last_json_line(const CliResult& r) {
  std::string out = r.out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  auto nl = out.rfind('\n');
  return nlohmann::json::parse(nl == std::string::npos ? out : out.substr(nl + 1));
}

TEST(CertificationApi, OpenRefusedSubmitAndTheFindingsRoundTrip) {
  crypto::init();
  TempDir dir;
  std::string data = (dir.path() / "data").string();
  auto seeded = run_cli({"demo", "seed", "--json", "--data-dir", data});
  ASSERT_EQ(seeded.exit_code, 0) << seeded.err;
  auto demo = last_json_line(seeded);
  auto users = demo["users"];
  ServerProcess server({dir.path() / "data", {}, {}, {}});
  OAuthDriver driver(server);
  using Headers = std::vector<std::pair<std::string, std::string>>;
  auto session = [&](const char* who) {
    CookieJar jar = driver.sign_in(users[who]["email"], users[who]["password"]);
    return Headers{{"Cookie", jar.header()}, {"X-CSRF-Token", driver.session_csrf(jar)}, {"Content-Type", "application/json"}};
  };
  Headers partner = session("partner_admin"), manager = session("partner_manager"),
          engineer = session("certification_engineer"), security = session("security_reviewer"),
          outsider = session("production_admin");

  std::string app_id;
  auto apps = driver.send("GET", "/v1/apps", "", partner);
  ASSERT_EQ(apps.status, 200) << apps.body;
  // The demo partner org has exactly one app.
  auto app_list = apps.json();
  ASSERT_EQ(app_list["data"].size(), 1u) << apps.body;
  app_id = app_list["data"][0]["id"];
  ASSERT_FALSE(app_id.empty()) << apps.body << demo.dump();
  // Open a draft for the demo app.
  auto opened = driver.send("POST", "/v1/certification/requests", nlohmann::json{{"app_id", app_id}}.dump(), partner);
  ASSERT_EQ(opened.status, 201) << opened.body;
  std::string id = opened.json()["id"];
  std::string base = "/v1/certification/requests/" + id;
  EXPECT_EQ(opened.json()["state"], "draft");
  auto twice = driver.send("POST", "/v1/certification/requests", nlohmann::json{{"app_id", app_id}}.dump(), partner);
  EXPECT_EQ(twice.status, 409) << twice.body;
  EXPECT_EQ(twice.json()["active_request_id"], id);

  // Submit with nothing uploaded: 422 listing every missing requirement; nothing changed.
  auto refused = driver.send("POST", base + "/submit", "", partner);
  ASSERT_EQ(refused.status, 422) << refused.body;
  EXPECT_EQ(refused.header("content-type"), "application/problem+json");
  EXPECT_EQ(refused.json()["code"], "requirements_unmet");
  std::set<std::string> missing;
  auto refusal = refused.json();
  for (const auto& m : refusal["missing"]) missing.insert(m["requirement_id"].get<std::string>());
  for (const char* req : {"SEC-1", "SEC-2", "SEC-4", "QUES-1", "VID-1", "API-1"}) {
    EXPECT_TRUE(missing.count(req)) << req << " " << refused.body;
  }
  EXPECT_EQ(driver.send("GET", base, "", partner).json()["state"], "draft");
  // Illegal: approving a draft.
  auto illegal = driver.send("POST", base + "/remedy", "", partner);
  EXPECT_EQ(illegal.status, 409) << illegal.body;
  EXPECT_EQ(illegal.json()["code"], "invalid_transition");

  // The evidence side's steps are its own tests: take the request as submitted from here.
  sql(dir.path() / "data" / "countersign.db",
      "UPDATE cert_requests SET state = 'submitted', submitted_at = updated_at, review_clock_started_at = updated_at, "
      "review_due_at = updated_at + 864000000000 WHERE id = '" + id + "'");

  // Other tenants see nothing; partners cannot assign.
  EXPECT_EQ(driver.send("GET", base, "", outsider).status, 404);
  EXPECT_EQ(driver.send("GET", base + "/findings", "", outsider).status, 404);
  EXPECT_EQ(driver.send("GET", base, "", engineer).status, 404);  // not assigned yet
  EXPECT_EQ(driver.send("POST", base + "/assignments", R"({"role":"certification_engineer"})", partner).status, 403);

  auto a1 = driver.send("POST", base + "/assignments", R"({"role":"certification_engineer"})", manager);
  ASSERT_EQ(a1.status, 201) << a1.body;
  auto a2 = driver.send("POST", base + "/assignments", R"({"role":"security_reviewer"})", manager);
  ASSERT_EQ(a2.status, 201) << a2.body;
  EXPECT_EQ(driver.send("GET", base, "", engineer).json()["state"], "in_review");

  auto bad = driver.send("POST", base + "/findings", R"({"requirement_id":"SEC-2","severity":"urgent","description":"x"})", engineer);
  EXPECT_EQ(bad.status, 422) << bad.body;
  EXPECT_EQ(bad.json()["field"], "severity");
  auto filed = driver.send("POST", base + "/findings",
                           R"({"requirement_id":"SEC-2","severity":"high","description":"Tokens in plain text","evidence":"row 3"})",
                           engineer);
  ASSERT_EQ(filed.status, 201) << filed.body;
  std::string finding = filed.json()["id"];
  EXPECT_EQ(driver.send("GET", base, "", partner).json()["state"], "changes_requested");

  auto early = driver.send("POST", base + "/remedy", "", partner);
  EXPECT_EQ(early.status, 422) << early.body;
  auto answered = driver.send("POST", base + "/findings/" + finding + "/response", R"({"response":"Encrypted now"})", partner);
  ASSERT_EQ(answered.status, 200) << answered.body;
  EXPECT_EQ(answered.json()["status"], "responded");
  auto remedied = driver.send("POST", base + "/remedy", "", partner);
  ASSERT_EQ(remedied.status, 200) << remedied.body;
  EXPECT_EQ(remedied.json()["state"], "in_review");
  EXPECT_EQ(remedied.json()["remedy_rounds"], 1);
  EXPECT_EQ(remedied.json()["clock"]["kind"], "review");

  auto closed = driver.send("POST", base + "/findings/" + finding + "/close", R"({"note":"Verified"})", engineer);
  ASSERT_EQ(closed.status, 200) << closed.body;
  EXPECT_EQ(closed.json()["status"], "closed");
  EXPECT_EQ(driver.send("POST", base + "/findings/" + finding + "/close", "", engineer).status, 409);

  auto history = driver.send("GET", base + "/history", "", partner);
  ASSERT_EQ(history.status, 200) << history.body;
  std::vector<std::string> actions;
  auto timeline = history.json();
  for (const auto& h : timeline["data"]) actions.push_back(h["action"]);
  EXPECT_EQ(actions.front(), "opened");
  EXPECT_EQ(actions.back(), "finding_closed");
  EXPECT_EQ(driver.send("GET", base + "/history", "", outsider).status, 404);
  (void)security;
}

}  // namespace
}  // namespace cs::testing
