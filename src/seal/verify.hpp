// Offline verification of a sealed document (issue 7, `countersign verify FILE.pdf`).
//
// A file passes when all of these hold for its newest signature:
//   - /SubFilter is ETSI.CAdES.detached and /ByteRange is [0 a b c] with b + c = the file size,
//     the gap [a, b) being exactly the /Contents hex string (nothing else left unsigned);
//   - the CMS signature verifies over those bytes (message digest and signature value), its
//     ESS signing-certificate-v2 names the signer, and the signer chains to this deployment's
//     trust anchors (the Countersign CA or the configured PKCS#12's root);
//   - the file's SHA-256 is one Countersign recorded when it sealed an envelope.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "seal/seal_service.hpp"
#include "seal/signing_identity.hpp"

namespace cs::seal {

struct VerifyReport {
  bool ok = false;
  std::string reason;  // why not, when !ok
  std::string file_sha256;
  std::size_t file_size = 0;
  int signatures = 0;
  std::string sub_filter;
  std::vector<std::int64_t> byte_range;
  bool covers_whole_file = false;
  bool digest_matches = false;  // message digest and signature value
  bool chain_trusted = false;   // the signer chains to a trust anchor
  bool timestamped = false;
  std::string signer_subject;
  std::optional<SealRecord> record;  // what Countersign recorded for this file

  nlohmann::json to_json() const;
};

// The signature checks alone (no database): everything but the record lookup.
VerifyReport verify_signature(std::string_view pdf, const std::vector<X509Ref>& trust_anchors);

using SealLookup = std::function<Result<std::optional<SealRecord>>(std::string_view sha256_hex)>;

// verify_signature plus the record: the file must be one this deployment sealed. Errors only
// when the lookup itself fails (database unreachable).
Result<VerifyReport> verify_sealed_pdf(std::string_view pdf,
                                       const std::vector<X509Ref>& trust_anchors,
                                       const SealLookup& lookup);

}  // namespace cs::seal
