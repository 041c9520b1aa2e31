#include "seal/signing_identity.hpp"

#include <cstdlib>
#include <fstream>
#include <iterator>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "store/params.hpp"

namespace cs::seal {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free_all(b); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

X509Ref own(X509* x) { return X509Ref(x, X509_free); }
KeyRef own(EVP_PKEY* k) { return KeyRef(k, EVP_PKEY_free); }

// The OpenSSL error queue, for the log only.
std::string openssl_detail(std::string_view what) {
  std::string out(what);
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    out += "; ";
    out += buf;
  }
  return out;
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::string private_key_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  return bio_text(bio.get());
}

Result<KeyRef> parse_private_key_pem(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (!key)
    return fail(Errc::internal, "The sealing identity is damaged",
                openssl_detail("private key PEM"));
  return own(key);
}

void wipe(std::string& s) {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

Status add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (!ext)
    return fail(Errc::internal, "Could not create the sealing certificate", openssl_detail(value));
  int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  if (!ok)
    return fail(Errc::internal, "Could not create the sealing certificate",
                openssl_detail("add ext"));
  return {};
}

struct CertSpec {
  std::string common_name;
  int valid_days = 0;
  bool ca = false;
};

// Issues a certificate for `key`; self-signed when `issuer` is null.
Result<X509Ref> issue(const CertSpec& spec, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key,
                      const Clock& clock) {
  X509Ref cert = own(X509_new());
  X509_set_version(cert.get(), 2);  // v3
  BIGNUM* serial = BN_new();
  BN_rand(serial, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY);  // positive, 16 bytes at most
  BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert.get()));
  BN_free(serial);
  time_t now = static_cast<time_t>(clock.now() / kMicrosPerSecond);
  // An hour of slack for verifiers whose clocks run a little behind.
  ASN1_TIME_adj(X509_getm_notBefore(cert.get()), now, 0, -3600);
  ASN1_TIME_adj(X509_getm_notAfter(cert.get()), now, spec.valid_days, 0);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("Countersign"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(spec.common_name.c_str()), -1,
                             -1, 0);
  X509* signer = issuer ? issuer : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
  X509_set_pubkey(cert.get(), key);
  CS_CHECK(add_extension(cert.get(), signer, NID_subject_key_identifier, "hash"));
  CS_CHECK(add_extension(cert.get(), signer, NID_authority_key_identifier, "keyid:always"));
  if (spec.ca) {
    CS_CHECK(
        add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE,pathlen:0"));
    CS_CHECK(add_extension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign"));
  } else {
    CS_CHECK(add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE"));
    CS_CHECK(add_extension(cert.get(), signer, NID_key_usage,
                           "critical,digitalSignature,nonRepudiation"));
  }
  if (!X509_sign(cert.get(), issuer ? issuer_key : key, EVP_sha256())) {
    return fail(Errc::internal, "Could not create the sealing certificate",
                openssl_detail("X509_sign"));
  }
  return cert;
}

Result<KeyRef> new_key() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  if (!key)
    return fail(Errc::internal, "Could not create the sealing key", openssl_detail("EVP_EC_gen"));
  return own(key);
}

const std::string kSelect =
    "SELECT ca_certificate, ca_private_key, certificate, private_key FROM seal_identities WHERE id "
    "= $1";

crypto::FieldContext where(std::string_view column) {
  return {"seal_identities", column, kIdentityRowId};
}

Result<SigningIdentity> from_row(const store::Row& row, const crypto::FieldCipher& cipher) {
  SigningIdentity id;
  X509Ref ca = CS_TRY(parse_certificate_pem(row.text(0)));
  id.certificate = CS_TRY(parse_certificate_pem(row.text(2)));
  std::string pem = CS_TRY(cipher.decrypt(row.text(3), where("private_key")));
  auto key = parse_private_key_pem(pem);
  wipe(pem);
  if (!key) return fail(key.error());
  id.key = *key;
  if (X509_check_private_key(id.certificate.get(), id.key.get()) != 1) {
    return fail(Errc::internal, "The sealing identity is damaged",
                "certificate and key do not match");
  }
  id.chain = {ca};
  id.trust_anchors = {ca};
  id.source = "countersign_ca";
  id.subject = subject_line(id.certificate.get());
  return id;
}

Result<std::string> read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in)
    return fail(Errc::invalid_request, "The PKCS#12 file " + file.string() + " cannot be read");
  return std::string(std::istreambuf_iterator<char>(in), {});
}

bool self_signed(X509* cert) { return X509_check_issued(cert, cert) == X509_V_OK; }

}  // namespace

std::string certificate_pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  return bio_text(bio.get());
}

Result<X509Ref> parse_certificate_pem(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
  if (!cert)
    return fail(Errc::internal, "The sealing identity is damaged",
                openssl_detail("certificate PEM"));
  return own(cert);
}

std::string subject_line(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
  return bio_text(bio.get());
}

