#include "crypto/field_cipher.hpp"

#include <gtest/gtest.h>

#include "crypto/primitives.hpp"
#include "support/temp_dir.hpp"

namespace cs::crypto {
namespace {

const FieldContext kWebhook{"webhooks", "signing_secret", "whk_1"};

TEST(FieldCipher, RoundTrips) {
  KeyRing ring = KeyRing::generate();
  FieldCipher cipher(ring);
  for (std::string plaintext : {std::string("cs_whsec_abc"), std::string(), std::string(5000, 'x'),
                                std::string("bin\0ary", 7)}) {
    const std::string stored = cipher.encrypt(plaintext, kWebhook);
    auto back = cipher.decrypt(stored, kWebhook);
    ASSERT_TRUE(back) << back.error().detail();
    EXPECT_EQ(*back, plaintext);
  }
}

TEST(FieldCipher, StoredFormCarriesVersionKeyIdAndFreshNonce) {
  KeyRing ring = KeyRing::generate();
  FieldCipher cipher(ring);
  const std::string a = cipher.encrypt("secret", kWebhook);
  const std::string b = cipher.encrypt("secret", kWebhook);
  EXPECT_EQ(a.substr(0, 6), "v1.k1.");
  EXPECT_EQ(key_id_of(a), "k1");
  EXPECT_NE(a, b);  // random nonce
  EXPECT_EQ(a.find("secret"), std::string::npos);
  auto payload = base64url_decode(a.substr(6));
  ASSERT_TRUE(payload);
  EXPECT_EQ(payload->size(), 24u + 6u + 16u);  // nonce + ciphertext + tag
}

TEST(FieldCipher, CiphertextCopiedElsewhereFailsToDecrypt) {
  KeyRing ring = KeyRing::generate();
  FieldCipher cipher(ring);
  const std::string stored = cipher.encrypt("partner-instance-password", kWebhook);
  ASSERT_TRUE(cipher.decrypt(stored, kWebhook));
  EXPECT_FALSE(cipher.decrypt(stored, {"webhooks", "signing_secret", "whk_2"}));   // another row
  EXPECT_FALSE(cipher.decrypt(stored, {"webhooks", "other_secret", "whk_1"}));     // another column
  EXPECT_FALSE(cipher.decrypt(stored, {"instances", "signing_secret", "whk_1"}));  // another table
  // Moving characters between the parts must not produce the same associated data.
  EXPECT_FALSE(cipher.decrypt(stored, {"webhooks:", "signing_secret", "whk_1"}));
  EXPECT_FALSE(cipher.decrypt(stored, {"webhooks", "signing", "_secret:whk_1"}));
}

TEST(FieldCipher, TamperedByteFailsAndErrorHidesPlaintext) {
  KeyRing ring = KeyRing::generate();
  FieldCipher cipher(ring);
  const std::string stored = cipher.encrypt("hunter2", kWebhook);
  for (std::size_t i = 6; i < stored.size(); ++i) {
    std::string tampered = stored;
    tampered[i] = tampered[i] == 'A' ? 'B' : 'A';
    auto result = cipher.decrypt(tampered, kWebhook);
    ASSERT_FALSE(result) << "position " << i;
    EXPECT_EQ(result.error().errc(), Errc::internal);
    EXPECT_EQ(result.error().message().find("hunter2"), std::string::npos);
    EXPECT_EQ(result.error().detail().find("hunter2"), std::string::npos);
  }
}

TEST(FieldCipher, MalformedStoredValuesFail) {
  KeyRing ring = KeyRing::generate();
  FieldCipher cipher(ring);
  for (std::string_view bad : {"", "v1", "v1.", "v1.k1", "v1.k1.", "v2.k1.AAAA", "v1..AAAA",
                               "v1.k1.!!!!", "plaintext-secret"}) {
    auto result = cipher.decrypt(bad, kWebhook);
    ASSERT_FALSE(result) << bad;
    EXPECT_EQ(result.error().errc(), Errc::internal);
  }
  EXPECT_FALSE(key_id_of("plaintext").has_value());
  EXPECT_FALSE(key_id_of("v1..x").has_value());
}

TEST(FieldCipher, UnknownKeyIdFails) {
  KeyRing ring = KeyRing::generate();
  KeyRing other = KeyRing::generate();  // also calls its key "k1", with different bytes
  const std::string stored = FieldCipher(other).encrypt("x", kWebhook);
  EXPECT_FALSE(FieldCipher(ring).decrypt(stored, kWebhook));
  std::string relabelled = stored;
  relabelled.replace(3, 2, "k7");
  auto result = FieldCipher(ring).decrypt(relabelled, kWebhook);
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().detail().find("k7"), std::string::npos);
}

TEST(FieldCipher, RelabellingWithAnotherKnownKeyIdFails) {
  cs::testing::TempDir dir;
  KeyRing ring = KeyRing::generate();
  FieldCipher cipher(ring);
  const std::string stored = cipher.encrypt("x", kWebhook);
  ASSERT_TRUE(ring.add_key(dir.path() / "keys.json"));
  std::string relabelled = stored;
  relabelled.replace(3, 2, "k2");
  EXPECT_FALSE(cipher.decrypt(relabelled, kWebhook));
}

TEST(FieldCipher, AfterAddKeyOldCiphertextsDecryptAndReencryptMovesThem) {
  cs::testing::TempDir dir;
  const auto file = dir.path() / "keys.json";
  auto ring = KeyRing::load_or_create(file);
  ASSERT_TRUE(ring);
  FieldCipher cipher(*ring);
  const std::string old_stored = cipher.encrypt("smtp-password", kWebhook);
  ASSERT_EQ(key_id_of(old_stored), "k1");

  ASSERT_EQ(*ring->add_key(file), "k2");
  auto old_plain = cipher.decrypt(old_stored, kWebhook);
  ASSERT_TRUE(old_plain);
  EXPECT_EQ(*old_plain, "smtp-password");
  EXPECT_EQ(key_id_of(cipher.encrypt("new", kWebhook)), "k2");

  auto moved = cipher.reencrypt(old_stored, kWebhook);
  ASSERT_TRUE(moved);
  EXPECT_EQ(key_id_of(*moved), "k2");
  EXPECT_EQ(*cipher.decrypt(*moved, kWebhook), "smtp-password");
  // Already current: unchanged.
  EXPECT_EQ(*cipher.reencrypt(*moved, kWebhook), *moved);
  // The moved value is still bound to its row.
  EXPECT_FALSE(cipher.decrypt(*moved, {"webhooks", "signing_secret", "whk_9"}));
  // A fresh process reading the key file sees both keys.
  auto reloaded = KeyRing::load(file);
  ASSERT_TRUE(reloaded);
  EXPECT_EQ(*FieldCipher(*reloaded).decrypt(old_stored, kWebhook), "smtp-password");
  EXPECT_EQ(*FieldCipher(*reloaded).decrypt(*moved, kWebhook), "smtp-password");
}

TEST(FieldCipher, ReencryptRefusesTamperedInput) {
  KeyRing ring = KeyRing::generate();
  FieldCipher cipher(ring);
  const std::string stored = cipher.encrypt("x", kWebhook);
  EXPECT_FALSE(cipher.reencrypt(stored, {"webhooks", "signing_secret", "whk_2"}));
}

}  // namespace
}  // namespace cs::crypto
