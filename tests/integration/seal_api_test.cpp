// Sealed copies over real HTTP against the real server binary (issue 7): an envelope signed by
// two embedded signers through the real signing pages completes; its sealed PDF and certificate
// answer 409 seal_pending while no job worker runs, then (once a second server process with job
// workers sealed it) the PDF, which pdfsig accepts and `countersign verify` confirms. Another
// account's envelope is 404; an open envelope is 409 invalid_state; one changed byte makes
// `countersign verify` fail.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <regex>
#include <thread>

#include "esign/sample_pdf.hpp"
#include "oauth_client.hpp"

namespace cs::testing {
namespace {

using nlohmann::json;

std::string run_tool(const std::string& command, int* exit_code) {
  std::string out;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  char buf[4096];
  while (p && std::fgets(buf, sizeof buf, p)) out += buf;
  int status = p ? pclose(p) : -1;
  *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

class SealApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    crypto::init();
    world_ = new OAuthWorld();
    auto d = OAuthDriver(*world_->server);
    auto app = world_->demo_app();
    auto token_for = [&](const std::string& email, const std::string& password,
                         const std::string& account) {
      auto jar = d.sign_in(email, password);
      auto pkce = make_pkce();
      auto code = d.obtain_code(
          jar, app, account, "envelope:read envelope:write envelope:send signing:embedded", pkce);
      auto issued = d.exchange_code(app, code, pkce);
      EXPECT_EQ(issued.status, 200) << issued.body;
      return issued.json()["access_token"].get<std::string>();
    };
    token_ = token_for(world_->email("sandbox_admin"), world_->password("sandbox_admin"),
                       world_->account("sandbox"));
    other_tenant_ = token_for("owner@acme-integrations.example", world_->owner_password,
                              world_->own_account_id);
    // From here on the API server runs no job workers, so nothing is sealed behind our back.
    world_->server.reset();
    world_->server = std::make_unique<ServerProcess>(
        ServerProcess::Options{data_dir(), "", {}, {{"COUNTERSIGN_JOB_WORKERS", "0"}}});
  }
  static void TearDownTestSuite() { delete world_; }

  static std::filesystem::path data_dir() { return world_->data_dir_parent() / "data"; }

  static HttpResponse call(const std::string& method, const std::string& path,
                           const std::string& body = {}, const std::string& token = token_) {
    std::vector<std::pair<std::string, std::string>> headers{{"Authorization", "Bearer " + token}};
    if (!body.empty()) headers.push_back({"Content-Type", "application/json"});
    return http({method, world_->server->base_url() + path, body, headers, 30000});
  }

  static void expect_problem(const HttpResponse& r, long status, const std::string& code) {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(r.header("content-type"), "application/problem+json") << r.body;
    if (!r.body.empty()) {
      EXPECT_EQ(r.json().value("code", ""), code) << r.body;
    }
  }

  // Two embedded signers in routing order 1 and 2, one signature field each.
  static std::string create_envelope() {
    std::string pdf = esign::sample_pdf("Sealed contract", {{612, 792}, {612, 792}});
    json in{{"email_subject", "Please sign"},
            {"status", "sent"},
            {"documents",
             {{{"ref", "c"},
               {"name", "contract.pdf"},
               {"content_base64", crypto::base64_encode(crypto::as_bytes(pdf))}}}},
            {"recipients",
             {{{"ref", "1"},
               {"name", "Alice Able"},
               {"email", "alice@example.com"},
               {"routing_order", 1},
               {"client_user_id", "u-1"}},
              {{"ref", "2"},
               {"name", "Bob Baker"},
               {"email", "bob@example.com"},
               {"routing_order", 2},
               {"client_user_id", "u-2"}}}},
            {"fields",
             {{{"document", "c"},
               {"recipient", "1"},
               {"type", "signature"},
               {"page", 1},
               {"x", 72},
               {"y", 600},
               {"width", 200},
               {"height", 40}},
              {{"document", "c"},
               {"recipient", "2"},
               {"type", "signature"},
               {"page", 2},
               {"x", 300},
               {"y", 600},
               {"width", 200},
               {"height", 40}}}}};
    auto created = call("POST", "/v1/envelopes", in.dump());
    EXPECT_EQ(created.status, 201) << created.body;
    return created.json()["id"];
  }

  // The signer's whole ceremony through the real pages: embedded view, disclosure, finish.
  static void sign_as(const std::string& envelope_id, const std::string& client_user_id,
                      const std::string& name) {
    auto view =
        call("POST", "/v1/envelopes/" + envelope_id + "/views/recipient",
             json{{"client_user_id", client_user_id}, {"return_url", "https://crm.example/done"}}
                 .dump());
    ASSERT_EQ(view.status, 201) << view.body;
    auto redeemed = http_get(view.json()["url"].get<std::string>());
    ASSERT_EQ(redeemed.status, 303) << redeemed.body;
    std::string page_url = redeemed.header("location");
    if (page_url.rfind("http", 0) != 0) page_url = world_->server->base_url() + page_url;
    auto csrf_of = [](const std::string& html) {
      std::smatch m;
      EXPECT_TRUE(std::regex_search(html, m, std::regex("name=\"csrf_token\" value=\"([^\"]+)\"")))
          << html;
      return m.size() > 1 ? m[1].str() : std::string();
    };
    auto post_form = [&](const std::string& url, const std::string& body) {
      return http(
          {"POST", url, body, {{"Content-Type", "application/x-www-form-urlencoded"}}, 30000});
    };
    auto disclosure = http_get(page_url);
    ASSERT_EQ(disclosure.status, 200) << disclosure.body;
    auto agreed = post_form(page_url + "/disclosure",
                            "csrf_token=" + form_encode(csrf_of(disclosure.body)) + "&agree=yes");
    ASSERT_EQ(agreed.status, 303) << agreed.body;
    auto document = http_get(page_url);
    ASSERT_EQ(document.status, 200) << document.body;
    auto finished = post_form(page_url + "/finish",
                              "csrf_token=" + form_encode(csrf_of(document.body)) +
                                  "&signature_kind=typed&typed_name=" + form_encode(name));
    ASSERT_EQ(finished.status, 303) << finished.body;
  }

