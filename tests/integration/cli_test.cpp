// The operator CLI against real data directories.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <fstream>

#include "server_process.hpp"

namespace cs::testing {
namespace {

std::string data_flag(const TempDir& d) { return (d.path() / "data").string(); }

TEST(Cli, HelpListsTheSubcommands) {
  auto r = run_cli({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* sub : {"serve", "migrate", "keys", "audit", "admin", "demo", "--data-dir", "--database"}) {
    EXPECT_NE(r.out.find(sub), std::string::npos) << sub;
  }
  EXPECT_EQ(run_cli({"no-such-command"}).exit_code, 2);
}

TEST(Cli, DemoSeedPrintsTheDocumentedShapeAndIsIdempotent) {
  TempDir dir;
  auto first = run_cli({"demo", "seed", "--json", "--data-dir", data_flag(dir)});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  auto j = first.json();
  EXPECT_EQ(j["partner"]["name"], "Acme Integrations");
  EXPECT_EQ(j["partner"]["id"].get<std::string>().rfind("ptn_", 0), 0u);
  EXPECT_EQ(j["accounts"]["sandbox"]["id"].get<std::string>().rfind("acc_", 0), 0u);
  EXPECT_EQ(j["accounts"]["production"]["id"].get<std::string>().rfind("acc_", 0), 0u);
  for (const char* who : {"partner_admin", "partner_developer", "sandbox_admin", "sandbox_sender", "production_admin",
                          "production_sender", "certification_engineer", "security_reviewer", "partner_manager",
                          "solution_consultant", "final_approver", "operator"}) {
    ASSERT_TRUE(j["users"].contains(who)) << who;
    EXPECT_NE(j["users"][who]["email"].get<std::string>().find('@'), std::string::npos);
    EXPECT_GE(j["users"][who]["password"].get<std::string>().size(), 12u) << who;
  }

  EXPECT_EQ(j["app"]["redirect_uri"], "http://127.0.0.1:8765/callback");
  EXPECT_EQ(j["app"]["client_id"].get<std::string>().rfind("ik_", 0), 0u);
  EXPECT_EQ(j["app"]["client_secret"].get<std::string>().rfind("cs_sk_", 0), 0u);

  auto second = run_cli({"demo", "seed", "--json", "--data-dir", data_flag(dir)});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  auto k = second.json();
  EXPECT_EQ(k["partner"]["id"], j["partner"]["id"]);
  EXPECT_EQ(k["accounts"], j["accounts"]);
  EXPECT_TRUE(k["users"]["partner_admin"]["password"].is_null()) << "passwords are printed only at creation";
  EXPECT_EQ(k["app"]["client_id"], j["app"]["client_id"]);
  EXPECT_TRUE(k["app"]["client_secret"].is_null()) << "the client secret is printed only at creation";
  EXPECT_EQ(k["users"]["partner_admin"]["email"], j["users"]["partner_admin"]["email"]);
}

TEST(Cli, AdminCommandsCreateAndGrantWithJsonOutput) {
  TempDir dir;
  auto d = data_flag(dir);
  auto partner = run_cli({"admin", "create-partner", "--name", "Initech", "--professional-services", "--json", "--data-dir", d});
  ASSERT_EQ(partner.exit_code, 0) << partner.err;
  auto pid = partner.json()["id"].get<std::string>();
  EXPECT_TRUE(partner.json()["professional_services"].get<bool>());

  auto account = run_cli({"admin", "create-account", "--name", "Initech Prod", "--environment", "production",
                          "--partner", pid, "--json", "--data-dir", d});
  ASSERT_EQ(account.exit_code, 0) << account.err;
  EXPECT_EQ(account.json()["environment"], "production");
  EXPECT_EQ(account.json()["partner_org_id"], pid);
  EXPECT_FALSE(account.json()["allow_uncertified_apps"].get<bool>()) << "off by default";
  auto aid = account.json()["id"].get<std::string>();

  auto user = run_cli({"admin", "create-user", "--email", "Peter@Initech.example", "--name", "Peter", "--json", "--data-dir", d});
  ASSERT_EQ(user.exit_code, 0) << user.err;
  EXPECT_EQ(user.json()["email"], "peter@initech.example");
  EXPECT_GE(user.json()["password"].get<std::string>().size(), 12u);

  auto with_stdin = run_cli({"admin", "create-user", "--email", "milton@initech.example", "--name", "Milton",
                             "--password-stdin", "--json", "--data-dir", d},
                            {}, "a red stapler please\n");
  ASSERT_EQ(with_stdin.exit_code, 0) << with_stdin.err;
  EXPECT_FALSE(with_stdin.json().contains("password"));

  auto grant = run_cli({"admin", "grant-role", "--user", "peter@initech.example", "--role", "admin", "--account", aid,
                        "--json", "--data-dir", d});
  ASSERT_EQ(grant.exit_code, 0) << grant.err;
  EXPECT_TRUE(grant.json()["changed"].get<bool>());
  auto again = run_cli({"admin", "grant-role", "--user", "peter@initech.example", "--role", "admin", "--account", aid,
                        "--json", "--data-dir", d});
  EXPECT_FALSE(again.json()["changed"].get<bool>());

  auto staff = run_cli({"admin", "grant-role", "--user", "milton@initech.example", "--role", "security_reviewer",
                        "--json", "--data-dir", d});
  EXPECT_EQ(staff.exit_code, 0) << staff.err;

  auto dup = run_cli({"admin", "create-user", "--email", "peter@initech.example", "--name", "P2", "--json", "--data-dir", d});
  EXPECT_EQ(dup.exit_code, 1);
  EXPECT_NE(dup.err.find("\"conflict\""), std::string::npos) << dup.err;

  auto bad_role = run_cli({"admin", "grant-role", "--user", "peter@initech.example", "--role", "emperor", "--json", "--data-dir", d});
  EXPECT_EQ(bad_role.exit_code, 1);
  auto unknown_account = run_cli({"admin", "grant-role", "--user", "peter@initech.example", "--role", "sender",
                                  "--account", "acc_0000000000000000000000", "--json", "--data-dir", d});
  EXPECT_EQ(unknown_account.exit_code, 1);
  EXPECT_NE(unknown_account.err.find("not_found"), std::string::npos) << unknown_account.err;
}

TEST(Cli, KeyFileIsPrivateAndRotationAddsAnActiveKey) {
  TempDir dir;
  auto d = data_flag(dir);
  auto list = run_cli({"keys", "list", "--json", "--data-dir", d});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  ASSERT_EQ(list.json()["keys"].size(), 1u);
  EXPECT_TRUE(list.json()["keys"][0]["active"].get<bool>());
  EXPECT_EQ(list.out.find("\"key\""), std::string::npos) << "never key material";

  struct stat st {};
  ASSERT_EQ(stat((dir.path() / "data/master-keys.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto rotate = run_cli({"keys", "rotate", "--json", "--data-dir", d});
  ASSERT_EQ(rotate.exit_code, 0) << rotate.err;
  auto new_key = rotate.json()["active_key"].get<std::string>();
  auto after = run_cli({"keys", "list", "--json", "--data-dir", d}).json()["keys"];
  ASSERT_EQ(after.size(), 2u);
  for (const auto& k : after) EXPECT_EQ(k["active"].get<bool>(), k["id"] == new_key);

  // The rotation is in the audit log, and the chain still verifies.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir.path() / "data/countersign.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT target_id FROM audit_log WHERE action = 'keys.rotated'", -1, &stmt, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), new_key);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  EXPECT_EQ(run_cli({"audit", "verify", "--data-dir", d}).exit_code, 0);
}

TEST(Cli, AuditVerifyDetectsATamperedRow) {
  TempDir dir;
  auto d = data_flag(dir);
  ASSERT_EQ(run_cli({"demo", "seed", "--json", "--data-dir", d}).exit_code, 0);
  auto ok = run_cli({"audit", "verify", "--json", "--data-dir", d});
  ASSERT_EQ(ok.exit_code, 0) << ok.err << ok.out;
  EXPECT_TRUE(ok.json()["ok"].get<bool>());
  EXPECT_GT(ok.json()["entries_checked"].get<int>(), 10);

  // A DBA with direct access drops the append-only trigger and edits an entry.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir.path() / "data/countersign.db").c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  std::string sql =
      "SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='audit_log'";
  std::vector<std::string> triggers;
  sqlite3_exec(db, sql.c_str(), [](void* v, int, char** cols, char**) {
    static_cast<std::vector<std::string>*>(v)->push_back(cols[0]);
    return 0;
  }, &triggers, &err);
  ASSERT_FALSE(triggers.empty()) << "the audit log is protected by triggers";
  for (const auto& t : triggers) sqlite3_exec(db, ("DROP TRIGGER " + t).c_str(), nullptr, nullptr, &err);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE audit_log SET actor_id = 'someone-else' WHERE seq = 5", nullptr, nullptr, &err),
            SQLITE_OK);
  sqlite3_close(db);

  auto bad = run_cli({"audit", "verify", "--json", "--data-dir", d});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_FALSE(bad.json()["ok"].get<bool>());
  EXPECT_EQ(bad.json()["first_bad_seq"].get<int>(), 5);
}

TEST(Cli, MigrateReportsStatus) {
  TempDir dir;
  auto before = run_cli({"migrate", "--status", "--json", "--data-dir", data_flag(dir)});
  ASSERT_EQ(before.exit_code, 0) << before.err;
  EXPECT_EQ(before.json()["current"], 0);
  EXPECT_GT(before.json()["pending"].get<int>(), 0);
  auto applied = run_cli({"migrate", "--json", "--data-dir", data_flag(dir)});
  ASSERT_EQ(applied.exit_code, 0) << applied.err;
  EXPECT_EQ(applied.json()["pending"], 0);
  EXPECT_EQ(applied.json()["current"], applied.json()["latest"]);
}

TEST(Cli, ConfigurationPrecedenceIsFileThenEnvironmentThenFlags) {
  TempDir dir;
  auto toml = dir.path() / "countersign.toml";
  std::ofstream(toml) << "[storage]\ndata_dir = \"" << (dir.path() / "from-file").string() << "\"\n";

  ASSERT_EQ(run_cli({"keys", "list", "--config", toml.string()}).exit_code, 0);
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "from-file/master-keys.json"));

  ASSERT_EQ(run_cli({"keys", "list", "--config", toml.string()},
                    {{"COUNTERSIGN_DATA_DIR", (dir.path() / "from-env").string()}})
                .exit_code,
            0);
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "from-env/master-keys.json"));

  ASSERT_EQ(run_cli({"keys", "list", "--config", toml.string(), "--data-dir", (dir.path() / "from-flag").string()},
                    {{"COUNTERSIGN_DATA_DIR", (dir.path() / "from-env2").string()}})
                .exit_code,
            0);
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "from-flag/master-keys.json"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "from-env2"));

  std::ofstream(dir.path() / "typo.toml") << "[storage]\ndata_dri = \"x\"\n";
  auto typo = run_cli({"keys", "list", "--config", (dir.path() / "typo.toml").string()});
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_NE(typo.err.find("data_dri"), std::string::npos) << typo.err;
}

}  // namespace
}  // namespace cs::testing
