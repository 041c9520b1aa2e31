// A running server's FieldCipher meets values re-encrypted by `countersign keys rotate` (another
// process, another KeyRing object on the same key file): it reloads the ring once and decrypts.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "crypto/field_cipher.hpp"
#include "crypto/keyring.hpp"
#include "support/temp_dir.hpp"

namespace cs::crypto {
namespace {

const FieldContext kSmtp{"platform_settings", "secret_value", "smtp.password"};

struct ServerAndRotator {
  cs::testing::TempDir dir;
  std::filesystem::path file = dir.path() / "master-keys.json";
  ManualClock clock;
  KeyRing server_ring = *KeyRing::load_or_create(file);
  FieldCipher server{server_ring};
  std::atomic<int> source_calls{0};

  ServerAndRotator() {
    server.enable_reload(
        [this] {
          ++source_calls;
          return KeyRing::load(file);
        },
        clock, 30 * kMicrosPerSecond);
  }

  // `countersign keys rotate` in another process: its own ring from the same file.
  std::string rotate_and_reencrypt(const std::string& stored) {
    auto cli_ring = KeyRing::load(file);
    EXPECT_TRUE(cli_ring);
    EXPECT_TRUE(cli_ring->add_key(file));
    auto moved = FieldCipher(*cli_ring).reencrypt(stored, kSmtp);
    EXPECT_TRUE(moved);
    return *moved;
  }
};

TEST(KeyRingReload, DecryptsValuesReencryptedByAnotherRingOnTheSameFile) {
  ServerAndRotator s;
  const std::string before = s.server.encrypt("hunter2", kSmtp);
  ASSERT_EQ(key_id_of(before), "k1");
  const std::string after = s.rotate_and_reencrypt(before);
  ASSERT_EQ(key_id_of(after), "k2");

  auto plain = s.server.decrypt(after, kSmtp);
  ASSERT_TRUE(plain) << plain.error().detail();
  EXPECT_EQ(*plain, "hunter2");
  EXPECT_EQ(s.server.reload_count(), 1);
  // New values go under the rotated-in key, and the ring is not read again for k2 values.
  const std::string fresh = s.server.encrypt("new", kSmtp);
  EXPECT_EQ(key_id_of(fresh), "k2");
  EXPECT_EQ(*s.server.decrypt(fresh, kSmtp), "new");
  EXPECT_EQ(*s.server.decrypt(after, kSmtp), "hunter2");
  EXPECT_EQ(*s.server.decrypt(before, kSmtp), "hunter2");  // k1 stays readable
  EXPECT_EQ(s.source_calls.load(), 1);
}

TEST(KeyRingReload, WithoutReloadTheUnknownKeyStaysAnError) {
  cs::testing::TempDir dir;
  const auto file = dir.path() / "keys.json";
  KeyRing ring = *KeyRing::load_or_create(file);
  FieldCipher server(ring);
  auto cli_ring = KeyRing::load(file);
  ASSERT_TRUE(cli_ring->add_key(file));
  const std::string stored = FieldCipher(*cli_ring).encrypt("x", kSmtp);
  auto result = server.decrypt(stored, kSmtp);
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().detail().find("k2"), std::string::npos);
  EXPECT_EQ(server.reload_count(), 0);
}

TEST(KeyRingReload, MadeUpKeyIdsCannotForceAReloadPerRequest) {
  ServerAndRotator s;
  std::string garbage = s.server.encrypt("x", kSmtp);
  garbage.replace(3, 2, "k9");
  for (int i = 0; i < 50; ++i) EXPECT_FALSE(s.server.decrypt(garbage, kSmtp));
  EXPECT_EQ(s.source_calls.load(), 1);

  // A real rotation within the interval is not seen until the interval has passed.
  const std::string after = s.rotate_and_reencrypt(s.server.encrypt("pw", kSmtp));
  auto early = s.server.decrypt(after, kSmtp);
  ASSERT_FALSE(early);
  EXPECT_EQ(s.source_calls.load(), 1);
  s.clock.advance(31 * kMicrosPerSecond);
  auto later = s.server.decrypt(after, kSmtp);
  ASSERT_TRUE(later) << later.error().detail();
  EXPECT_EQ(*later, "pw");
  EXPECT_EQ(s.source_calls.load(), 2);
}

TEST(KeyRingReload, AFailingSourceIsAClearErrorAndRateLimitedToo) {
  cs::testing::TempDir dir;
  const auto file = dir.path() / "keys.json";
  KeyRing ring = *KeyRing::load_or_create(file);
  ManualClock clock;
  FieldCipher server(ring);
  int calls = 0;
  server.enable_reload(
      [&]() -> Result<KeyRing> {
        ++calls;
        return fail(Errc::internal, "the master key file does not exist");
      },
      clock);
  std::string stored = server.encrypt("x", kSmtp);
  stored.replace(3, 2, "k2");
  auto result = server.decrypt(stored, kSmtp);
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().detail().find("reloading the key ring failed"), std::string::npos);
  EXPECT_FALSE(server.decrypt(stored, kSmtp));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(result.error().message(), "a stored secret could not be decrypted");
}

TEST(KeyRingReload, ConcurrentDecryptsReloadOnce) {
  ServerAndRotator s;
  const std::string after = s.rotate_and_reencrypt(s.server.encrypt("shared", kSmtp));
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        auto plain = s.server.decrypt(after, kSmtp);
        if (plain && *plain == "shared") ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 160);
  EXPECT_EQ(s.source_calls.load(), 1);
}

}  // namespace
}  // namespace cs::crypto
