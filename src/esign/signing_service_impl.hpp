// SigningService (the ceremony contract in signing_service.hpp) on the envelope tables. Each
// step locks the envelope row (FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE serialises)
// so that two signers finishing at once cannot both miss, or both claim, the completion.
#pragma once

#include "esign/envelope_service.hpp"
#include "esign/signing_service.hpp"

namespace cs::esign {

inline constexpr std::size_t kMaxSignaturePngBytes = 512 * 1024;
inline constexpr std::size_t kMaxTextValueChars = 4000;

class SigningServiceImpl final : public SigningService {
 public:
  // Shares the deps (and so the public URL) of the envelope service.
  explicit SigningServiceImpl(const EnvelopeService& envelopes) : envelopes_(envelopes) {}

  Result<SigningSession> open(std::string_view token, const SignerContext& who) override;
  Status accept_disclosure(std::string_view token, const SignerContext& who) override;
  Result<std::string> document_pdf(std::string_view token, std::string_view document_id) override;
  Status finish(std::string_view token, const AdoptedSignature& signature, const std::vector<FieldValue>& values,
                const SignerContext& who) override;
  Status decline(std::string_view token, std::string_view reason, const SignerContext& who) override;
  Result<std::string> redeem_embedded_view(std::string_view view_token, const SignerContext& who) override;
  Result<std::optional<std::string>> return_url(std::string_view token) override;

 private:
  const EsignDeps& deps() const { return envelopes_.deps(); }
  const EnvelopeService& envelopes_;
};

// True for bytes that carry the PNG signature, an IHDR chunk first and an IEND chunk last.
bool looks_like_png(std::string_view bytes);

}  // namespace cs::esign