  static inline OAuthWorld* world_ = nullptr;
  static inline std::string token_, other_tenant_;
};

TEST_F(SealApiTest, SealedCopiesArePendingThenServedAndVerify) {
  std::string id = create_envelope();
  // Not completed yet: no sealed copy, and the state says why.
  expect_problem(call("GET", "/v1/envelopes/" + id + "/documents/combined"), 409, "invalid_state");
  expect_problem(call("GET", "/v1/envelopes/" + id + "/certificate"), 409, "invalid_state");

  sign_as(id, "u-1", "Alice Able");
  sign_as(id, "u-2", "Bob Baker");
  ASSERT_EQ(call("GET", "/v1/envelopes/" + id).json()["status"], "completed");

  // Completed, but no worker has sealed it: 409 seal_pending with Retry-After.
  auto pending = call("GET", "/v1/envelopes/" + id + "/documents/combined");
  expect_problem(pending, 409, "seal_pending");
  EXPECT_FALSE(pending.header("retry-after").empty());
  expect_problem(call("GET", "/v1/envelopes/" + id + "/certificate"), 409, "seal_pending");
  // Another account's envelope does not exist for them, sealed or not.
  expect_problem(call("GET", "/v1/envelopes/" + id + "/documents/combined", {}, other_tenant_), 404,
                 "not_found");

  // A second server process with job workers on the same data seals it (the durable job).
  {
    ServerProcess worker(ServerProcess::Options{data_dir(), "", {}, {}});
    HttpResponse sealed;
    for (int i = 0; i < 600; ++i) {  // bounded wait for the job, not a timing assertion
      sealed = call("GET", "/v1/envelopes/" + id + "/documents/combined");
      if (sealed.status != 409) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_EQ(sealed.status, 200) << sealed.body;
  }
  auto sealed = call("GET", "/v1/envelopes/" + id + "/documents/combined");
  ASSERT_EQ(sealed.status, 200) << sealed.body;
  EXPECT_EQ(sealed.header("content-type"), "application/pdf");
  auto certificate = call("GET", "/v1/envelopes/" + id + "/certificate");
  ASSERT_EQ(certificate.status, 200) << certificate.body;
  EXPECT_EQ(certificate.body.rfind("%PDF-", 0), 0u);
  expect_problem(call("GET", "/v1/envelopes/" + id + "/documents/combined", {}, other_tenant_), 404,
                 "not_found");
  expect_problem(call("GET", "/v1/envelopes/" + id + "/certificate", {}, other_tenant_), 404,
                 "not_found");
  EXPECT_EQ(
      call("GET", "/v1/envelopes/" + id + "/certificate", {}, "cs_at_not_a_real_token").status,
      401);

  // The history shows the seal with the final SHA-256.
  auto events = call("GET", "/v1/envelopes/" + id + "/events").json()["data"];
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back()["type"], "envelope.sealed");

  TempDir files;
  auto path = files.path() / "sealed.pdf";
  std::ofstream(path, std::ios::binary) << sealed.body;
  int rc = -1;
  auto pdfsig = run_tool("pdfsig '" + path.string() + "'", &rc);
  EXPECT_NE(pdfsig.find("Signature is Valid"), std::string::npos) << pdfsig;
  EXPECT_NE(pdfsig.find("Total document signed"), std::string::npos) << pdfsig;
  run_tool("qpdf --check '" + path.string() + "'", &rc);
  EXPECT_EQ(rc, 0);

  auto verified = run_cli({"verify", path.string(), "--data-dir", data_dir().string()});
  ASSERT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  auto report = verified.json();
  EXPECT_EQ(report["ok"], true);
  EXPECT_EQ(report["envelope_id"], id);
  EXPECT_EQ(report["covers_whole_file"], true);
  EXPECT_EQ(report["chain_trusted"], true);

  // One changed byte inside the signed range: both pdfsig and countersign verify fail.
  std::string tampered = sealed.body;
  auto at = tampered.find("/Reason (");
  ASSERT_NE(at, std::string::npos);
  tampered[at + 10] = tampered[at + 10] == 'X' ? 'Y' : 'X';
  auto bad = files.path() / "tampered.pdf";
  std::ofstream(bad, std::ios::binary) << tampered;
  auto bad_sig = run_tool("pdfsig '" + bad.string() + "'", &rc);
  EXPECT_EQ(bad_sig.find("Signature is Valid"), std::string::npos) << bad_sig;
  auto refused = run_cli({"verify", bad.string(), "--data-dir", data_dir().string()});
  EXPECT_EQ(refused.exit_code, 1) << refused.out;
  EXPECT_EQ(refused.json()["ok"], false);
  EXPECT_NE(refused.err.find("changed after sealing"), std::string::npos) << refused.err;
}

TEST_F(SealApiTest, VerifyRefusesUnreadableAndUnsealedFiles) {
  auto missing = run_cli({"verify", "/nonexistent/file.pdf", "--data-dir", data_dir().string()});
  EXPECT_NE(missing.exit_code, 0);
  TempDir files;
  auto plain = files.path() / "plain.pdf";
  std::ofstream(plain, std::ios::binary) << esign::sample_pdf("Plain");
  auto r = run_cli({"verify", plain.string(), "--data-dir", data_dir().string()});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
}

}  // namespace
}  // namespace cs::testing
