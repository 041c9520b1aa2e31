// The platform's sealing identity (issue 7): the key and certificate chain that sign completed
// envelopes, and the trust anchors `countersign verify` checks a seal against.
//
// Two sources:
//   - Countersign's own CA (the default). On first use a CA (EC P-256, 20 years) and a sealing
//     certificate issued by it (EC P-256, 10 years, keyUsage digitalSignature + nonRepudiation)
//     are created and stored in `seal_identities` (migration 0014); both private keys are
//     FieldCipher ciphertexts bound to their table, column and row. Creation is race-safe across
//     processes: every process inserts with ON CONFLICT DO NOTHING and then reads the one row
//     that won.
//   - An operator's PKCS#12 file (`seal.pkcs12_file`), its password in the environment variable
//     COUNTERSIGN_SEAL_PKCS12_PASSWORD (never in the configuration file, never logged). The
//     bundle's certificates form the chain; its self-signed certificates are the trust anchors.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/types.h>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "crypto/field_cipher.hpp"
#include "store/database.hpp"

namespace cs::seal {

inline constexpr std::string_view kPkcs12PasswordEnv = "COUNTERSIGN_SEAL_PKCS12_PASSWORD";
inline constexpr std::string_view kIdentityRowId = "countersign";

using X509Ref = std::shared_ptr<X509>;
using KeyRef = std::shared_ptr<EVP_PKEY>;

struct SigningIdentity {
  KeyRef key;
  X509Ref certificate;
  std::vector<X509Ref> chain;  // certificates embedded next to the signer's (CA, intermediates)
  std::vector<X509Ref> trust_anchors;  // what a seal must chain to
  std::string source;                  // "countersign_ca" | "pkcs12"
  std::string subject;                 // the signer certificate's subject, one line
};

// Reads the Countersign CA identity, creating it on first use. `clock` stamps the certificates'
// validity and the row.
Result<SigningIdentity> load_or_create_ca_identity(store::Database& db,
                                                   const crypto::FieldCipher& cipher,
                                                   const Clock& clock);

// Opens a PKCS#12 bundle. Errc::invalid_request with a clear message when the file cannot be
// read, the password is wrong, or it holds no private key with its certificate.
Result<SigningIdentity> load_pkcs12_identity(const std::filesystem::path& file,
                                             std::string_view password);

// The identity `seal.pkcs12_file` selects: the PKCS#12 (password from kPkcs12PasswordEnv) when
// set, otherwise Countersign's CA.
Result<SigningIdentity> resolve_identity(store::Database& db, const crypto::FieldCipher& cipher,
                                         const Clock& clock,
                                         const std::filesystem::path& pkcs12_file);

// The trust anchors for offline verification: the PKCS#12's self-signed certificates when
// configured, else the stored Countersign CA certificate (no private key is decrypted).
// Errc::not_found when this deployment has no sealing identity yet.
Result<std::vector<X509Ref>> deployment_trust_anchors(store::Database& db,
                                                      const std::filesystem::path& pkcs12_file);

// PEM helpers shared with tests and the verifier.
std::string certificate_pem(X509* cert);
Result<X509Ref> parse_certificate_pem(std::string_view pem);
std::string subject_line(X509* cert);

}  // namespace cs::seal
