#include "seal/cms.hpp"

#include <algorithm>
#include <memory>
#include <vector>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ts.h>
#include <openssl/x509.h>

namespace cs::seal {
namespace {

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

tl::unexpected<Error> signing_failed(std::string_view what) {
  return fail(Errc::internal, "The document could not be sealed", openssl_detail(what));
}

template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using CmsPtr = std::unique_ptr<CMS_ContentInfo, Deleter<CMS_ContentInfo, CMS_ContentInfo_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using TsReqPtr = std::unique_ptr<TS_REQ, Deleter<TS_REQ, TS_REQ_free>>;
using TsRespPtr = std::unique_ptr<TS_RESP, Deleter<TS_RESP, TS_RESP_free>>;

void append_der_length(std::string& out, std::size_t n) {
  if (n < 0x80) {
    out.push_back(static_cast<char>(n));
    return;
  }
  std::string bytes;
  for (; n > 0; n >>= 8) bytes.insert(bytes.begin(), static_cast<char>(n & 0xff));
  out.push_back(static_cast<char>(0x80 | bytes.size()));
  out += bytes;
}

// The DER of the signed attributes as a SET OF (tag 0x31), members sorted by their encodings:
// what the signature covers (RFC 5652 §5.4).
Result<std::string> signed_attributes_der(CMS_SignerInfo* si) {
  std::vector<std::string> members;
  for (int i = 0; i < CMS_signed_get_attr_count(si); ++i) {
    unsigned char* der = nullptr;
    int n = i2d_X509_ATTRIBUTE(CMS_signed_get_attr(si, i), &der);
    if (n <= 0) return signing_failed("encode signed attribute");
    members.emplace_back(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
    OPENSSL_free(der);
  }
  std::sort(members.begin(), members.end());
  std::string body;
  for (const auto& m : members) body += m;
  std::string out(1, '\x31');
  append_der_length(out, body.size());
  return out + body;
}

Status resign_without_signing_time(CMS_SignerInfo* si, EVP_PKEY* key) {
  int idx = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1);
  if (idx < 0) return {};
  X509_ATTRIBUTE_free(CMS_signed_delete_attr(si, idx));
  std::string tbs = CS_TRY(signed_attributes_der(si));
  MdCtxPtr ctx(EVP_MD_CTX_new());
  std::size_t len = 0;
  if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(tbs.data()),
                     tbs.size()) != 1) {
    return signing_failed("sign attributes");
  }
  std::vector<unsigned char> sig(len);
  if (EVP_DigestSign(ctx.get(), sig.data(), &len,
                     reinterpret_cast<const unsigned char*>(tbs.data()), tbs.size()) != 1) {
    return signing_failed("sign attributes");
  }
  if (!ASN1_STRING_set(CMS_SignerInfo_get0_signature(si), sig.data(), static_cast<int>(len))) {
    return signing_failed("set signature");
  }
  return {};
}

// RFC 3161 request for SHA-256(signature value), with a nonce and the TSA's certificate asked for.
Result<std::string> timestamp_request(const ASN1_OCTET_STRING* signature,
                                      ASN1_INTEGER** nonce_out) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int dlen = 0;
  EVP_Digest(ASN1_STRING_get0_data(signature),
             static_cast<std::size_t>(ASN1_STRING_length(signature)), digest, &dlen, EVP_sha256(),
             nullptr);
  TsReqPtr req(TS_REQ_new());
  TS_MSG_IMPRINT* imprint = TS_MSG_IMPRINT_new();
  X509_ALGOR* alg = X509_ALGOR_new();
  X509_ALGOR_set0(alg, OBJ_nid2obj(NID_sha256), V_ASN1_NULL, nullptr);
  TS_MSG_IMPRINT_set_algo(imprint, alg);
  TS_MSG_IMPRINT_set_msg(imprint, digest, static_cast<int>(dlen));
  TS_REQ_set_version(req.get(), 1);
  TS_REQ_set_msg_imprint(req.get(), imprint);
  X509_ALGOR_free(alg);
  TS_MSG_IMPRINT_free(imprint);
  unsigned char nonce_bytes[8];
  RAND_bytes(nonce_bytes, sizeof nonce_bytes);
  nonce_bytes[0] &= 0x7f;
  ASN1_INTEGER* nonce = ASN1_INTEGER_new();
  BIGNUM* bn = BN_bin2bn(nonce_bytes, sizeof nonce_bytes, nullptr);
  BN_to_ASN1_INTEGER(bn, nonce);
  BN_free(bn);
  TS_REQ_set_nonce(req.get(), nonce);
  TS_REQ_set_cert_req(req.get(), 1);
  *nonce_out = nonce;
  unsigned char* der = nullptr;
  int n = i2d_TS_REQ(req.get(), &der);
  if (n <= 0) return signing_failed("encode time-stamp request");
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
  OPENSSL_free(der);
  return out;
}

