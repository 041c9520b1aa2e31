// keys rotate, step 2, on both backends: every encrypted value moves to the new key and still
// decrypts; values already under it are left alone; rows are matched by their own id.
#include "app/key_rotation.hpp"

#include <gtest/gtest.h>

#include "crypto/keyring.hpp"
#include "support/temp_dir.hpp"
#include "support/test_database.hpp"

namespace cs::app {
namespace {

class KeyRotationTest : public cs::testing::BothBackends {};

TEST_P(KeyRotationTest, ReencryptsEveryValueUnderTheNewKey) {
  auto conn = lease();
  ASSERT_TRUE(conn->exec_script("CREATE TABLE probe_secrets (id TEXT PRIMARY KEY, secret TEXT)"));
  cs::testing::TempDir dir;
  auto key_file = dir.path() / "keys.json";
  auto ring = crypto::KeyRing::load_or_create(key_file);
  ASSERT_TRUE(ring);
  crypto::FieldCipher cipher(*ring);
  const std::string old_key = ring->active().id;
  for (int i = 0; i < 450; ++i) {  // more than two batches
    std::string id = "row" + std::to_string(1000 + i);
    std::vector<store::Value> p{id, cipher.encrypt("secret-" + id, {"probe_secrets", "secret", id})};
    ASSERT_TRUE(conn->exec("INSERT INTO probe_secrets (id, secret) VALUES ($1, $2)", p));
  }
  std::vector<store::Value> null_row{std::string("row-null")};
  ASSERT_TRUE(conn->exec("INSERT INTO probe_secrets (id, secret) VALUES ($1, NULL)", null_row));

  auto new_key = ring->add_key(key_file);
  ASSERT_TRUE(new_key);
  const EncryptedColumn columns[] = {{"probe_secrets", "id", "secret"}};
  auto report = reencrypt_columns(db(), cipher, *new_key, columns);
  ASSERT_TRUE(report) << report.error().detail();
  EXPECT_EQ(report->reencrypted, 450);
  EXPECT_EQ(report->already_current, 0);

  auto rows = conn->query("SELECT id, secret FROM probe_secrets WHERE secret IS NOT NULL ORDER BY id");
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 450u);
  for (const auto& row : *rows) {
    EXPECT_EQ(crypto::key_id_of(row.text(1)), std::optional<std::string_view>(*new_key));
    auto plain = cipher.decrypt(row.text(1), {"probe_secrets", "secret", row.text(0)});
    ASSERT_TRUE(plain);
    EXPECT_EQ(*plain, "secret-" + row.text(0));
  }
  EXPECT_NE(old_key, *new_key);

  // Running it again finds nothing to do.
  auto again = reencrypt_columns(db(), cipher, *new_key, columns);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->reencrypted, 0);
  EXPECT_EQ(again->already_current, 450);
}

TEST_P(KeyRotationTest, AValueCopiedFromAnotherRowFailsAndNothingIsHalfWritten) {
  auto conn = lease();
  ASSERT_TRUE(conn->exec_script("CREATE TABLE probe_secrets (id TEXT PRIMARY KEY, secret TEXT)"));
  cs::testing::TempDir dir;
  auto ring = crypto::KeyRing::load_or_create(dir.path() / "keys.json");
  ASSERT_TRUE(ring);
  crypto::FieldCipher cipher(*ring);
  auto a = cipher.encrypt("alpha", {"probe_secrets", "secret", "a"});
  std::vector<store::Value> pa{std::string("a"), a}, pb{std::string("b"), a};  // b holds a's ciphertext
  ASSERT_TRUE(conn->exec("INSERT INTO probe_secrets VALUES ($1, $2)", pa));
  ASSERT_TRUE(conn->exec("INSERT INTO probe_secrets VALUES ($1, $2)", pb));
  auto new_key = ring->add_key(dir.path() / "keys.json");
  ASSERT_TRUE(new_key);
  const EncryptedColumn columns[] = {{"probe_secrets", "id", "secret"}};
  EXPECT_FALSE(reencrypt_columns(db(), cipher, *new_key, columns)) << "the swapped ciphertext must not decrypt";
  auto row_a = conn->query_one("SELECT secret FROM probe_secrets WHERE id = 'a'");
  ASSERT_TRUE(row_a && *row_a);
  EXPECT_EQ((*row_a)->text(0), a) << "the failing batch rolled back as a whole";
}

CS_INSTANTIATE_BOTH_BACKENDS(KeyRotationTest);

}  // namespace
}  // namespace cs::app
