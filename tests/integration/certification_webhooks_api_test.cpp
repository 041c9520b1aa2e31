// certification.* webhooks over real HTTP (issue 6 §6; certification/notifications.hpp): the
// demo app's webhook subscriptions, created through /v1/webhooks with an OAuth token, receive
// the certification events of the app's request on a real receiver on loopback, signed with
// the Standard Webhooks scheme. The signature is checked here with OpenSSL's HMAC, not with the
// server's own signing code. The request moves through the real API: reviewers assigned,
// a finding filed (changes requested), the partner's response and the remedy.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sqlite3.h>

#include <chrono>
#include <set>
#include <thread>

#include "events/receiver.hpp"
#include "oauth_client.hpp"

namespace cs::testing {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;
using events::testing::Received;
using events::testing::Receiver;

void sql(const std::filesystem::path& db_file, const std::string& statement) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_file.c_str(), &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 10000);
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

// The receiver's side of Standard Webhooks, written out independently: key = base64 of the
// secret after "whsec_"; signature = "v1," + base64(HMAC-SHA256(key, id "." timestamp "." body)).
bool signature_verifies(const Received& r, const std::string& secret) {
  if (!r.headers.contains("webhook-id") || !r.headers.contains("webhook-timestamp") ||
      !r.headers.contains("webhook-signature") || secret.rfind("whsec_", 0) != 0) {
    return false;
  }
  auto key = crypto::base64_decode(secret.substr(6));
  if (!key || key->empty()) return false;
  std::string message = r.headers.at("webhook-id") + "." + r.headers.at("webhook-timestamp") + "." + r.body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (!HMAC(EVP_sha256(), key->data(), static_cast<int>(key->size()),
            reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &mac_len)) {
    return false;
  }
  std::string expected = "v1," + crypto::base64_encode(std::span<const std::uint8_t>(mac, mac_len));
  std::string header = r.headers.at("webhook-signature");
  std::size_t pos = 0;
  while (pos <= header.size()) {
    auto sp = header.find(' ', pos);
    if (header.substr(pos, sp == std::string::npos ? std::string::npos : sp - pos) == expected) return true;
    if (sp == std::string::npos) break;
    pos = sp + 1;
  }
  return false;
}

