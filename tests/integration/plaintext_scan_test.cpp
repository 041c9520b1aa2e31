// Issue 3 "Done when": after a real OAuth run, neither the SQLite database file (with its WAL)
// nor a PostgreSQL dump contains any issued access token, refresh token, authorization code or
// client secret in plaintext (DESIGN.md "Security baseline": they are stored only as keyed
// hashes).
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "oauth_client.hpp"
#include "support/pg_cluster.hpp"

namespace cs::testing {
namespace {

// The part after the recognisable prefix ("cs_at_", "cs_sk_", ...): finding that anywhere would
// be a leak, with or without the prefix.
std::string secret_part(const std::string& token) {
  auto pos = token.find('_', 3);
  return pos == std::string::npos ? token : token.substr(pos + 1);
}

// Runs the code flow, refresh rotation and secret rotation; returns every secret handed out.
std::vector<std::string> run_oauth(OAuthWorld& w) {
  OAuthDriver d(*w.server);
  std::vector<std::string> secrets;
  auto app = w.demo_app();
  secrets.push_back(app.client_secret);

  auto user = d.sign_in(w.email("sandbox_admin"), w.password("sandbox_admin"));
  for (int i = 0; i < 2; ++i) {
    auto pkce = make_pkce();
    auto code = d.obtain_code(user, app, w.account("sandbox"), "account:read user:read offline_access", pkce);
    EXPECT_FALSE(code.empty());
    secrets.push_back(code);
    auto issued = d.exchange_code(app, code, pkce);
    EXPECT_EQ(issued.status, 200) << issued.body;
    if (issued.status != 200) continue;
    std::string access = issued.json()["access_token"], refresh = issued.json()["refresh_token"];
    secrets.push_back(access);
    secrets.push_back(refresh);
    EXPECT_EQ(d.bearer_get("/v1/accounts/" + w.account("sandbox"), access).status, 200);
    auto rotated = d.refresh(app, refresh);
    EXPECT_EQ(rotated.status, 200) << rotated.body;
    if (rotated.status != 200) continue;
    secrets.push_back(rotated.json()["access_token"]);
    secrets.push_back(rotated.json()["refresh_token"]);
  }

  auto partner = d.sign_in(w.email("partner_admin"), w.password("partner_admin"));
  auto csrf = d.session_csrf(partner);
  nlohmann::json body = {{"name", "Scanner Test App"},
                         {"client_type", "confidential"},
                         {"redirect_uris", {"https://scan.example/cb"}},
                         {"scopes", {"account:read"}}};
  auto created = d.send("POST", "/v1/apps", body.dump(),
                        {{"Content-Type", "application/json"}, {"Cookie", partner.header()}, {"X-CSRF-Token", csrf}});
  EXPECT_EQ(created.status, 201) << created.body;
  if (created.status == 201) {
    secrets.push_back(created.json()["client_secret"]);
    auto rotated = d.send("POST", "/v1/apps/" + created.json()["id"].get<std::string>() + "/secrets", {},
                          {{"Cookie", partner.header()}, {"X-CSRF-Token", csrf}});
    EXPECT_EQ(rotated.status, 201) << rotated.body;
    if (rotated.status == 201) secrets.push_back(rotated.json()["client_secret"]);
  }
  EXPECT_GE(secrets.size(), 13u);
  return secrets;
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void expect_absent(const std::string& haystack, const std::vector<std::string>& secrets, const std::string& where) {
  for (const auto& s : secrets) {
    ASSERT_GE(s.size(), 20u) << "an issued secret is suspiciously short: " << s;
    EXPECT_EQ(haystack.find(secret_part(s)), std::string::npos) << s << " found in plaintext in " << where;
  }
}

TEST(PlaintextScan, SqliteFileAndWalHoldNoIssuedSecret) {
  crypto::init();
  OAuthWorld w;
  auto secrets = run_oauth(w);
  auto db = w.data_dir_parent() / "data" / "countersign.db";
  ASSERT_TRUE(std::filesystem::exists(db));

  // While the server runs, recent writes sit in the WAL; after shutdown they are checkpointed
  // into the main file. Scan both states.
  std::string running = read_file(db) + read_file(db.string() + "-wal");
  ASSERT_GT(running.size(), 4096u);
  // The scan can see what it looks for: the demo app's client id is stored in clear.
  EXPECT_NE(running.find(w.demo_app().client_id), std::string::npos);
  expect_absent(running, secrets, "countersign.db / -wal");

  w.server->signal(SIGTERM);
  EXPECT_EQ(w.server->wait(), 0);
  std::string stopped = read_file(db);
  if (std::filesystem::exists(db.string() + "-wal")) stopped += read_file(db.string() + "-wal");
  expect_absent(stopped, secrets, "countersign.db after shutdown");
}

std::string pg_dump(const std::string& url) {
  std::string cmd = "/usr/lib/postgresql/15/bin/pg_dump --no-owner '" + url + "' 2>&1";
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[65536];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int rc = pclose(p);
  EXPECT_EQ(rc, 0) << out.substr(0, 2000);
  return out;
}

TEST(PlaintextScan, PostgresDumpHoldsNoIssuedSecret) {
  crypto::init();
  auto& cluster = PgCluster::shared();
  auto url = cluster.create_fresh_database();
  OAuthWorld w(url);
  auto secrets = run_oauth(w);
  auto dump = pg_dump(url);
  ASSERT_NE(dump.find("oauth"), std::string::npos) << "the dump holds the OAuth tables";
  EXPECT_NE(dump.find(w.demo_app().client_id), std::string::npos);
  expect_absent(dump, secrets, "pg_dump");
  w.server->signal(SIGTERM);
  EXPECT_EQ(w.server->wait(), 0);
}

}  // namespace
}  // namespace cs::testing
