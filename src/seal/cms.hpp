// The CMS half of the PAdES seal (issue 7): a detached CAdES SignedData over the PDF's byte
// ranges, built with OpenSSL 3.
//
// PAdES baseline B-B (ETSI EN 319 142-1, with CAdES EN 319 122-1) fixes the signed attributes:
// content-type and message-digest (CMS), and ESS signing-certificate-v2 (SHA-256 of the signer
// certificate; OpenSSL's CMS_CADES flag adds it). The claimed signing time lives in the PDF
// signature dictionary's /M entry, and the CMS signing-time attribute SHALL NOT be present.
// OpenSSL always adds signing-time when it signs, so the builder removes it and signs the
// remaining attributes again itself (DER SET OF, sorted, exactly as OpenSSL re-encodes them).
//
// An optional RFC 3161 signature time-stamp (B-T) is added as the unsigned attribute
// id-aa-signatureTimeStampToken over the signature value.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "seal/signing_identity.hpp"

namespace cs::seal {

// Sends a DER TimeStampReq and answers the DER TimeStampResp (tsa_client.hpp has the HTTP one).
using TimestampFetcher = std::function<Result<std::string>(std::string_view request_der)>;

// DER ContentInfo(SignedData) over `data`, detached. `tsa` may be empty (no time-stamp).
Result<std::string> sign_cades_detached(std::string_view data, const SigningIdentity& identity,
                                        const TimestampFetcher& tsa = {});

}  // namespace cs::seal