TEST(CertificationWebhooks, SubscriptionsOfTheAppReceiveSignedCertificationEvents) {
  crypto::init();
  TempDir dir;
  auto data = dir.path() / "data";
  auto seeded = run_cli({"demo", "seed", "--json", "--data-dir", data.string()});
  ASSERT_EQ(seeded.exit_code, 0) << seeded.err;
  auto demo = last_json_line(seeded);
  auto users = demo["users"];
  Receiver everything;
  Receiver findings_only;
  ServerProcess server({data, {}, {}, {{"COUNTERSIGN_WEBHOOKS_ALLOW_PRIVATE_TARGETS", "true"}}});
  OAuthDriver driver(server);

  // The partner's app subscribes through the webhooks API (its token on the sandbox account).
  auto admin = driver.sign_in(users["sandbox_admin"]["email"], users["sandbox_admin"]["password"]);
  ClientApp app{demo["app"]["client_id"], demo["app"]["client_secret"], demo["app"]["redirect_uri"]};
  auto tokens = driver.obtain_tokens(admin, app, demo["accounts"]["sandbox"]["id"], "webhook:manage");
  ASSERT_TRUE(tokens);
  Headers bearer{{"Authorization", "Bearer " + tokens->access_token}, {"Content-Type", "application/json"}};
  auto sub_all = driver.send("POST", "/v1/webhooks",
                             nlohmann::json{{"url", everything.url()}, {"events", {"*"}}}.dump(), bearer);
  ASSERT_EQ(sub_all.status, 201) << sub_all.body;
  std::string secret_all = sub_all.json()["secret"];
  auto sub_findings =
      driver.send("POST", "/v1/webhooks",
                  nlohmann::json{{"url", findings_only.url()}, {"events", {"certification.finding_filed"}}}.dump(),
                  bearer);
  ASSERT_EQ(sub_findings.status, 201) << sub_findings.body;
  std::string secret_findings = sub_findings.json()["secret"];

  auto session = [&](const char* who) {
    CookieJar jar = driver.sign_in(users[who]["email"], users[who]["password"]);
    return Headers{{"Cookie", jar.header()}, {"X-CSRF-Token", driver.session_csrf(jar)},
                   {"Content-Type", "application/json"}};
  };
  Headers partner = session("partner_admin"), manager = session("partner_manager"),
          engineer = session("certification_engineer");

  auto apps = driver.send("GET", "/v1/apps", "", partner);
  ASSERT_EQ(apps.status, 200) << apps.body;
  std::string app_id = apps.json()["data"][0]["id"];
  auto opened = driver.send("POST", "/v1/certification/requests", nlohmann::json{{"app_id", app_id}}.dump(), partner);
  ASSERT_EQ(opened.status, 201) << opened.body;
  std::string id = opened.json()["id"];
  std::string base = "/v1/certification/requests/" + id;
  // The evidence behind a submission is the evidence tests' (and the end-to-end test's):
  // take the request as submitted.
  sql(data / "countersign.db",
      "UPDATE cert_requests SET state = 'submitted', submitted_at = updated_at, review_clock_started_at = "
      "updated_at, review_due_at = updated_at + 864000000000 WHERE id = '" + id + "'");

  ASSERT_EQ(driver.send("POST", base + "/assignments", R"({"role":"certification_engineer"})", manager).status, 201);
  ASSERT_EQ(driver.send("POST", base + "/assignments", R"({"role":"security_reviewer"})", manager).status, 201);
  auto filed = driver.send(
      "POST", base + "/findings",
      R"({"requirement_id":"SEC-2","severity":"critical","description":"Refresh tokens in plain text","evidence":"row 3"})",
      engineer);
  ASSERT_EQ(filed.status, 201) << filed.body;
  std::string finding = filed.json()["id"];
  ASSERT_EQ(driver.send("POST", base + "/findings/" + finding + "/response", R"({"response":"Encrypted now"})", partner)
                .status,
            200);
  auto remedied = driver.send("POST", base + "/remedy", "", partner);
  ASSERT_EQ(remedied.status, 200) << remedied.body;

  // Deliveries are durable jobs: wait (bounded) until the receivers have them.
  const std::vector<std::string> expected = {"certification.assigned", "certification.assigned",
                                             "certification.finding_filed", "certification.changes_requested",
                                             "certification.remedied"};
  for (int i = 0; i < 600 && (everything.received().size() < expected.size() || findings_only.received().empty());
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  auto got = everything.received();
  ASSERT_EQ(got.size(), expected.size());
  std::multiset<std::string> types;
  std::set<std::string> ids;
  for (const auto& r : got) {
    EXPECT_TRUE(signature_verifies(r, secret_all)) << r.body;
    EXPECT_FALSE(signature_verifies(r, secret_findings));  // each subscription has its own key
    auto body = nlohmann::json::parse(r.body);
    types.insert(body["type"].get<std::string>());
    ids.insert(r.headers.at("webhook-id"));
    EXPECT_EQ(body["data"]["request_id"], id) << r.body;
    EXPECT_EQ(body["data"]["app_id"], app_id) << r.body;
    if (body["type"] == "certification.finding_filed") {
      EXPECT_EQ(body["data"]["finding_id"], finding) << r.body;
      EXPECT_EQ(body["data"]["severity"], "critical") << r.body;
      EXPECT_EQ(body["data"]["requirement_id"], "SEC-2") << r.body;
    }
  }
  EXPECT_EQ(types, std::multiset<std::string>(expected.begin(), expected.end()));
  EXPECT_EQ(ids.size(), got.size());  // one message id per event

  // The filtered subscription gets only what it asked for, signed with its own secret.
  auto only = findings_only.received();
  ASSERT_EQ(only.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(only[0].body)["type"], "certification.finding_filed");
  EXPECT_TRUE(signature_verifies(only[0], secret_findings));
  // A changed body no longer verifies.
  Received tampered = only[0];
  tampered.body.replace(tampered.body.find("critical"), 8, "low_____");
  EXPECT_FALSE(signature_verifies(tampered, secret_findings));
}

}  // namespace
}  // namespace cs::testing
