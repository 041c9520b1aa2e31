// Offline verification (what `countersign verify` runs): a sealed file this deployment
// recorded passes; a changed byte, appended bytes, a foreign CA, an unrecorded file, an
// unsigned file and a non-PDF each fail with their own reason.
#include <map>
#include <span>

#include "esign/sample_pdf.hpp"
#include "pades_support.hpp"
#include "seal/verify.hpp"

namespace cs::seal::testing {
namespace {

class VerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto sealed = seal_with(esign::sample_pdf("Verified", {{612, 792}, {612, 792}}), id_,
                            fixture_.clock().now());
    ASSERT_TRUE(sealed) << sealed.error().detail();
    sealed_ = *sealed;
    SealRecord rec;
    rec.envelope_id = "env_verified";
    rec.sealed_sha256 = store::sha256_hex(std::span<const std::uint8_t>(
        reinterpret_cast<const std::uint8_t*>(sealed_.data()), sealed_.size()));
    records_[rec.sealed_sha256] = rec;
  }

  VerifyReport verify(const std::string& pdf) {
    auto r = verify_sealed_pdf(pdf, id_.trust_anchors,
                               [&](std::string_view sha) -> Result<std::optional<SealRecord>> {
                                 auto it = records_.find(std::string(sha));
                                 if (it == records_.end()) return std::optional<SealRecord>{};
                                 return std::optional<SealRecord>{it->second};
                               });
    EXPECT_TRUE(r);
    return r.value_or(VerifyReport{});
  }

  IdentityFixture fixture_;
  SigningIdentity id_ = fixture_.identity();
  std::string sealed_;
  std::map<std::string, SealRecord> records_;
};

TEST_F(VerifyTest, ARecordedSealPasses) {
  auto r = verify(sealed_);
  EXPECT_TRUE(r.ok) << r.reason;
  EXPECT_TRUE(r.covers_whole_file);
  EXPECT_TRUE(r.digest_matches);
  EXPECT_TRUE(r.chain_trusted);
  EXPECT_EQ(r.sub_filter, "ETSI.CAdES.detached");
  ASSERT_TRUE(r.record);
  EXPECT_EQ(r.record->envelope_id, "env_verified");
  EXPECT_NE(r.signer_subject.find("Countersign Document Seal"), std::string::npos);
  auto j = r.to_json();
  EXPECT_EQ(j["ok"], true);
  EXPECT_EQ(j["envelope_id"], "env_verified");
  EXPECT_FALSE(j.contains("reason"));
}

TEST_F(VerifyTest, OneChangedByteFails) {
  std::string tampered = sealed_;
  auto at = tampered.find("(Verified)");
  ASSERT_NE(at, std::string::npos);
  tampered[at + 1] = 'v';
  auto r = verify(tampered);
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.digest_matches);
  EXPECT_NE(r.reason.find("changed after sealing"), std::string::npos) << r.reason;
}

TEST_F(VerifyTest, ChangedContentsHexFails) {
  // Flip one hex digit of the CMS itself (outside the signed range, inside the signature).
  std::string tampered = sealed_;
  auto at = tampered.find("/Contents <") + 11 + 200;
  tampered[at] = tampered[at] == 'A' ? 'B' : 'A';
  auto r = verify(tampered);
  EXPECT_FALSE(r.ok);
}

TEST_F(VerifyTest, BytesAppendedAfterSealingFail) {
  auto r = verify(sealed_ + "% appended later\n");
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.covers_whole_file);
  EXPECT_NE(r.reason.find("whole file"), std::string::npos) << r.reason;
}

TEST_F(VerifyTest, ASealFromAnotherCaFails) {
  IdentityFixture elsewhere;
  auto foreign = elsewhere.identity();
  auto sealed = seal_with(esign::sample_pdf("Foreign"), foreign, 0).value();
  records_[store::sha256_hex(std::span<const std::uint8_t>(
      reinterpret_cast<const std::uint8_t*>(sealed.data()), sealed.size()))] = SealRecord{};
  auto r = verify(sealed);
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.digest_matches);
  EXPECT_FALSE(r.chain_trusted);
  EXPECT_NE(r.reason.find("not issued by this deployment"), std::string::npos) << r.reason;
}

TEST_F(VerifyTest, AnUnrecordedFileFails) {
  records_.clear();
  auto r = verify(sealed_);
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.chain_trusted);
  EXPECT_NE(r.reason.find("no record"), std::string::npos) << r.reason;
}

TEST_F(VerifyTest, UnsignedAndNonPdfInputsFail) {
  auto unsigned_pdf = verify(esign::sample_pdf("Plain"));
  EXPECT_FALSE(unsigned_pdf.ok);
  EXPECT_NE(unsigned_pdf.reason.find("no signature"), std::string::npos);
  auto garbage = verify("not a pdf");
  EXPECT_FALSE(garbage.ok);
  EXPECT_NE(garbage.reason.find("not a readable PDF"), std::string::npos);
}

}  // namespace
}  // namespace cs::seal::testing
