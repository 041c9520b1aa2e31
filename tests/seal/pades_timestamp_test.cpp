// The optional RFC 3161 signature time-stamp: a real time-stamp authority built in the test with
// OpenSSL's TS responder (its certificate made with the openssl CLI) answers the seal's request;
// the token lands in the CMS as id-aa-signatureTimeStampToken and pdfsig still accepts the seal.
// A TSA answering garbage fails the seal instead of producing an unstamped one.
#include <openssl/cms.h>
#include <openssl/pem.h>
#include <openssl/ts.h>

#include "esign/sample_pdf.hpp"
#include "pades_support.hpp"

namespace cs::seal::testing {
namespace {

class TimestampTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto p = [&](const std::string& name) { return "'" + (dir_ / name).string() + "'"; };
    auto r = run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " +
                 p("tsa.key") + " -out " + p("tsa.crt") + " -subj '/CN=Test TSA' -days 30" +
                 " -addext 'extendedKeyUsage=critical,timeStamping'");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    FILE* f = std::fopen((dir_ / "tsa.crt").c_str(), "r");
    cert_ = PEM_read_X509(f, nullptr, nullptr, nullptr);
    std::fclose(f);
    f = std::fopen((dir_ / "tsa.key").c_str(), "r");
    key_ = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
    std::fclose(f);
    ASSERT_TRUE(cert_ && key_);
  }
  void TearDown() override {
    X509_free(cert_);
    EVP_PKEY_free(key_);
  }

  // The TSA: OpenSSL's RFC 3161 responder, answering over "the wire" (DER in, DER out).
  TimestampFetcher tsa() {
    return [this](std::string_view request) -> Result<std::string> {
      ++requests_;
      TS_RESP_CTX* ctx = TS_RESP_CTX_new();
      TS_RESP_CTX_set_signer_cert(ctx, cert_);
      TS_RESP_CTX_set_signer_key(ctx, key_);
      ASN1_OBJECT* policy = OBJ_txt2obj("1.3.6.1.4.1.99999.1", 1);
      TS_RESP_CTX_set_def_policy(ctx, policy);
      ASN1_OBJECT_free(policy);
      TS_RESP_CTX_add_md(ctx, EVP_sha256());
      TS_RESP_CTX_set_signer_digest(ctx, EVP_sha256());
      BIO* in = BIO_new_mem_buf(request.data(), static_cast<int>(request.size()));
      TS_RESP* resp = TS_RESP_create_response(ctx, in);
      BIO_free(in);
      TS_RESP_CTX_free(ctx);
      if (!resp) return fail(Errc::unavailable, "responder failed");
      unsigned char* der = nullptr;
      int n = i2d_TS_RESP(resp, &der);
      TS_RESP_free(resp);
      std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
      OPENSSL_free(der);
      return out;
    };
  }

  cs::testing::TempDir dir_;
  IdentityFixture fixture_;
  SigningIdentity id_ = fixture_.identity();
  X509* cert_ = nullptr;
  EVP_PKEY* key_ = nullptr;
  int requests_ = 0;
};

TEST_F(TimestampTest, TheTokenIsEmbeddedAndTheSealStaysValid) {
  PadesOptions options;
  options.signing_time = fixture_.clock().now();
  options.contents_capacity = 32768;
  auto fetch = tsa();
  auto sealed = seal_pdf(esign::sample_pdf("Stamped"), options, [&](std::string_view bytes) {
    return sign_cades_detached(bytes, id_, fetch);
  });
  ASSERT_TRUE(sealed) << sealed.error().detail();
  EXPECT_EQ(requests_, 1);
  auto sig = find_signatures(*sealed).value().at(0);
  const auto* p = reinterpret_cast<const unsigned char*>(sig.contents.data());
  CMS_ContentInfo* cms = d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(sig.contents.size()));
  ASSERT_NE(cms, nullptr);
  CMS_SignerInfo* si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
  EXPECT_GE(CMS_unsigned_get_attr_by_NID(si, NID_id_smime_aa_timeStampToken, -1), 0);
  CMS_ContentInfo_free(cms);
  write_file(dir_ / "stamped.pdf", *sealed);
  auto v = pdfsig(dir_ / "stamped.pdf");
  EXPECT_TRUE(v.valid) << v.output;
  EXPECT_TRUE(v.total_document) << v.output;
}

TEST_F(TimestampTest, AnUnusableAnswerFailsTheSeal) {
  TimestampFetcher garbage = [](std::string_view) -> Result<std::string> {
    return std::string("not DER");
  };
  auto sealed = seal_with(esign::sample_pdf("Stamped"), id_, 0, garbage);
  ASSERT_FALSE(sealed);
  EXPECT_EQ(sealed.error().errc(), Errc::unavailable);
}

}  // namespace
}  // namespace cs::seal::testing
