// The signing ceremony (issue 4 §2), as the web pages see it. A signer holds a signing-link
// token: the emailed `/sign/{token}` link (one per recipient, expires with the envelope) or one
// minted when an embedded view URL is redeemed. Tokens are stored only as hashes.
//
// Every step records the signer's IP, user agent and time (recipient columns plus a domain event),
// so the certificate of completion (issue 7) can show them.
//
// Errors the pages map to screens:
//   not_found     unknown or malformed token, or a document id not in the envelope
//   link_expired  the envelope is voided, expired, declined or completed, or the link has expired
//   invalid_state the recipient already signed or declined, or it is not yet their routing turn,
//                 or finish() before accept_disclosure()
//   validation_failed  a required field without a value, a value of the wrong kind, a bad
//                 signature image (field() names it)
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/error.hpp"

namespace cs::esign {

// Who is acting in the browser: recorded with each step.
struct SignerContext {
  std::string ip;
  std::string user_agent;
};

struct PageSize {
  double width = 0;   // PDF points, after /Rotate is applied (as the signer sees the page)
  double height = 0;
};

struct SigningDocument {
  std::string id;  // doc_...
  std::string name;
  int page_count = 0;
  std::vector<PageSize> pages;
};

// A field assigned to this signer. Coordinates are PDF points from the page's top-left corner
// (x right, y down) as the page is displayed, which is what the browser overlay needs.
struct SigningField {
  std::string id;  // fld_...
  std::string document_id;
  std::string type;  // signature | initials | date_signed | full_name | text | checkbox
  int page = 1;      // 1-based
  double x = 0, y = 0, width = 0, height = 0;
  bool required = true;
  std::optional<std::string> value;  // once completed
};

struct SigningSession {
  std::string envelope_id;
  std::string envelope_status;
  std::string email_subject;
  std::string email_message;
  std::string sender_name;
  std::string sender_email;
  std::string recipient_id;
  std::string recipient_name;
  std::string recipient_email;
  std::string recipient_status;  // created | sent | delivered | completed | declined
  bool disclosure_accepted = false;
  bool can_act = false;  // true while this recipient may still finish or decline
  std::vector<SigningDocument> documents;
  std::vector<SigningField> fields;  // this signer's fields, in signing order (document, page, y, x)
};

struct FieldValue {
  std::string field_id;
  std::string value;  // text: the text; checkbox: "true" or "false"
};

// The signature the signer adopted. `drawn`: a PNG from signature_pad (at most 512 KiB, checked
// to be a real PNG); `typed`: the name typed (1..100 characters). Initials fields get
// `initials` when given, else the initials derived from the typed or recipient name.
struct AdoptedSignature {
  enum class Kind { typed, drawn } kind = Kind::typed;
  std::string typed_name;
  std::string png;  // raw PNG bytes (not base64)
  std::string initials;
};

class SigningService {
 public:
  virtual ~SigningService() = default;

  // Resolves a signing-link token. The first open marks the recipient (and, for the first
  // recipient, the envelope) `delivered`, with events.
  virtual Result<SigningSession> open(std::string_view token, const SignerContext& who) = 0;
  // Records acceptance of the electronic records and signatures disclosure (idempotent).
  virtual Status accept_disclosure(std::string_view token, const SignerContext& who) = 0;
  // The original PDF bytes of one document of the token's envelope (for pdf.js).
  virtual Result<std::string> document_pdf(std::string_view token, std::string_view document_id) = 0;
  // Completes this recipient's part: every required field of theirs needs a value (signature,
  // initials, date_signed and full_name are filled by the server). Moves the routing on, and
  // completes the envelope when the last signer finishes.
  virtual Status finish(std::string_view token, const AdoptedSignature& signature,
                        const std::vector<FieldValue>& values, const SignerContext& who) = 0;
  // Declines with a reason (1..500 characters); the envelope becomes `declined`.
  virtual Status decline(std::string_view token, std::string_view reason, const SignerContext& who) = 0;
  // Redeems a one-time embedded view token (cs_ev_..., valid 5 minutes, single use) and answers
  // a fresh signing-link token for that recipient, valid for 30 minutes (the page redirects to
  // /sign/{token}). not_found for unknown tokens; link_expired when used or past its time.
  virtual Result<std::string> redeem_embedded_view(std::string_view view_token, const SignerContext& who) = 0;
  // Where the signer goes back to after finishing or declining: the `return_url` the app gave
  // for the embedded view this link was minted from (the page appends `event=signing_complete`
  // or `event=decline`, as DocuSign's embedded signing does); nullopt for emailed links. Answers
  // for a known link whatever the envelope's state, since it is read just before the step that
  // ends the link. not_found for unknown tokens.
  virtual Result<std::optional<std::string>> return_url(std::string_view token) = 0;
};

}  // namespace cs::esign
