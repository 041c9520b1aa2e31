#include "audit/audit_chain.hpp"

#include <gtest/gtest.h>

namespace cs::audit {
namespace {

ChainFields sample() {
  ChainFields f;
  f.id = "aud_1";
  f.at = 1767225600000000;
  f.actor_type = "user";
  f.actor_id = "usr_1";
  f.action = "account.settings.changed";
  f.target_type = "account";
  f.target_id = "acc_1";
  f.account_id = "acc_1";
  f.ip = "203.0.113.7";
  f.request_id = "req_1";
  f.details = {{"setting", "allow_uncertified_apps"}, {"to", true}, {"from", false}};
  return f;
}

TEST(AuditChain, CanonicalJsonHasSortedKeysNoSpacesAndNulls) {
  EXPECT_EQ(
      canonical_json(sample()),
      R"({"account_id":"acc_1","action":"account.settings.changed","actor_id":"usr_1","actor_type":"user",)"
      R"("at":1767225600000000,"details":{"from":false,"setting":"allow_uncertified_apps","to":true},)"
      R"("id":"aud_1","ip":"203.0.113.7","partner_org_id":null,"request_id":"req_1","target_id":"acc_1",)"
      R"("target_type":"account"})");
}

TEST(AuditChain, HashIsSha256OfPrevHashNewlineCanonicalJson) {
  // Computed independently with Python's hashlib over "0"*64 + "\n" + the canonical JSON above.
  EXPECT_EQ(chain_hash(kGenesisHash, sample()),
            "e597fe36a23b39f041f7f2508e0b15f771fec9a7f29937ea5831327863bd329a");
}

TEST(AuditChain, EveryFieldAndThePreviousHashAreCovered) {
  const std::string base = chain_hash(kGenesisHash, sample());
  auto changed = [&](auto mutate) {
    ChainFields f = sample();
    mutate(f);
    return chain_hash(kGenesisHash, f);
  };
  EXPECT_NE(changed([](ChainFields& f) { f.id = "aud_2"; }), base);
  EXPECT_NE(changed([](ChainFields& f) { f.at += 1; }), base);
  EXPECT_NE(changed([](ChainFields& f) { f.actor_type = "staff"; }), base);
  EXPECT_NE(changed([](ChainFields& f) { f.actor_id = "usr_2"; }), base);
  EXPECT_NE(changed([](ChainFields& f) { f.action = "x"; }), base);
  EXPECT_NE(changed([](ChainFields& f) { f.target_type = "app"; }), base);
  EXPECT_NE(changed([](ChainFields& f) { f.target_id = "acc_2"; }), base);
  EXPECT_NE(changed([](ChainFields& f) { f.account_id.reset(); }), base);
  EXPECT_NE(changed([](ChainFields& f) { f.partner_org_id = "ptn_1"; }), base);
  EXPECT_NE(changed([](ChainFields& f) { f.ip = "198.51.100.1"; }), base);
  EXPECT_NE(changed([](ChainFields& f) { f.request_id = "req_2"; }), base);
  EXPECT_NE(changed([](ChainFields& f) { f.details["to"] = false; }), base);
  EXPECT_NE(chain_hash(std::string(64, '1'), sample()), base);
  // An empty string and a missing tenant are different facts.
  EXPECT_NE(changed([](ChainFields& f) { f.partner_org_id = ""; }), base);
}

TEST(AuditChain, SanitizeRepairsInvalidUtf8AndNul) {
  EXPECT_EQ(sanitize_text("plain"), "plain");
  EXPECT_EQ(sanitize_text("caf\xC3\xA9"), "caf\xC3\xA9");
  EXPECT_EQ(sanitize_text("a\xFF"
                          "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(sanitize_text(std::string_view("a\0b", 3)),
            "a\xEF\xBF\xBD"
            "b");
}

TEST(AuditChain, CanonicalDumpNeverThrowsOnInvalidUtf8) {
  nlohmann::json j = {{"email", std::string("x\xFFy")}};
  EXPECT_EQ(canonical_dump(j), "{\"email\":\"x\xEF\xBF\xBDy\"}");
}

}  // namespace
}  // namespace cs::audit
