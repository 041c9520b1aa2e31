#include "crypto/keyring.hpp"

#include <sys/stat.h>

#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "crypto/primitives.hpp"
#include "support/temp_dir.hpp"

namespace cs::crypto {
namespace {

using cs::testing::TempDir;

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

unsigned mode_of(const std::filesystem::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0);
  return st.st_mode & 07777;
}

TEST(KeyRing, CreatesKeyFileWithMode0600OnFirstRun) {
  TempDir dir;
  const auto file = dir.path() / "data" / "master-keys.json";
  ManualClock clock;
  auto ring = KeyRing::load_or_create(file, clock);
  ASSERT_TRUE(ring) << ring.error().message();
  ASSERT_TRUE(std::filesystem::exists(file));
  EXPECT_EQ(mode_of(file), 0600u);
  EXPECT_EQ(ring->active().id, "k1");
  EXPECT_EQ(ring->active().created_at, clock.now());
  // No temp file is left next to it.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(file.parent_path()),
                          std::filesystem::directory_iterator()),
            1);
}

TEST(KeyRing, SecondLoadReturnsTheSameKeys) {
  TempDir dir;
  const auto file = dir.path() / "keys.json";
  auto first = KeyRing::load_or_create(file);
  auto second = KeyRing::load_or_create(file);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->active().id, second->active().id);
  EXPECT_EQ(first->active().bytes, second->active().bytes);
  EXPECT_TRUE(std::equal(first->token_hash_key().begin(), first->token_hash_key().end(),
                         second->token_hash_key().begin()));
}

TEST(KeyRing, ProcessesStartingTogetherShareOneKeyFile) {
  // Two servers on a fresh data directory race to create the file; both must end up with the
  // same keys, or one would write ciphertexts the other can never read.
  TempDir dir;
  const auto file = dir.path() / "keys.json";
  constexpr int kRacers = 8;
  std::vector<std::optional<KeyRing>> rings(kRacers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kRacers; ++i) {
    threads.emplace_back([&, i] {
      auto ring = KeyRing::load_or_create(file);
      if (ring) rings[i].emplace(std::move(*ring));
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& ring : rings) {
    ASSERT_TRUE(ring.has_value());
    EXPECT_EQ(ring->active().bytes, rings[0]->active().bytes);
  }
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()),
                          std::filesystem::directory_iterator()),
            1);
}

TEST(KeyRing, TokenHashKeyDiffersFromMasterKey) {
  KeyRing ring = KeyRing::generate();
  EXPECT_FALSE(std::equal(ring.token_hash_key().begin(), ring.token_hash_key().end(),
                          ring.active().bytes.begin()));
}

TEST(KeyRing, RefusesGroupOrWorldReadableKeyFile) {
  TempDir dir;
  const auto file = dir.path() / "keys.json";
  ASSERT_TRUE(KeyRing::load_or_create(file));
  ASSERT_EQ(::chmod(file.c_str(), 0644), 0);
  auto ring = KeyRing::load_or_create(file);
  ASSERT_FALSE(ring);
  EXPECT_THAT(ring.error().message(), ::testing::HasSubstr("chmod 600"));
  EXPECT_THAT(ring.error().message(), ::testing::HasSubstr("0644"));
  // Group-readable only is refused too.
  ASSERT_EQ(::chmod(file.c_str(), 0640), 0);
  EXPECT_FALSE(KeyRing::load(file));
  ASSERT_EQ(::chmod(file.c_str(), 0600), 0);
  EXPECT_TRUE(KeyRing::load(file));
}

TEST(KeyRing, LoadOfMissingFileFails) {
  TempDir dir;
  EXPECT_FALSE(KeyRing::load(dir.path() / "nope.json"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "nope.json"));
}

TEST(KeyRing, ListShowsIdsAndActiveButNoKeyMaterial) {
  TempDir dir;
  const auto file = dir.path() / "keys.json";
  auto ring = KeyRing::load_or_create(file);
  ASSERT_TRUE(ring);
  auto added = ring->add_key(file);
  ASSERT_TRUE(added);
  auto infos = ring->list();
  ASSERT_EQ(infos.size(), 2u);
  EXPECT_EQ(infos[0].id, "k1");
  EXPECT_FALSE(infos[0].active);
  EXPECT_EQ(infos[1].id, "k2");
  EXPECT_TRUE(infos[1].active);
  // Rendered as JSON (what `keys list --json` will print) it contains no key, in any encoding.
  nlohmann::json listed = nlohmann::json::array();
  for (const auto& info : infos)
    listed.push_back({{"id", info.id}, {"created_at", info.created_at}, {"active", info.active}});
  const std::string text = listed.dump();
  for (const auto* key : {ring->find("k1"), ring->find("k2")}) {
    ASSERT_NE(key, nullptr);
    EXPECT_EQ(text.find(base64_encode(key->bytes)), std::string::npos);
    EXPECT_EQ(text.find(base64url_encode(key->bytes)), std::string::npos);
    EXPECT_EQ(text.find(hex_encode(key->bytes)), std::string::npos);
  }
  EXPECT_EQ(text.find(base64_encode(ring->token_hash_key())), std::string::npos);
}

