#include "seal/verify.hpp"

#include <cctype>
#include <memory>
#include <span>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "seal/pades.hpp"
#include "store/blob_store.hpp"

namespace cs::seal {
namespace {

template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using CmsPtr = std::unique_ptr<CMS_ContentInfo, Deleter<CMS_ContentInfo, CMS_ContentInfo_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using StorePtr = std::unique_ptr<X509_STORE, Deleter<X509_STORE, X509_STORE_free>>;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The gap must be exactly "<hex>" and decode to what the dictionary's /Contents says.
bool gap_is_contents(std::string_view gap, const std::string& contents) {
  if (gap.size() < 2 || gap.front() != '<' || gap.back() != '>') return false;
  std::string hex;
  for (char c : gap.substr(1, gap.size() - 2)) {
    if (std::isspace(static_cast<unsigned char>(c))) continue;
    if (hex_value(c) < 0) return false;
    hex.push_back(c);
  }
  if (hex.size() % 2) hex.push_back('0');
  if (hex.size() / 2 != contents.size()) return false;
  for (std::size_t i = 0; i < contents.size(); ++i) {
    int b = hex_value(hex[2 * i]) * 16 + hex_value(hex[2 * i + 1]);
    if (static_cast<char>(b) != contents[i]) return false;
  }
  return true;
}

std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace

nlohmann::json VerifyReport::to_json() const {
  nlohmann::json j{{"ok", ok},
                   {"file_sha256", file_sha256},
                   {"file_size", file_size},
                   {"signatures", signatures},
                   {"sub_filter", sub_filter},
                   {"byte_range", byte_range},
                   {"covers_whole_file", covers_whole_file},
                   {"digest_matches", digest_matches},
                   {"chain_trusted", chain_trusted},
                   {"timestamped", timestamped},
                   {"signer", signer_subject}};
  if (!ok) j["reason"] = reason;
  if (record) {
    j["envelope_id"] = record->envelope_id;
    j["sealed_at"] = format_rfc3339(record->sealed_at);
    j["documents"] = record->documents;
  }
  return j;
}

VerifyReport verify_signature(std::string_view pdf, const std::vector<X509Ref>& trust_anchors) {
  VerifyReport r;
  r.file_size = pdf.size();
  r.file_sha256 = store::sha256_hex(bytes_of(pdf));
  auto sigs = find_signatures(pdf);
  if (!sigs) {
    r.reason = "The file is not a readable PDF";
    return r;
  }
  r.signatures = static_cast<int>(sigs->size());
  if (sigs->empty()) {
    r.reason = "The file carries no signature";
    return r;
  }
  const PdfSignature& sig = sigs->back();
  r.sub_filter = sig.sub_filter;
  r.byte_range = sig.byte_range;
  if (sig.sub_filter != "ETSI.CAdES.detached") {
    r.reason = "The signature is not a PAdES (ETSI.CAdES.detached) seal";
    return r;
  }
  const auto& br = sig.byte_range;
  auto size = static_cast<std::int64_t>(pdf.size());
  bool shaped = br.size() == 4 && br[0] == 0 && br[1] > 0 && br[2] > br[1] && br[3] >= 0 &&
                br[2] + br[3] <= size;
  if (!shaped || !gap_is_contents(pdf.substr(static_cast<std::size_t>(br[1]),
                                             static_cast<std::size_t>(br[2] - br[1])),
                                  sig.contents)) {
    r.reason = "The signature's /ByteRange does not leave out exactly its /Contents";
    return r;
  }
  r.covers_whole_file = br[2] + br[3] == size;
  if (!r.covers_whole_file) {
    r.reason = "The seal does not cover the whole file (bytes were added after sealing)";
    return r;
  }

  const auto* p = reinterpret_cast<const unsigned char*>(sig.contents.data());
  CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(sig.contents.size())));
  if (!cms || OBJ_obj2nid(CMS_get0_type(cms.get())) != NID_pkcs7_signed) {
    r.reason = "The signature's /Contents is not a CMS SignedData";
    ERR_clear_error();
    return r;
  }
  auto* signers = CMS_get0_SignerInfos(cms.get());
  if (sk_CMS_SignerInfo_num(signers) != 1) {
    r.reason = "The seal must have exactly one signer";
    return r;
  }
  CMS_SignerInfo* si = sk_CMS_SignerInfo_value(signers, 0);
  r.timestamped = CMS_unsigned_get_attr_by_NID(si, NID_id_smime_aa_timeStampToken, -1) >= 0;
  std::string covered =
      std::string(pdf.substr(0, static_cast<std::size_t>(br[1]))) +
      std::string(pdf.substr(static_cast<std::size_t>(br[2]), static_cast<std::size_t>(br[3])));

  // First the digest and signature value alone, then the chain: the reason names which failed.
  {
    BioPtr data(BIO_new_mem_buf(covered.data(), static_cast<int>(covered.size())));
    r.digest_matches = CMS_verify(cms.get(), nullptr, nullptr, data.get(), nullptr,
                                  CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY) == 1;
    ERR_clear_error();
  }
  STACK_OF(X509)* cms_certs = CMS_get1_certs(cms.get());
  X509* signer = nullptr;
  for (int i = 0; cms_certs && i < sk_X509_num(cms_certs); ++i) {
    if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(cms_certs, i)) == 0)
      signer = sk_X509_value(cms_certs, i);
  }
  if (signer) r.signer_subject = subject_line(signer);
  sk_X509_pop_free(cms_certs, X509_free);
  if (!r.digest_matches) {
    r.reason = "The signature does not match the document: it was changed after sealing";
    return r;
  }

  StorePtr store(X509_STORE_new());
  for (const auto& anchor : trust_anchors) X509_STORE_add_cert(store.get(), anchor.get());
  X509_STORE_set_purpose(store.get(), X509_PURPOSE_ANY);
  {
    BioPtr data(BIO_new_mem_buf(covered.data(), static_cast<int>(covered.size())));
    r.chain_trusted =
        !trust_anchors.empty() && CMS_verify(cms.get(), nullptr, store.get(), data.get(), nullptr,
                                             CMS_BINARY | CMS_CADES) == 1;
    ERR_clear_error();
  }
  if (!r.chain_trusted) {
    r.reason = "The seal was not issued by this deployment's sealing identity";
    return r;
  }
  r.ok = true;
  return r;
}

Result<VerifyReport> verify_sealed_pdf(std::string_view pdf,
                                       const std::vector<X509Ref>& trust_anchors,
                                       const SealLookup& lookup) {
  VerifyReport r = verify_signature(pdf, trust_anchors);
  if (!r.ok) return r;
  r.record = CS_TRY(lookup(r.file_sha256));
  if (!r.record) {
    r.ok = false;
    r.reason = "Countersign has no record of sealing a file with this SHA-256";
  }
  return r;
}

}  // namespace cs::seal
