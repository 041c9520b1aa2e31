// The sealing identity on SQLite and PostgreSQL: created once and reused (also when two
// processes race), private keys never stored in plaintext, the certificate profile, and an
// operator's PKCS#12 (right and wrong password).
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include <thread>

#include "esign/sample_pdf.hpp"
#include "pades_support.hpp"
#include "store/params.hpp"

namespace cs::seal::testing {
namespace {

class IdentityTest : public cs::testing::BothBackends {
 protected:
  Result<SigningIdentity> load(store::Database& db) {
    return load_or_create_ca_identity(db, cipher_, clock_);
  }

  ManualClock clock_;
  crypto::KeyRing keys_ = crypto::KeyRing::generate(clock_);
  crypto::FieldCipher cipher_{keys_};
};

TEST_P(IdentityTest, IsCreatedOnceAndReused) {
  auto first = load(db());
  ASSERT_TRUE(first) << first.error().detail();
  auto second = load(db());
  ASSERT_TRUE(second) << second.error().detail();
  EXPECT_EQ(certificate_pem(first->certificate.get()), certificate_pem(second->certificate.get()));
  EXPECT_EQ(EVP_PKEY_eq(first->key.get(), second->key.get()), 1);
  auto conn = lease();
  auto rows = conn->query("SELECT id FROM seal_identities").value();
  EXPECT_EQ(rows.size(), 1u);
  EXPECT_EQ(first->source, "countersign_ca");
}

TEST_P(IdentityTest, TwoProcessesRacingOnFirstUseAgreeOnOneIdentity) {
  auto other = open_another();
  std::vector<Result<SigningIdentity>> results(4, fail(Errc::internal, "unset"));
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] { results[i] = load(i % 2 ? *other : db()); });
  }
  for (auto& t : threads) t.join();
  for (const auto& r : results) ASSERT_TRUE(r) << r.error().detail();
  for (const auto& r : results) {
    EXPECT_EQ(certificate_pem(r->certificate.get()),
              certificate_pem(results[0]->certificate.get()));
  }
  auto conn = lease();
  EXPECT_EQ(conn->query("SELECT id FROM seal_identities").value().size(), 1u);
}

TEST_P(IdentityTest, PrivateKeysAreNotStoredInPlaintext) {
  auto id = load(db()).value();
  // The raw private scalar of the sealing key must appear nowhere in the table.
  BIGNUM* priv = nullptr;
  ASSERT_EQ(EVP_PKEY_get_bn_param(id.key.get(), OSSL_PKEY_PARAM_PRIV_KEY, &priv), 1);
  std::string scalar(static_cast<std::size_t>(BN_num_bytes(priv)), '\0');
  BN_bn2bin(priv, reinterpret_cast<unsigned char*>(scalar.data()));
  BN_free(priv);
  auto conn = lease();
  auto row = conn->query_one(
                     "SELECT ca_certificate, ca_private_key, certificate, private_key FROM "
                     "seal_identities")
                 .value()
                 .value();
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(row.text(i).find("PRIVATE KEY"), std::string::npos) << i;
    EXPECT_EQ(row.text(i).find(scalar), std::string::npos) << i;
  }
  EXPECT_EQ(row.text(1).rfind("v1.", 0), 0u);  // FieldCipher format
  EXPECT_EQ(row.text(3).rfind("v1.", 0), 0u);
  // Bound to its column: the CA key's ciphertext does not open as the sealing key's.
  EXPECT_FALSE(cipher_.decrypt(row.text(1), {"seal_identities", "private_key", kIdentityRowId}));
  EXPECT_TRUE(cipher_.decrypt(row.text(3), {"seal_identities", "private_key", kIdentityRowId}));
  // And another key ring cannot read it at all.
  auto other_ring = crypto::KeyRing::generate(clock_);
  crypto::FieldCipher other(other_ring);
  EXPECT_FALSE(load_or_create_ca_identity(db(), other, clock_));
}

TEST_P(IdentityTest, CertificateProfile) {
  auto id = load(db()).value();
  X509* cert = id.certificate.get();
  X509* ca = id.trust_anchors.at(0).get();
  EXPECT_EQ(X509_check_issued(ca, cert), X509_V_OK);
  EXPECT_EQ(X509_check_issued(ca, ca), X509_V_OK);  // the CA is self-signed
  EXPECT_EQ(X509_check_ca(ca), 1);
  EXPECT_EQ(X509_check_ca(cert), 0);
  std::uint32_t usage = X509_get_key_usage(cert);
  EXPECT_TRUE(usage & KU_DIGITAL_SIGNATURE);
  EXPECT_TRUE(usage & KU_NON_REPUDIATION);
  EXPECT_FALSE(usage & KU_KEY_CERT_SIGN);
  EXPECT_EQ(EVP_PKEY_get_base_id(id.key.get()), EVP_PKEY_EC);
  EXPECT_NE(id.subject.find("Countersign Document Seal"), std::string::npos);
  auto anchors = deployment_trust_anchors(db(), "");
  ASSERT_TRUE(anchors);
  EXPECT_EQ(certificate_pem(anchors->at(0).get()), certificate_pem(ca));
}

