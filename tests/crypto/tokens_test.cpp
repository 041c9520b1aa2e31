#include "crypto/tokens.hpp"

#include <gtest/gtest.h>

#include "crypto/primitives.hpp"

namespace cs::crypto {
namespace {

TEST(Tokens, HavePrefixAnd256RandomBits) {
  const std::string token = generate_token(kAccessTokenPrefix);
  ASSERT_EQ(token.substr(0, 6), "cs_at_");
  ASSERT_EQ(token.size(), 6 + kTokenRandomChars);
  auto random = base64url_decode(token.substr(6));
  ASSERT_TRUE(random.has_value());
  EXPECT_EQ(random->size(), 32u);
  EXPECT_NE(generate_token(kAccessTokenPrefix), token);
}

TEST(Tokens, RecognisesEveryPrefix) {
  for (auto prefix : kTokenPrefixes) {
    EXPECT_TRUE(has_countersign_token_prefix(generate_token(prefix))) << prefix;
  }
  EXPECT_TRUE(has_countersign_token_prefix("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
  EXPECT_FALSE(has_countersign_token_prefix("cs_xx_abc"));
  EXPECT_FALSE(has_countersign_token_prefix("Bearer abc"));
  EXPECT_FALSE(has_countersign_token_prefix("cs_"));
}

TEST(Tokens, HmacMatchesRfc4231StyleVector) {
  // HMAC-SHA256 with a 32-byte key of 0x0b and message "Hi There", computed independently:
  // python3 -c "import hmac,hashlib;print(hmac.new(b'\x0b'*32,b'Hi
  // There',hashlib.sha256).hexdigest())"
  std::array<std::uint8_t, 32> key{};
  key.fill(0x0b);
  EXPECT_EQ(hmac_hex(key, "Hi There"),
            "198a607eb44bfbc69903a0f1cf2bbdc5ba0aa3f3d9ae3c1c7a3b1696a0b68cf7");
}

TEST(Tokens, HasherStoresKeyedHashNotToken) {
  KeyRing ring = KeyRing::generate();
  TokenHasher hasher(ring);
  const std::string token = generate_token(kRefreshTokenPrefix);
  const std::string stored = hasher.hash(token);
  EXPECT_EQ(stored.size(), 64u);
  EXPECT_EQ(stored.find(token), std::string::npos);
  EXPECT_NE(stored, sha256_hex(token));   // keyed, not a bare digest
  EXPECT_EQ(stored, hasher.hash(token));  // deterministic, so it can be looked up
  EXPECT_TRUE(hasher.matches(token, stored));
  EXPECT_FALSE(hasher.matches(token + "x", stored));
  EXPECT_FALSE(hasher.matches(token, stored.substr(1)));
}

TEST(Tokens, DifferentKeysGiveDifferentHashes) {
  KeyRing a = KeyRing::generate();
  KeyRing b = KeyRing::generate();
  const std::string token = generate_token(kClientSecretPrefix);
  EXPECT_NE(TokenHasher(a).hash(token), TokenHasher(b).hash(token));
  EXPECT_FALSE(TokenHasher(b).matches(token, TokenHasher(a).hash(token)));
}

}  // namespace
}  // namespace cs::crypto