TEST(KeyRing, AddKeyActivatesPersistsAndKeepsOldKeysAndTokenKey) {
  TempDir dir;
  const auto file = dir.path() / "keys.json";
  auto ring = KeyRing::load_or_create(file);
  ASSERT_TRUE(ring);
  const auto old_key = ring->active().bytes;
  const std::vector<std::uint8_t> token_key(ring->token_hash_key().begin(),
                                            ring->token_hash_key().end());
  auto id = ring->add_key(file);
  ASSERT_TRUE(id);
  EXPECT_EQ(*id, "k2");
  EXPECT_EQ(ring->active().id, "k2");
  EXPECT_NE(ring->active().bytes, old_key);
  ASSERT_NE(ring->find("k1"), nullptr);
  EXPECT_EQ(ring->find("k1")->bytes, old_key);
  EXPECT_EQ(mode_of(file), 0600u);

  auto reloaded = KeyRing::load(file);
  ASSERT_TRUE(reloaded);
  EXPECT_EQ(reloaded->active().id, "k2");
  EXPECT_EQ(reloaded->active().bytes, ring->active().bytes);
  EXPECT_EQ(std::vector<std::uint8_t>(reloaded->token_hash_key().begin(),
                                      reloaded->token_hash_key().end()),
            token_key);
  EXPECT_EQ(*ring->add_key(file), "k3");
}

TEST(KeyRing, FailedAddKeyLeavesRingUnchanged) {
  TempDir dir;
  KeyRing ring = KeyRing::generate();
  // A directory where the file should be: rename() cannot replace it.
  const auto file = dir.path() / "keys.json";
  std::filesystem::create_directories(file / "sub");
  EXPECT_FALSE(ring.add_key(file));
  EXPECT_EQ(ring.active().id, "k1");
  EXPECT_EQ(ring.list().size(), 1u);
}

TEST(KeyRing, FromValueAcceptsJsonAndBase64OfIt) {
  KeyRing original = KeyRing::generate();
  const std::string json = original.export_secret_json();
  auto from_json = KeyRing::from_value(json);
  ASSERT_TRUE(from_json) << from_json.error().message();
  EXPECT_EQ(from_json->active().bytes, original.active().bytes);
  auto from_b64 = KeyRing::from_value(base64_encode(as_bytes(json)) + "\n");
  ASSERT_TRUE(from_b64) << from_b64.error().message();
  EXPECT_EQ(from_b64->active().id, "k1");
  EXPECT_EQ(from_b64->active().bytes, original.active().bytes);
}

TEST(KeyRing, FromValueRejectsBadConfigurationsWithoutEchoingKeys) {
  const std::string key = base64_encode(random_bytes(32));
  auto make = [&](const nlohmann::json& doc) { return KeyRing::from_value(doc.dump()); };
  nlohmann::json good = {{"format", "countersign-keyring-v1"},
                         {"active", "k1"},
                         {"keys", {{{"id", "k1"}, {"created_at", 1}, {"key", key}}}},
                         {"token_hash_key", key}};
  ASSERT_TRUE(make(good));

  auto bad = good;
  bad["active"] = "k9";
  EXPECT_FALSE(make(bad));
  bad = good;
  bad["keys"][0]["key"] = base64_encode(random_bytes(16));
  EXPECT_FALSE(make(bad));
  bad = good;
  bad["keys"][0]["id"] = "k.1";  // a dot would break the stored-ciphertext format
  EXPECT_FALSE(make(bad));
  bad = good;
  bad["keys"].push_back(good["keys"][0]);
  EXPECT_FALSE(make(bad));
  bad = good;
  bad.erase("token_hash_key");
  EXPECT_FALSE(make(bad));
  bad = good;
  bad["keys"] = nlohmann::json::array();
  EXPECT_FALSE(make(bad));
  bad = good;
  bad["keys"][0]["key"] = 42;
  auto typed = make(bad);
  ASSERT_FALSE(typed);
  EXPECT_EQ(typed.error().message().find(key), std::string::npos);
  EXPECT_EQ(typed.error().detail().find(key), std::string::npos);
  EXPECT_FALSE(KeyRing::from_value("not base64 and not json!"));
  EXPECT_FALSE(KeyRing::from_value(""));
}

TEST(KeyRing, RefusesCorruptKeyFile) {
  TempDir dir;
  const auto file = dir.path() / "keys.json";
  {
    std::ofstream out(file);
    out << "{\"format\":";
  }
  ASSERT_EQ(::chmod(file.c_str(), 0600), 0);
  EXPECT_FALSE(KeyRing::load_or_create(file));
  EXPECT_EQ(read_file(file), "{\"format\":");  // never overwritten
}

}  // namespace
}  // namespace cs::crypto
