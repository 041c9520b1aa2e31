// SQL for envelopes and their children (migration 0005_esign.sql), on the caller's connection
// so that every write joins the caller's transaction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "esign/envelope.hpp"
#include "store/database.hpp"

namespace cs::esign {

struct SigningLink {
  std::string id;
  std::string envelope_id;
  std::string recipient_id;
  std::string kind;  // email | embedded
  std::optional<Micros> expires_at;
};

struct EmbeddedView {
  std::string id;
  std::string envelope_id;
  std::string recipient_id;
  std::string return_url;
  Micros expires_at = 0;
  std::optional<Micros> used_at;
};

struct ListFilter {
  std::optional<EnvelopeStatus> status;
  std::optional<Micros> created_from, created_to, updated_from, updated_to;
  // Keyset position: items strictly after (updated_at, id).
  std::optional<std::pair<Micros, std::string>> after;
  int limit = 50;
};

namespace repo {

Status insert_envelope(store::Connection& conn, const Envelope& env);
// With documents, recipients and fields. `account_id` empty: unscoped (signing tokens, jobs,
// which already hold the envelope id from a verified source). `lock`: on PostgreSQL the row is
// taken FOR UPDATE, so concurrent transitions of one envelope serialise (SQLite's BEGIN
// IMMEDIATE already does).
Result<std::optional<Envelope>> load_envelope(store::Connection& conn, std::string_view account_id,
                                              std::string_view id, bool lock);
// Writes the envelope row's mutable columns and bumps its version.
Status update_envelope(store::Connection& conn, Envelope& env);
Status update_recipient(store::Connection& conn, const Recipient& r);
Status update_field_value(store::Connection& conn, const Field& f, Micros at);
// Draft update: replaces every recipient and field.
Status replace_recipients_and_fields(store::Connection& conn, const Envelope& env);
// Envelope rows only (no children), ordered by (updated_at, id); at most filter.limit + 1 rows
// so the caller knows whether there is a next page.
Result<std::vector<Envelope>> list_envelopes(store::Connection& conn, std::string_view account_id,
                                             const ListFilter& filter);

Status insert_signing_link(store::Connection& conn, const SigningLink& link, std::string_view token_hash, Micros now);
Result<std::optional<SigningLink>> find_signing_link(store::Connection& conn, std::string_view token_hash);
// The return_url of the embedded view most recently redeemed for this recipient (the one an
// embedded signing link was minted from); nullopt when there is none.
Result<std::optional<std::string>> redeemed_view_return_url(store::Connection& conn, std::string_view recipient_id);
Status insert_embedded_view(store::Connection& conn, const EmbeddedView& view, std::string_view token_hash, Micros now);
Result<std::optional<EmbeddedView>> find_embedded_view(store::Connection& conn, std::string_view token_hash);
// Conditional: answers false when the view was already used (single use, even under races).
Result<bool> mark_embedded_view_used(store::Connection& conn, std::string_view id, Micros at);

}  // namespace repo
}  // namespace cs::esign
