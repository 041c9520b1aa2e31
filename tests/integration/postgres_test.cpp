// The same server on PostgreSQL: `--database postgresql://...` against a private cluster.
#include <gtest/gtest.h>
#include <signal.h>

#include <regex>

#include "server_process.hpp"
#include "support/pg_cluster.hpp"

namespace cs::testing {
namespace {

TEST(Postgres, ServerMigratesSeedsAndSignsInOnPostgres) {
  auto& cluster = PgCluster::shared();
  std::string url = cluster.create_database("cs_integration");
  TempDir dir;
  auto data = (dir.path() / "data").string();

  auto status = run_cli({"migrate", "--json", "--data-dir", data, "--database", url});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_EQ(status.json()["pending"], 0);

  auto seeded = run_cli({"demo", "seed", "--json", "--data-dir", data, "--database", url});
  ASSERT_EQ(seeded.exit_code, 0) << seeded.err;
  auto demo = seeded.json();
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "data/countersign.db")) << "no SQLite file on PostgreSQL";

  ServerProcess server({dir.path() / "data", url, {}, {}});
  auto ready = http_get(server.base_url() + "/readyz");
  ASSERT_EQ(ready.status, 200) << ready.body;
  bool said_postgres = false;
  for (const auto& l : server.output_lines()) said_postgres |= l.find("\"postgresql\"") != std::string::npos;
  EXPECT_TRUE(said_postgres);

  CookieJar jar;
  auto page = http_get(server.base_url() + "/login");
  jar.absorb(page);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(page.body, m, std::regex(R"(name="csrf_token" value="([^"]+)\")")));
  std::string email = demo["users"]["final_approver"]["email"];
  std::string password = demo["users"]["final_approver"]["password"];
  auto r = http({"POST", server.base_url() + "/login",
                 "csrf_token=" + form_encode(m[1]) + "&email=" + form_encode(email) + "&password=" + form_encode(password),
                 {{"Content-Type", "application/x-www-form-urlencoded"},
                  {"Cookie", jar.header()},
                  // Raw non-UTF-8 bytes in a header must not break the UTF-8 database (was a 500).
                  {"User-Agent", "Mozilla/5.0 \xff\xfe\xc3"}},
                 10000});
  ASSERT_EQ(r.status, 303) << r.body;
  jar.absorb(r);
  auto home = http({"GET", server.base_url() + "/", {}, {{"Cookie", jar.header()}}, 5000});
  EXPECT_EQ(home.status, 200);
  EXPECT_NE(home.body.find("final_approver"), std::string::npos);

  auto verify = run_cli({"audit", "verify", "--json", "--data-dir", data, "--database", url});
  EXPECT_EQ(verify.exit_code, 0) << verify.err;
  EXPECT_TRUE(verify.json()["ok"].get<bool>());

  server.signal(SIGTERM);
  EXPECT_EQ(server.wait(), 0);
}

}  // namespace
}  // namespace cs::testing
