#include "esign/envelope.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <set>
#include <utility>

#include "core/ids.hpp"
#include "core/utf8.hpp"
#include "identity/validation.hpp"

namespace cs::esign {

namespace {

template <class E, std::size_t N>
std::optional<E> parse_enum(std::string_view s, const std::pair<E, std::string_view> (&table)[N]) {
  for (const auto& [e, name] : table) {
    if (name == s) return e;
  }
  return std::nullopt;
}
template <class E, std::size_t N>
std::string_view enum_name(E e, const std::pair<E, std::string_view> (&table)[N]) {
  for (const auto& [v, name] : table) {
    if (v == e) return name;
  }
  return "unknown";
}

constexpr std::pair<EnvelopeStatus, std::string_view> kEnvelopeStatuses[] = {
    {EnvelopeStatus::created, "created"},     {EnvelopeStatus::sent, "sent"},
    {EnvelopeStatus::delivered, "delivered"}, {EnvelopeStatus::completed, "completed"},
    {EnvelopeStatus::declined, "declined"},   {EnvelopeStatus::voided, "voided"},
    {EnvelopeStatus::expired, "expired"}};
constexpr std::pair<RecipientStatus, std::string_view> kRecipientStatuses[] = {
    {RecipientStatus::created, "created"},     {RecipientStatus::sent, "sent"},
    {RecipientStatus::delivered, "delivered"}, {RecipientStatus::completed, "completed"},
    {RecipientStatus::declined, "declined"}};
constexpr std::pair<RecipientType, std::string_view> kRecipientTypes[] = {{RecipientType::signer, "signer"},
                                                                          {RecipientType::cc, "cc"}};
constexpr std::pair<FieldType, std::string_view> kFieldTypes[] = {
    {FieldType::signature, "signature"},     {FieldType::initials, "initials"}, {FieldType::date_signed, "date_signed"},
    {FieldType::full_name, "full_name"},     {FieldType::text, "text"},         {FieldType::checkbox, "checkbox"}};

Error invalid(std::string message, std::string field) {
  return Error(Errc::validation_failed, std::move(message)).with_field(std::move(field));
}

std::size_t code_points(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

bool has_control(std::string_view s, bool allow_newlines) {
  for (unsigned char c : s) {
    if (allow_newlines && (c == '\n' || c == '\r' || c == '\t')) continue;
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

// Tolerance for clients that compute positions in floating point (1/1000 pt).
constexpr double kEpsilon = 1e-3;

}  // namespace

std::string_view to_string(EnvelopeStatus s) { return enum_name(s, kEnvelopeStatuses); }
std::string_view to_string(RecipientStatus s) { return enum_name(s, kRecipientStatuses); }
std::string_view to_string(RecipientType t) { return enum_name(t, kRecipientTypes); }
std::string_view to_string(FieldType t) { return enum_name(t, kFieldTypes); }
std::optional<EnvelopeStatus> parse_envelope_status(std::string_view s) { return parse_enum(s, kEnvelopeStatuses); }
std::optional<RecipientStatus> parse_recipient_status(std::string_view s) { return parse_enum(s, kRecipientStatuses); }
std::optional<RecipientType> parse_recipient_type(std::string_view s) { return parse_enum(s, kRecipientTypes); }
std::optional<FieldType> parse_field_type(std::string_view s) { return parse_enum(s, kFieldTypes); }

const Recipient* Envelope::recipient(std::string_view rid) const {
  for (const auto& r : recipients) {
    if (r.id == rid) return &r;
  }
  return nullptr;
}

const Document* Envelope::document(std::string_view did) const {
  for (const auto& d : documents) {
    if (d.id == did) return &d;
  }
  return nullptr;
}

Result<std::string> validate_subject(std::string_view subject) {
  std::string s = trim(subject);
  if (s.empty() || !is_valid_utf8(s) || has_control(s, false) || code_points(s) > kMaxSubjectChars) {
    return fail(invalid("email_subject must be 1 to 200 characters of text without control characters", "email_subject"));
  }
  return s;
}

Result<std::string> validate_message(std::string_view message) {
  if (!is_valid_utf8(message) || has_control(message, true) || code_points(message) > kMaxMessageChars) {
    return fail(invalid("email_message must be at most 10000 characters of text", "email_message"));
  }
  return std::string(message);
}

Result<std::string> validate_reason(std::string_view reason, std::string_view field) {
  std::string s = trim(reason);
  if (s.empty() || !is_valid_utf8(s) || has_control(s, true) || code_points(s) > kMaxReasonChars) {
    return fail(invalid(std::string(field) + " must be 1 to 500 characters", std::string(field)));
  }
  return s;
}

Status validate_expiry(Micros expires_at, Micros now) {
  constexpr Micros kMaxAhead = 3LL * 366 * 24 * 3600 * kMicrosPerSecond;
  if (expires_at <= now) return fail(invalid("expires_at must lie in the future", "expires_at"));
  if (expires_at > now + kMaxAhead) return fail(invalid("expires_at must be within 3 years", "expires_at"));
  return {};
}

Result<RecipientsAndFields> build_recipients_and_fields(const std::vector<Document>& documents,
                                                        const std::vector<NewRecipient>& recipients,
                                                        const std::vector<NewField>& fields) {
  if (recipients.size() > kMaxRecipients) return fail(invalid("At most 50 recipients per envelope", "recipients"));
  if (fields.size() > kMaxFields) return fail(invalid("At most 1000 fields per envelope", "fields"));
  RecipientsAndFields out;
  std::map<std::string, std::size_t> by_ref;
  std::set<std::pair<int, std::string>> emails_per_order;
  std::set<std::string> client_user_ids;
  for (std::size_t i = 0; i < recipients.size(); ++i) {
    const auto& in = recipients[i];
    std::string at = "recipients/" + std::to_string(i);
    Recipient r;
    r.id = new_id("rcp");
    r.ref = in.ref.empty() ? std::to_string(i + 1) : in.ref;
    if (r.ref.size() > 100 || !is_valid_utf8(r.ref) || has_control(r.ref, false)) {
      return fail(invalid("ref must be at most 100 characters", at + "/ref"));
    }
    if (!by_ref.emplace(r.ref, i).second) return fail(invalid("Two recipients have the same ref", at + "/ref"));
    r.type = in.type;
    auto name = identity::validate_display_name(in.name, "name");
    if (!name) return fail(invalid(name.error().message(), at + "/name"));
    r.name = *name;
    auto email = identity::validate_email(in.email);
    if (!email) return fail(invalid("email is not a valid e-mail address", at + "/email"));
    r.email = *email;
    if (in.routing_order < kMinRoutingOrder || in.routing_order > kMaxRoutingOrder) {
      return fail(invalid("routing_order must be from 1 to 99", at + "/routing_order"));
    }
    r.routing_order = in.routing_order;
    // DocuSign refuses the same address twice in one routing order: the recipient could not
    // tell which of their two links is which, and parallel signing would race.
    if (!emails_per_order.emplace(r.routing_order, r.email).second) {
      return fail(invalid("The same email appears twice in routing order " + std::to_string(r.routing_order),
                          at + "/email"));
    }
    if (in.client_user_id) {
      const auto& cu = *in.client_user_id;
      if (cu.empty() || cu.size() > 100 || !is_valid_utf8(cu) || has_control(cu, false)) {
        return fail(invalid("client_user_id must be 1 to 100 characters", at + "/client_user_id"));
      }
      if (r.type != RecipientType::signer) {
        return fail(invalid("Only signers can sign embedded (client_user_id)", at + "/client_user_id"));
      }
      if (!client_user_ids.insert(cu).second) {
        return fail(invalid("Two recipients have the same client_user_id", at + "/client_user_id"));
      }
      r.client_user_id = cu;
    }
    out.recipients.push_back(std::move(r));
  }

  std::map<std::string, const Document*> docs_by_ref;
  for (const auto& d : documents) docs_by_ref.emplace(d.ref, &d);
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const auto& in = fields[i];
    std::string at = "fields/" + std::to_string(i);
    const Document* doc = nullptr;
    if (in.document_ref.empty() && documents.size() == 1) {
      doc = &documents.front();
    } else if (auto it = docs_by_ref.find(in.document_ref); it != docs_by_ref.end()) {
      doc = it->second;
    }
    if (!doc) return fail(invalid("The field's document does not exist in this envelope", at + "/document"));
    auto rit = by_ref.find(in.recipient_ref);
    if (rit == by_ref.end()) return fail(invalid("The field's recipient does not exist in this envelope", at + "/recipient"));
    const Recipient& owner = out.recipients[rit->second];
    if (owner.type != RecipientType::signer) {
      return fail(invalid("Fields can only be assigned to signers, not to a cc", at + "/recipient"));
    }
    if (in.page < 1 || in.page > doc->page_count()) {
      return fail(invalid("The document has no page " + std::to_string(in.page), at + "/page"));
    }
    const PageSize& size = doc->pages[static_cast<std::size_t>(in.page - 1)];
    bool finite = std::isfinite(in.x) && std::isfinite(in.y) && std::isfinite(in.width) && std::isfinite(in.height);
    if (!finite || in.width <= 0 || in.height <= 0) {
      return fail(invalid("width and height must be positive numbers of points", at));
    }
    if (in.x < 0 || in.y < 0 || in.x + in.width > size.width + kEpsilon || in.y + in.height > size.height + kEpsilon) {
      return fail(invalid("The field lies (partly) off the page", at));
    }
    Field f;
    f.id = new_id("fld");
    f.document_id = doc->id;
    f.recipient_id = owner.id;
    f.type = in.type;
    f.page = in.page;
    f.x = in.x;
    f.y = in.y;
    f.width = in.width;
    f.height = in.height;
    f.required = in.required;
    out.fields.push_back(std::move(f));
  }
  return out;
}

Status check_sendable(const Envelope& env) {
  if (env.documents.empty()) return fail(invalid("An envelope needs at least one document to be sent", "documents"));
  bool any_signer = false;
  for (std::size_t i = 0; i < env.recipients.size(); ++i) {
    const auto& r = env.recipients[i];
    if (r.type != RecipientType::signer) continue;
    any_signer = true;
    bool has_signature = std::any_of(env.fields.begin(), env.fields.end(), [&](const Field& f) {
      return f.recipient_id == r.id && f.type == FieldType::signature;
    });
    if (!has_signature) {
      return fail(invalid("Every signer needs at least one signature field", "recipients/" + std::to_string(i)));
    }
  }
  if (!any_signer) return fail(invalid("An envelope needs at least one signer to be sent", "recipients"));
  return {};
}

bool can_transition(EnvelopeStatus from, EnvelopeStatus to) {
  using S = EnvelopeStatus;
  switch (from) {
    case S::created:
      return to == S::sent;
    case S::sent:
      return to == S::delivered || to == S::completed || to == S::declined || to == S::voided || to == S::expired;
    case S::delivered:
      return to == S::completed || to == S::declined || to == S::voided || to == S::expired;
    default:
      return false;
  }
}

bool is_final(EnvelopeStatus s) {
  return s == EnvelopeStatus::completed || s == EnvelopeStatus::declined || s == EnvelopeStatus::voided ||
         s == EnvelopeStatus::expired;
}

Status require_transition(EnvelopeStatus from, EnvelopeStatus to) {
  if (can_transition(from, to)) return {};
  return fail(Errc::invalid_state, "The envelope is " + std::string(to_string(from)) + "; it cannot become " +
                                       std::string(to_string(to)));
}

std::optional<int> active_routing_order(const std::vector<Recipient>& recipients) {
  std::optional<int> order;
  for (const auto& r : recipients) {
    if (r.type != RecipientType::signer || r.status == RecipientStatus::completed) continue;
    if (!order || r.routing_order < *order) order = r.routing_order;
  }
  return order;
}

std::vector<std::size_t> recipients_due(const std::vector<Recipient>& recipients) {
  auto order = active_routing_order(recipients);
  std::vector<std::size_t> due;
  if (!order) return due;
  for (std::size_t i = 0; i < recipients.size(); ++i) {
    const auto& r = recipients[i];
    if (r.status == RecipientStatus::created && r.routing_order <= *order) due.push_back(i);
  }
  return due;
}

std::string initials_of(std::string_view name) {
  std::string out;
  bool at_word_start = true;
  for (std::size_t i = 0; i < name.size() && out.size() < 12; ++i) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    if (c == ' ' || c == '-' || c == '\t') {
      at_word_start = true;
      continue;
    }
    if (at_word_start) {
      // Keep a whole UTF-8 sequence; upper-case ASCII only (no locale games).
      std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : 4;
      std::string part(name.substr(i, len));
      if (len == 1) part[0] = static_cast<char>(std::toupper(c));
      out += part;
      at_word_start = false;
      if (code_points(out) == 3) break;
    }
  }
  return out;
}

}  // namespace cs::esign