Result<SigningIdentity> load_or_create_ca_identity(store::Database& db,
                                                   const crypto::FieldCipher& cipher,
                                                   const Clock& clock) {
  auto conn = CS_TRY(db.connect());
  auto existing = CS_TRY(conn->query_one(kSelect, store::params(kIdentityRowId)));
  if (existing) return from_row(*existing, cipher);

  KeyRef ca_key = CS_TRY(new_key());
  X509Ref ca = CS_TRY(
      issue({"Countersign Sealing CA", 20 * 366, true}, ca_key.get(), nullptr, nullptr, clock));
  KeyRef key = CS_TRY(new_key());
  X509Ref cert = CS_TRY(issue({"Countersign Document Seal", 10 * 366, false}, key.get(), ca.get(),
                              ca_key.get(), clock));
  std::string ca_key_pem = private_key_pem(ca_key.get());
  std::string key_pem = private_key_pem(key.get());
  std::string ca_key_sealed = cipher.encrypt(ca_key_pem, where("ca_private_key"));
  std::string key_sealed = cipher.encrypt(key_pem, where("private_key"));
  wipe(ca_key_pem);
  wipe(key_pem);
  // Another process may have created the identity meanwhile: the first row wins, everyone
  // reads it back.
  CS_TRY(
      conn->exec("INSERT INTO seal_identities (id, ca_certificate, ca_private_key, certificate, "
                 "private_key, created_at) "
                 "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING",
                 store::params(kIdentityRowId, certificate_pem(ca.get()), ca_key_sealed,
                               certificate_pem(cert.get()), key_sealed, clock.now())));
  auto row = CS_TRY(conn->query_one(kSelect, store::params(kIdentityRowId)));
  if (!row)
    return fail(Errc::internal, "The sealing identity could not be stored",
                "row missing after insert");
  return from_row(*row, cipher);
}

Result<SigningIdentity> load_pkcs12_identity(const std::filesystem::path& file,
                                             std::string_view password) {
  std::string bytes = CS_TRY(read_file(file));
  BioPtr bio(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
  PKCS12* p12 = d2i_PKCS12_bio(bio.get(), nullptr);
  if (!p12) {
    return fail(Errc::invalid_request, "The file " + file.string() + " is not a PKCS#12 bundle",
                openssl_detail("d2i_PKCS12"));
  }
  std::string pass(password);
  if (PKCS12_verify_mac(p12, pass.c_str(), static_cast<int>(pass.size())) != 1) {
    PKCS12_free(p12);
    wipe(pass);
    ERR_clear_error();
    return fail(Errc::invalid_request, "The PKCS#12 password is wrong (set it in " +
                                           std::string(kPkcs12PasswordEnv) + ")");
  }
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  STACK_OF(X509)* cas = nullptr;
  int ok = PKCS12_parse(p12, pass.c_str(), &key, &cert, &cas);
  PKCS12_free(p12);
  wipe(pass);
  if (!ok) {
    return fail(Errc::invalid_request, "The PKCS#12 bundle cannot be opened with this password",
                openssl_detail("PKCS12_parse"));
  }
  SigningIdentity id;
  if (key) id.key = own(key);
  if (cert) id.certificate = own(cert);
  for (int i = 0; cas && i < sk_X509_num(cas); ++i) {
    X509* c = sk_X509_value(cas, i);
    X509_up_ref(c);
    id.chain.push_back(own(c));
  }
  sk_X509_pop_free(cas, X509_free);
  if (!id.key || !id.certificate) {
    return fail(Errc::invalid_request,
                "The PKCS#12 bundle holds no private key with its certificate");
  }
  if (X509_check_private_key(id.certificate.get(), id.key.get()) != 1) {
    ERR_clear_error();
    return fail(Errc::invalid_request, "The PKCS#12 bundle's key does not match its certificate");
  }
  for (const auto& c : id.chain) {
    if (self_signed(c.get())) id.trust_anchors.push_back(c);
  }
  // A self-signed sealing certificate is its own anchor.
  if (id.trust_anchors.empty() && self_signed(id.certificate.get()))
    id.trust_anchors.push_back(id.certificate);
  if (id.trust_anchors.empty()) {
    return fail(Errc::invalid_request,
                "The PKCS#12 bundle must include the root certificate of its chain");
  }
  id.source = "pkcs12";
  id.subject = subject_line(id.certificate.get());
  return id;
}

Result<SigningIdentity> resolve_identity(store::Database& db, const crypto::FieldCipher& cipher,
                                         const Clock& clock,
                                         const std::filesystem::path& pkcs12_file) {
  if (pkcs12_file.empty()) return load_or_create_ca_identity(db, cipher, clock);
  const char* password = std::getenv(std::string(kPkcs12PasswordEnv).c_str());
  return load_pkcs12_identity(pkcs12_file, password ? password : "");
}

Result<std::vector<X509Ref>> deployment_trust_anchors(store::Database& db,
                                                      const std::filesystem::path& pkcs12_file) {
  if (!pkcs12_file.empty()) {
    const char* password = std::getenv(std::string(kPkcs12PasswordEnv).c_str());
    auto id = CS_TRY(load_pkcs12_identity(pkcs12_file, password ? password : ""));
    return id.trust_anchors;
  }
  auto conn = CS_TRY(db.connect());
  auto row = CS_TRY(conn->query_one("SELECT ca_certificate FROM seal_identities WHERE id = $1",
                                    store::params(kIdentityRowId)));
  if (!row)
    return fail(Errc::not_found,
                "This deployment has not sealed anything yet (no sealing identity)");
  return std::vector<X509Ref>{CS_TRY(parse_certificate_pem(row->text(0)))};
}

}  // namespace cs::seal
