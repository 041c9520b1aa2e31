#include "app/config.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "support/temp_dir.hpp"

namespace cs::app {
namespace {

TEST(Config, DefaultsAreTheEmbeddedSetup) {
  Config c;
  EXPECT_EQ(c.listen, "127.0.0.1:8080");
  EXPECT_EQ(c.host(), "127.0.0.1");
  EXPECT_EQ(c.port(), 8080);
  EXPECT_EQ(c.effective_database_url(), "./data/countersign.db");
  EXPECT_EQ(c.effective_key_file(), std::filesystem::path("./data/master-keys.json"));
  EXPECT_EQ(c.effective_public_url(), "http://127.0.0.1:8080");
  EXPECT_TRUE(validate(c));
}

TEST(Config, TomlThenEnvironment) {
  cs::testing::TempDir dir;
  auto file = dir.path() / "c.toml";
  std::ofstream(file) << "[server]\nlisten = \"0.0.0.0:9000\"\nio_threads = 3\n"
                         "[storage]\ndatabase_url = \"postgresql:///cs\"\n[log]\naccess_log = false\n";
  Config c;
  ASSERT_TRUE(apply_toml_file(c, file));
  EXPECT_EQ(c.listen, "0.0.0.0:9000");
  EXPECT_EQ(c.io_threads, 3);
  EXPECT_EQ(c.effective_database_url(), "postgresql:///cs");
  EXPECT_FALSE(c.access_log);
  ASSERT_TRUE(apply_environment(c, {{"COUNTERSIGN_LISTEN", "127.0.0.1:7000"}, {"UNRELATED", "x"}}));
  EXPECT_EQ(c.listen, "127.0.0.1:7000");
  EXPECT_EQ(c.io_threads, 3);
}

TEST(Config, BadValuesAreRefusedWithTheSettingNamed) {
  cs::testing::TempDir dir;
  auto file = dir.path() / "c.toml";
  std::ofstream(file) << "[server]\nio_threads = \"many\"\n";
  Config c;
  auto r = apply_toml_file(c, file);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("server.io_threads"), std::string::npos);

  std::ofstream(dir.path() / "bad.toml") << "this is = not [toml";
  EXPECT_FALSE(apply_toml_file(c, dir.path() / "bad.toml"));
  EXPECT_FALSE(apply_toml_file(c, dir.path() / "missing.toml"));

  EXPECT_FALSE(apply_environment(c, {{"COUNTERSIGN_ACCESS_LOG", "perhaps"}}));
  EXPECT_FALSE(apply_environment(c, {{"COUNTERSIGN_MAX_CONNECTIONS", "12abc"}}));
}

TEST(Config, TrustedProxiesAreAListOfAddresses) {
  Config c;
  EXPECT_TRUE(c.trusted_proxy_list().empty());
  c.trusted_proxies = " 10.0.0.5, ::1 ,";
  EXPECT_EQ(c.trusted_proxy_list(), (std::vector<std::string>{"10.0.0.5", "::1"}));
  EXPECT_TRUE(validate(c));
  c.trusted_proxies = "10.0.0.5, proxy.internal";
  EXPECT_FALSE(validate(c));
}

TEST(Config, ValidateChecksListenTlsAndLimits) {
  Config c;
  c.listen = "nohost";
  EXPECT_FALSE(validate(c));
  c.listen = "127.0.0.1:99999";
  EXPECT_FALSE(validate(c));
  c.listen = "[::1]:0";
  EXPECT_TRUE(validate(c));
  EXPECT_EQ(c.host(), "::1");
  c.tls_cert_file = "cert.pem";
  EXPECT_FALSE(validate(c)) << "a certificate without a key";
  c.tls_key_file = "key.pem";
  EXPECT_TRUE(validate(c));
  EXPECT_EQ(c.effective_public_url(), "https://[::1]:0");
  c.header_limit_bytes = 10;
  EXPECT_FALSE(validate(c));
}

}  // namespace
}  // namespace cs::app