TEST_P(IdentityTest, NoTrustAnchorsBeforeTheFirstSeal) {
  auto anchors = deployment_trust_anchors(db(), "");
  ASSERT_FALSE(anchors);
  EXPECT_EQ(anchors.error().errc(), Errc::not_found);
}

CS_INSTANTIATE_BOTH_BACKENDS(IdentityTest);

// An operator's PKCS#12: a root CA and a sealing certificate made with the openssl CLI.
class Pkcs12Test : public ::testing::Test {
 protected:
  void SetUp() override {
    auto p = [&](const std::string& name) { return "'" + (dir_ / name).string() + "'"; };
    write_file(dir_ / "leaf.ext",
               "keyUsage=critical,digitalSignature,nonRepudiation\nbasicConstraints=CA:FALSE\n");
    for (const std::string& cmd :
         {"openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " +
              p("ca.key") + " -out " + p("ca.crt") + " -subj '/CN=Operator Root' -days 30" +
              " -addext 'basicConstraints=critical,CA:TRUE' -addext "
              "'keyUsage=critical,keyCertSign'",
          "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " +
              p("seal.key") + " -out " + p("seal.csr") + " -subj '/CN=Operator Seal'",
          "openssl x509 -req -in " + p("seal.csr") + " -CA " + p("ca.crt") + " -CAkey " +
              p("ca.key") + " -CAcreateserial -days 30 -extfile " + p("leaf.ext") + " -out " +
              p("seal.crt"),
          "openssl pkcs12 -export -inkey " + p("seal.key") + " -in " + p("seal.crt") +
              " -certfile " + p("ca.crt") + " -passout pass:correct-horse -out " + p("seal.p12")}) {
      auto r = run(cmd);
      ASSERT_EQ(r.exit_code, 0) << cmd << "\n" << r.output;
    }
  }

  cs::testing::TempDir dir_;
};

TEST_F(Pkcs12Test, LoadsAndSealsWithTheOperatorsCertificate) {
  auto id = load_pkcs12_identity(dir_ / "seal.p12", "correct-horse");
  ASSERT_TRUE(id) << id.error().message();
  EXPECT_EQ(id->source, "pkcs12");
  EXPECT_NE(id->subject.find("Operator Seal"), std::string::npos);
  ASSERT_EQ(id->trust_anchors.size(), 1u);
  EXPECT_EQ(certificate_pem(id->trust_anchors[0].get()), read_file(dir_ / "ca.crt"));

  auto sealed = seal_with(esign::sample_pdf("Operator"), *id, 1'767'225'600'000'000);
  ASSERT_TRUE(sealed) << sealed.error().detail();
  write_file(dir_ / "sealed.pdf", *sealed);
  auto v = pdfsig(dir_ / "sealed.pdf");
  EXPECT_TRUE(v.valid) << v.output;
  EXPECT_NE(v.output.find("Operator Seal"), std::string::npos) << v.output;
}

TEST_F(Pkcs12Test, AWrongPasswordFailsClearly) {
  auto id = load_pkcs12_identity(dir_ / "seal.p12", "wrong");
  ASSERT_FALSE(id);
  EXPECT_EQ(id.error().errc(), Errc::invalid_request);
  EXPECT_NE(id.error().message().find("password is wrong"), std::string::npos)
      << id.error().message();
  EXPECT_NE(id.error().message().find(std::string(kPkcs12PasswordEnv)), std::string::npos);
  EXPECT_EQ(id.error().message().find("wrong\""), std::string::npos);  // never echoes the password
}

TEST_F(Pkcs12Test, AMissingOrForeignFileFailsClearly) {
  auto missing = load_pkcs12_identity(dir_ / "nope.p12", "correct-horse");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("cannot be read"), std::string::npos);
  auto foreign = load_pkcs12_identity(dir_ / "ca.crt", "correct-horse");
  ASSERT_FALSE(foreign);
  EXPECT_NE(foreign.error().message().find("not a PKCS#12"), std::string::npos);
}

}  // namespace
}  // namespace cs::seal::testing
