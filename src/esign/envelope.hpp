// The envelope model of issue 4 §1 (close to DocuSign's, so partners' code maps over): an
// envelope holds documents, recipients (signers and carbon copies, in routing order) and the
// fields each signer fills. Validation and the state machine are pure functions here; the
// repository stores, the service orchestrates.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "esign/signing_service.hpp"

namespace cs::esign {

enum class EnvelopeStatus { created, sent, delivered, completed, declined, voided, expired };
enum class RecipientStatus { created, sent, delivered, completed, declined };
enum class RecipientType { signer, cc };
enum class FieldType { signature, initials, date_signed, full_name, text, checkbox };

std::string_view to_string(EnvelopeStatus s);
std::string_view to_string(RecipientStatus s);
std::string_view to_string(RecipientType t);
std::string_view to_string(FieldType t);
std::optional<EnvelopeStatus> parse_envelope_status(std::string_view s);
std::optional<RecipientStatus> parse_recipient_status(std::string_view s);
std::optional<RecipientType> parse_recipient_type(std::string_view s);
std::optional<FieldType> parse_field_type(std::string_view s);

inline constexpr int kMinRoutingOrder = 1;
inline constexpr int kMaxRoutingOrder = 99;
inline constexpr std::size_t kMaxDocuments = 20;
inline constexpr std::size_t kMaxRecipients = 50;
inline constexpr std::size_t kMaxFields = 1000;
inline constexpr std::size_t kMaxSubjectChars = 200;
inline constexpr std::size_t kMaxMessageChars = 10000;
inline constexpr std::size_t kMaxReasonChars = 500;
// DocuSign's default: an envelope sent without an expiry expires 120 days after sending.
inline constexpr Micros kDefaultExpiry = 120LL * 24 * 3600 * kMicrosPerSecond;

struct Document {
  std::string id;  // doc_...
  std::string ref;  // the caller's key, used by fields in the request
  std::string name;
  std::string sha256;
  std::int64_t size_bytes = 0;
  std::vector<PageSize> pages;
  int page_count() const { return static_cast<int>(pages.size()); }
};

struct Recipient {
  std::string id;  // rcp_...
  std::string ref;
  RecipientType type = RecipientType::signer;
  std::string name;
  std::string email;
  int routing_order = 1;
  std::optional<std::string> client_user_id;  // embedded (captive) signer: no emails
  RecipientStatus status = RecipientStatus::created;
  std::optional<Micros> sent_at, delivered_at, disclosure_accepted_at, completed_at, declined_at;
  std::optional<std::string> decline_reason;
  // Evidence of the ceremony (issue 4 §2: IP, user agent and time of each step).
  std::optional<std::string> delivered_ip, delivered_user_agent, disclosure_ip, disclosure_user_agent;
  std::optional<std::string> acted_ip, acted_user_agent;  // finish or decline
  std::optional<std::string> signature_kind, signature_text, signature_sha256, initials;
};

struct Field {
  std::string id;  // fld_...
  std::string document_id;
  std::string recipient_id;
  FieldType type = FieldType::signature;
  int page = 1;
  double x = 0, y = 0, width = 0, height = 0;  // points from the displayed page's top-left
  bool required = true;
  std::optional<std::string> value;
};

struct Envelope {
  std::string id;  // env_...
  std::string account_id;
  std::string sender_user_id;
  std::optional<std::string> app_id;
  EnvelopeStatus status = EnvelopeStatus::created;
  std::string email_subject;
  std::string email_message;
  std::optional<Micros> expires_at;
  std::optional<std::string> status_reason;
  std::int64_t version = 0;
  Micros created_at = 0, updated_at = 0;
  std::optional<Micros> sent_at, delivered_at, completed_at, finished_at;
  std::vector<Document> documents;
  std::vector<Recipient> recipients;
  std::vector<Field> fields;

  const Recipient* recipient(std::string_view id) const;
  const Document* document(std::string_view id) const;
};

// --- what a create or draft update asks for (refs instead of ids) ---

struct NewDocument {
  std::string ref;
  std::string name;
  std::string bytes;  // the PDF
};

struct NewRecipient {
  std::string ref;
  RecipientType type = RecipientType::signer;
  std::string name;
  std::string email;
  int routing_order = 1;
  std::optional<std::string> client_user_id;
};

struct NewField {
  std::string document_ref;
  std::string recipient_ref;
  FieldType type = FieldType::signature;
  int page = 1;
  double x = 0, y = 0, width = 0, height = 0;
  bool required = true;
};

// Turns requested recipients and fields into model rows against `documents` (already
// inspected, with refs), assigning new ids. validation_failed with a JSON-pointer field
// ("recipients/1/email", "fields/0/page") for: names, emails, routing order out of 1..99,
// duplicate refs, the same email twice in one routing order, fields on a missing document or
// page, off the page, assigned to an unknown recipient or to a cc.
struct RecipientsAndFields {
  std::vector<Recipient> recipients;
  std::vector<Field> fields;
};
Result<RecipientsAndFields> build_recipients_and_fields(const std::vector<Document>& documents,
                                                        const std::vector<NewRecipient>& recipients,
                                                        const std::vector<NewField>& fields);

Result<std::string> validate_subject(std::string_view subject);
Result<std::string> validate_message(std::string_view message);
// 1..kMaxReasonChars characters after trimming, valid UTF-8.
Result<std::string> validate_reason(std::string_view reason, std::string_view field);
// Must lie in the future (now < expires_at), at most 3 years ahead.
Status validate_expiry(Micros expires_at, Micros now);

// Send rule: at least one signer, and every signer has at least one signature field.
Status check_sendable(const Envelope& env);

// --- state machine (issue 4 §1) ---
// created -> sent -> delivered -> completed; sent|delivered -> declined|voided|expired.
bool can_transition(EnvelopeStatus from, EnvelopeStatus to);
bool is_final(EnvelopeStatus s);  // completed, declined, voided, expired
// invalid_state naming the current status unless `from -> to` is allowed.
Status require_transition(EnvelopeStatus from, EnvelopeStatus to);

// Routing (DocuSign semantics): the active routing order is the lowest order that still has a
// signer who has not completed. Recipients at or below it that were never notified are due now
// (signers to sign, carbon copies for information). nullopt: every signer has completed.
std::optional<int> active_routing_order(const std::vector<Recipient>& recipients);
std::vector<std::size_t> recipients_due(const std::vector<Recipient>& recipients);

// Initials from a name: the first letter of each of up to three words, upper-cased ("Ada
// Lovelace" -> "AL").
std::string initials_of(std::string_view name);

}  // namespace cs::esign