// Checks the TSA's answer (granted, our imprint and nonce) and answers the token's DER.
Result<std::string> timestamp_token(std::string_view response_der, const std::string& request_der,
                                    const ASN1_INTEGER* nonce) {
  auto bad = [](std::string detail) {
    return fail(Errc::unavailable, "The time-stamp authority's answer was not usable",
                std::move(detail));
  };
  const auto* p = reinterpret_cast<const unsigned char*>(response_der.data());
  TsRespPtr resp(d2i_TS_RESP(nullptr, &p, static_cast<long>(response_der.size())));
  if (!resp) return bad(openssl_detail("d2i_TS_RESP"));
  long status = ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(resp.get())));
  if (status != 0 && status != 1)
    return bad("status " + std::to_string(status));  // granted, grantedWithMods
  PKCS7* token = TS_RESP_get_token(resp.get());
  TS_TST_INFO* info = TS_RESP_get_tst_info(resp.get());
  if (!token || !info) return bad("no token");
  // The token must answer this request: same imprint, same nonce.
  const auto* rp = reinterpret_cast<const unsigned char*>(request_der.data());
  TsReqPtr req(d2i_TS_REQ(nullptr, &rp, static_cast<long>(request_der.size())));
  const ASN1_OCTET_STRING* want = TS_MSG_IMPRINT_get_msg(TS_REQ_get_msg_imprint(req.get()));
  const ASN1_OCTET_STRING* got = TS_MSG_IMPRINT_get_msg(TS_TST_INFO_get_msg_imprint(info));
  if (ASN1_STRING_cmp(want, got) != 0) return bad("imprint mismatch");
  const ASN1_INTEGER* got_nonce = TS_TST_INFO_get_nonce(info);
  if (!got_nonce || ASN1_INTEGER_cmp(got_nonce, nonce) != 0) return bad("nonce mismatch");
  unsigned char* der = nullptr;
  int n = i2d_PKCS7(token, &der);
  if (n <= 0) return bad(openssl_detail("i2d_PKCS7"));
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
  OPENSSL_free(der);
  return out;
}

Status add_signature_timestamp(CMS_SignerInfo* si, const TimestampFetcher& tsa) {
  ASN1_INTEGER* nonce = nullptr;
  auto request = timestamp_request(CMS_SignerInfo_get0_signature(si), &nonce);
  std::unique_ptr<ASN1_INTEGER, Deleter<ASN1_INTEGER, ASN1_INTEGER_free>> nonce_owner(nonce);
  if (!request) return fail(request.error());
  std::string response = CS_TRY(tsa(*request));
  std::string token = CS_TRY(timestamp_token(response, *request, nonce));
  if (!CMS_unsigned_add1_attr_by_NID(si, NID_id_smime_aa_timeStampToken, V_ASN1_SEQUENCE,
                                     token.data(), static_cast<int>(token.size()))) {
    return signing_failed("add time-stamp attribute");
  }
  return {};
}

}  // namespace

Result<std::string> sign_cades_detached(std::string_view data, const SigningIdentity& identity,
                                        const TimestampFetcher& tsa) {
  if (!identity.key || !identity.certificate)
    return fail(Errc::internal, "No sealing identity", "empty identity");
  STACK_OF(X509)* certs = sk_X509_new_null();
  for (const auto& c : identity.chain) sk_X509_push(certs, c.get());
  constexpr unsigned kFlags = CMS_DETACHED | CMS_BINARY | CMS_PARTIAL | CMS_NOSMIMECAP;
  CmsPtr cms(CMS_sign(nullptr, nullptr, certs, nullptr, kFlags));
  sk_X509_free(certs);  // CMS_sign took its own references
  if (!cms) return signing_failed("CMS_sign");
  CMS_SignerInfo* si = CMS_add1_signer(cms.get(), identity.certificate.get(), identity.key.get(),
                                       EVP_sha256(), CMS_BINARY | CMS_NOSMIMECAP | CMS_CADES);
  if (!si) return signing_failed("CMS_add1_signer");
  BioPtr in(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
  if (CMS_final(cms.get(), in.get(), nullptr, CMS_DETACHED | CMS_BINARY) != 1)
    return signing_failed("CMS_final");
  CS_CHECK(resign_without_signing_time(si, identity.key.get()));
  if (tsa) CS_CHECK(add_signature_timestamp(si, tsa));
  unsigned char* der = nullptr;
  int n = i2d_CMS_ContentInfo(cms.get(), &der);
  if (n <= 0) return signing_failed("i2d_CMS_ContentInfo");
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
  OPENSSL_free(der);
  return out;
}

}  // namespace cs::seal
