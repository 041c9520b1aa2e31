// The certification envelope over real HTTP against the real binary (issue 6 §2 final review,
// DESIGN.md "Launch"; certification/final_review.hpp):
//  * the partner files the promotion form, the server's job sends the certificate envelope to
//    the final approver, and GET .../final-review/certificate serves it as sent;
//  * the operator reassigns the final approver (`countersign cert assign --role final_approver`)
//    and a partner manager does it through POST .../assignments: each time the old envelope is
//    voided and its signing link answers 410, and a new envelope goes to the new approver;
//  * the approver signs through the real signing pages; while no job worker has sealed the
//    completed envelope the certificate route answers 409 seal_pending (with Retry-After), then
//    the sealed PDF: the blob the seal recorded (its SHA-256 and size, i.e. the bytes of GET
//    /v1/envelopes/{id}/documents/combined), signed, which pdfsig and qpdf accept.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <regex>
#include <thread>

#include "oauth_client.hpp"

namespace cs::testing {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

void sql(const std::filesystem::path& db_file, const std::string& statement) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_file.c_str(), &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 10000);
  char* err = nullptr;
  int rc = sqlite3_exec(db, statement.c_str(), nullptr, nullptr, &err);
  std::string message = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << message << "\n" << statement;
}

// Every row's first column.
std::vector<std::string> column(const std::filesystem::path& db_file, const std::string& statement) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(db_file.c_str(), &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 10000);
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, statement.c_str(), -1, &st, nullptr), SQLITE_OK) << statement;
  std::vector<std::string> out;
  while (st && sqlite3_step(st) == SQLITE_ROW) {
    auto text = sqlite3_column_text(st, 0);
    out.emplace_back(text ? reinterpret_cast<const char*>(text) : "");
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

nlohmann::json last_json_line(const CliResult& r) {
  std::string out = r.out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  auto nl = out.rfind('\n');
  return nlohmann::json::parse(nl == std::string::npos ? out : out.substr(nl + 1));
}

std::string run_tool(const std::string& command, int* exit_code) {
  std::string out;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  char buf[4096];
  while (p && std::fgets(buf, sizeof buf, p)) out += buf;
  int status = p ? pclose(p) : -1;
  *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

class CertificationFinalReviewApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    crypto::init();
    data_ = dir_.path() / "data";
    auto seeded = cli({"demo", "seed", "--json"});
    ASSERT_EQ(seeded.exit_code, 0) << seeded.err;
    demo_ = last_json_line(seeded);
    db_file_ = data_ / "countersign.db";
    // The demo app's request, approved by the engineer (RequestService's tests cover the
    // steps before), waiting for the promotion form.
    sql(db_file_,
        "INSERT INTO cert_requests (id, app_id, app_version_id, partner_org_id, kind, state, "
        "catalogue_version, remedy_rounds, created_by, created_at, updated_at, submitted_at, "
        "approved_at) SELECT '" +
            std::string(kId) +
            "', a.id, a.current_version_id, a.partner_org_id, 'initial', 'engineer_approved', "
            "'2026.1', 0, 'usr_seed', 1795424400000000, 1795424400000000, 1795424400000000, "
            "1795424400000000 FROM apps a WHERE a.client_id = '" +
            demo_["app"]["client_id"].get<std::string>() + "'");
  }

  CliResult cli(std::vector<std::string> args) {
    args.push_back("--data-dir");
    args.push_back(data_.string());
    return run_cli(args);
  }
  std::string email(const char* who) const { return demo_["users"][who]["email"]; }
  std::string password(const char* who) const { return demo_["users"][who]["password"]; }

  Headers session(ServerProcess& server, const std::string& who_email, const std::string& pw) {
    OAuthDriver d(server);
    CookieJar jar = d.sign_in(who_email, pw);
    return {{"Cookie", jar.header()},
            {"X-CSRF-Token", d.session_csrf(jar)},
            {"Content-Type", "application/json"}};
  }
  Headers session(ServerProcess& server, const char* who) {
    return session(server, email(who), password(who));
  }

  static HttpResponse send(ServerProcess& server, const std::string& method,
                           const std::string& path, const std::string& body,
                           const Headers& headers) {
    return OAuthDriver(server).send(method, path, body, headers);
  }

  // The signing-link token of the newest invitation to `address` (email jobs stay in the table
  // once sent; the demo outbox is where they went).
  std::string signing_token(const std::string& address) {
    std::string token;
    std::regex link("/sign/(cs_sg_[A-Za-z0-9_-]+)");
    for (const auto& payload :
         column(db_file_, "SELECT payload FROM jobs WHERE kind = 'email.send' ORDER BY created_at, id")) {
      auto j = nlohmann::json::parse(payload);
      if (j.value("to", "") != address) continue;
      std::smatch m;
      std::string body = j.value("text_body", "");
      if (std::regex_search(body, m, link)) token = m[1];
    }
    return token;
  }

  // Polls the final-review view until `ready` holds (bounded; the server's job workers act).
  nlohmann::json wait_for(ServerProcess& server, const Headers& as,
                          const std::function<bool(const nlohmann::json&)>& ready) {
    nlohmann::json view;
    for (int i = 0; i < 600; ++i) {
      auto r = send(server, "GET", base() + "/final-review", "", as);
      if (r.status == 200) {
        view = r.json();
        if (ready(view)) return view;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "the final review did not reach the expected state: " << view.dump();
    return view;
  }

  static std::string base() { return "/v1/certification/requests/" + std::string(kId); }

  // The signer's ceremony through the real pages of `server`.
  static void sign(ServerProcess& server, const std::string& token, const std::string& name) {
    std::string page = server.base_url() + "/sign/" + token;
    auto post_form = [&](const std::string& url, const std::string& body) {
      return http({"POST", url, body, {{"Content-Type", "application/x-www-form-urlencoded"}}, 30000});
    };
    auto disclosure = http_get(page);
    ASSERT_EQ(disclosure.status, 200) << disclosure.body;
    auto agreed = post_form(page + "/disclosure",
                            "csrf_token=" + form_encode(csrf_from(disclosure.body)) + "&agree=yes");
    ASSERT_EQ(agreed.status, 303) << agreed.body;
    auto document = http_get(page);
    ASSERT_EQ(document.status, 200) << document.body;
    auto finished = post_form(page + "/finish", "csrf_token=" + form_encode(csrf_from(document.body)) +
                                                    "&signature_kind=typed&typed_name=" + form_encode(name));
    ASSERT_EQ(finished.status, 303) << finished.body;
  }

  static constexpr const char* kId = "crq_finalreviewapitest0000";
  TempDir dir_;
  std::filesystem::path data_;
  std::filesystem::path db_file_;
  nlohmann::json demo_;
};

TEST_F(CertificationFinalReviewApiTest, ReassignedApproverSignsAndTheCertificateIsTheSealedCopy) {
  std::string first_envelope, cto_token;
  std::string unsigned_pdf;
  {
    ServerProcess server({data_, {}, {}, {}});
    Headers partner = session(server, "partner_admin");
    nlohmann::json form{{"system_integrator_name", "Acme Integrations"},
                        {"technical_contact_name", "Pat Partner"},
                        {"technical_contact_email", "pat@partner.example"},
                        {"technical_contact_phone", "+14155550100"},
                        {"production_date_estimate", "2099-01-01"},
                        {"integration_key", demo_["app"]["client_id"]}};
    auto promoted = send(server, "POST", base() + "/promotion", form.dump(), partner);
    ASSERT_EQ(promoted.status, 200) << promoted.body;
    EXPECT_EQ(promoted.json()["state"], "promotion_requested");
    // The final approver's clock runs from the form (clocks.hpp).
    EXPECT_EQ(promoted.json()["clock"]["kind"], "final_approval") << promoted.body;

    auto view = wait_for(server, partner, [](const nlohmann::json& v) {
      return v["state"] == "final_review" && v["envelope"].is_object() && v["envelope"]["status"] == "sent";
    });
    ASSERT_EQ(view["state"], "final_review");
    first_envelope = view["envelope"]["id"];
    std::string approver_id =
        column(db_file_, "SELECT id FROM users WHERE email = '" + email("final_approver") + "'").at(0);
    EXPECT_EQ(view["final_approver"]["user_id"], approver_id) << view.dump();  // the only one yet
    // A second final approver joins the staff.
    auto second = cli({"admin", "create-user", "--email", "cfo@countersign.example", "--name",
                       "Finn Approver", "--json"});
    ASSERT_EQ(second.exit_code, 0) << second.err;
    ASSERT_EQ(cli({"admin", "grant-role", "--user", "cfo@countersign.example", "--role",
                   "final_approver", "--json"})
                  .exit_code,
              0);
    std::string cfo_id = column(db_file_, "SELECT id FROM users WHERE email = 'cfo@countersign.example'").at(0);
    std::string due = view["clock"]["due_at"];

    // Before signing: the certificate as sent.
    auto sent = send(server, "GET", base() + "/final-review/certificate", "", partner);
    ASSERT_EQ(sent.status, 200) << sent.body;
    EXPECT_EQ(sent.header("content-type"), "application/pdf");
    EXPECT_EQ(sent.body.rfind("%PDF-", 0), 0u);
    unsigned_pdf = sent.body;

    cto_token = signing_token(email("final_approver"));
    ASSERT_FALSE(cto_token.empty());
    EXPECT_EQ(http_get(server.base_url() + "/sign/" + cto_token).status, 200);

    // The operator reassigns the final approver from the CLI while the server runs.
    auto reassigned = cli({"cert", "assign", kId, "--role", "final_approver", "--user",
                           "cfo@countersign.example", "--json"});
    ASSERT_EQ(reassigned.exit_code, 0) << reassigned.err;
    EXPECT_EQ(last_json_line(reassigned)["email"], "cfo@countersign.example");
    // The old link stops working at once; a new envelope went to the new approver.
    EXPECT_EQ(http_get(server.base_url() + "/sign/" + cto_token).status, 410);
    view = wait_for(server, partner, [&](const nlohmann::json& v) {
      return v["envelope"].is_object() && v["envelope"]["id"] != first_envelope;
    });
    EXPECT_EQ(view["final_approver"]["user_id"], cfo_id);
    EXPECT_EQ(view["envelope"]["status"], "sent");
    EXPECT_EQ(view["clock"]["due_at"], due);  // the platform's promise does not move
    EXPECT_EQ(column(db_file_, "SELECT status FROM envelopes WHERE id = '" + first_envelope + "'"),
              std::vector<std::string>{"voided"});
    auto reason = column(db_file_, "SELECT status_reason FROM envelopes WHERE id = '" + first_envelope + "'");
    ASSERT_EQ(reason.size(), 1u);
    EXPECT_NE(reason[0].find("reassigned to Finn Approver"), std::string::npos) << reason[0];
    std::string cfo_token = signing_token("cfo@countersign.example");
    ASSERT_FALSE(cfo_token.empty());

    // A partner manager reassigns it back through the API; partners may not.
    Headers manager = session(server, "partner_manager");
    auto refused = send(server, "POST", base() + "/assignments",
                        nlohmann::json{{"role", "final_approver"}, {"user_id", approver_id}}.dump(), partner);
    EXPECT_EQ(refused.status, 403) << refused.body;
    auto back = send(server, "POST", base() + "/assignments",
                     nlohmann::json{{"role", "final_approver"}, {"user_id", approver_id}}.dump(), manager);
    ASSERT_EQ(back.status, 201) << back.body;
    EXPECT_EQ(back.json()["role"], "final_approver");
    EXPECT_EQ(http_get(server.base_url() + "/sign/" + cfo_token).status, 410);
    std::string newest = signing_token(email("final_approver"));
    ASSERT_FALSE(newest.empty());
    ASSERT_NE(newest, cto_token);
    cto_token = newest;
    view = wait_for(server, partner, [](const nlohmann::json& v) {
      return v["envelope"].is_object() && v["envelope"]["status"] == "sent";
    });
    EXPECT_EQ(view["final_approver"]["user_id"], approver_id);
    first_envelope = view["envelope"]["id"];  // the current certificate from here on
  }

  // No job worker from here: the approver signs, the envelope completes, nothing seals it.
  {
    ServerProcess server({data_, "", {}, {{"COUNTERSIGN_JOB_WORKERS", "0"}}});
    Headers partner = session(server, "partner_admin");
    sign(server, cto_token, "Cleo Approver");
    auto view = send(server, "GET", base() + "/final-review", "", partner);
    ASSERT_EQ(view.status, 200) << view.body;
    EXPECT_EQ(view.json()["envelope"]["status"], "completed") << view.body;
    auto pending = send(server, "GET", base() + "/final-review/certificate", "", partner);
    EXPECT_EQ(pending.status, 409) << pending.body;
    EXPECT_EQ(pending.header("content-type"), "application/problem+json");
    EXPECT_EQ(pending.json().value("code", ""), "seal_pending") << pending.body;
    EXPECT_FALSE(pending.header("retry-after").empty());
  }

  // A server with job workers: the outcome certifies and launches, the seal job seals.
  ServerProcess server({data_, {}, {}, {}});
  Headers partner = session(server, "partner_admin");
  HttpResponse sealed;
  for (int i = 0; i < 600; ++i) {  // bounded wait for the durable jobs, not a timing assertion
    sealed = send(server, "GET", base() + "/final-review/certificate", "", partner);
    if (sealed.status != 409) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(sealed.status, 200) << sealed.body;
  EXPECT_EQ(sealed.header("content-type"), "application/pdf");
  EXPECT_NE(sealed.body, unsigned_pdf);
  auto seal = column(db_file_, "SELECT sealed_sha256 || ' ' || sealed_size FROM envelope_seals WHERE "
                               "envelope_id = '" + first_envelope + "'");
  ASSERT_EQ(seal.size(), 1u);
  EXPECT_EQ(seal[0], crypto::sha256_hex(sealed.body) + " " + std::to_string(sealed.body.size()));

  TempDir files;
  auto path = files.path() / "certificate.pdf";
  std::ofstream(path, std::ios::binary) << sealed.body;
  int rc = -1;
  auto pdfsig = run_tool("pdfsig '" + path.string() + "'", &rc);
  EXPECT_NE(pdfsig.find("Signature is Valid"), std::string::npos) << pdfsig;
  run_tool("qpdf --check '" + path.string() + "'", &rc);
  EXPECT_EQ(rc, 0);
  auto text = run_tool("pdftotext '" + path.string() + "' -", &rc);
  EXPECT_NE(text.find("Acme Sign Connector"), std::string::npos) << text;  // the demo app

  // Other tenants still see nothing.
  Headers outsider = session(server, "production_admin");
  EXPECT_EQ(send(server, "GET", base() + "/final-review/certificate", "", outsider).status, 404);
  // And the request went on to launch.
  auto launched = wait_for(server, partner, [](const nlohmann::json& v) { return v["state"] == "launched"; });
  EXPECT_EQ(launched["state"], "launched");
}

}  // namespace
}  // namespace cs::testing
