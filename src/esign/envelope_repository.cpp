#include "esign/envelope_repository.hpp"

#include <nlohmann/json.hpp>

#include "store/params.hpp"

namespace cs::esign::repo {

namespace {

using store::Value;

Value opt(const std::optional<std::string>& s) { return s ? Value(*s) : Value(nullptr); }
Value opt(const std::optional<Micros>& t) { return t ? Value(*t) : Value(nullptr); }

std::string pages_json(const std::vector<PageSize>& pages) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& p : pages) a.push_back({p.width, p.height});
  return a.dump();
}

std::vector<PageSize> parse_pages(const std::string& text) {
  std::vector<PageSize> out;
  auto a = nlohmann::json::parse(text, nullptr, false);
  if (!a.is_array()) return out;
  for (const auto& p : a) out.push_back({p.at(0).get<double>(), p.at(1).get<double>()});
  return out;
}

constexpr std::string_view kEnvelopeColumns =
    "id, account_id, sender_user_id, app_id, status, email_subject, email_message, expires_at, status_reason, "
    "version, created_at, updated_at, sent_at, delivered_at, completed_at, finished_at";

Envelope envelope_from_row(const store::Row& r) {
  Envelope e;
  e.id = r.text(0);
  e.account_id = r.text(1);
  e.sender_user_id = r.text(2);
  e.app_id = r.opt_text(3);
  e.status = parse_envelope_status(r.text(4)).value_or(EnvelopeStatus::created);
  e.email_subject = r.text(5);
  e.email_message = r.text(6);
  e.expires_at = r.opt_int64(7);
  e.status_reason = r.opt_text(8);
  e.version = r.int64(9);
  e.created_at = r.int64(10);
  e.updated_at = r.int64(11);
  e.sent_at = r.opt_int64(12);
  e.delivered_at = r.opt_int64(13);
  e.completed_at = r.opt_int64(14);
  e.finished_at = r.opt_int64(15);
  return e;
}

constexpr std::string_view kRecipientColumns =
    "id, ref, type, name, email, routing_order, client_user_id, status, sent_at, delivered_at, "
    "disclosure_accepted_at, completed_at, declined_at, decline_reason, delivered_ip, delivered_user_agent, "
    "disclosure_ip, disclosure_user_agent, acted_ip, acted_user_agent, signature_kind, signature_text, "
    "signature_sha256, initials";

Recipient recipient_from_row(const store::Row& r) {
  Recipient x;
  x.id = r.text(0);
  x.ref = r.text(1);
  x.type = parse_recipient_type(r.text(2)).value_or(RecipientType::signer);
  x.name = r.text(3);
  x.email = r.text(4);
  x.routing_order = static_cast<int>(r.int64(5));
  x.client_user_id = r.opt_text(6);
  x.status = parse_recipient_status(r.text(7)).value_or(RecipientStatus::created);
  x.sent_at = r.opt_int64(8);
  x.delivered_at = r.opt_int64(9);
  x.disclosure_accepted_at = r.opt_int64(10);
  x.completed_at = r.opt_int64(11);
  x.declined_at = r.opt_int64(12);
  x.decline_reason = r.opt_text(13);
  x.delivered_ip = r.opt_text(14);
  x.delivered_user_agent = r.opt_text(15);
  x.disclosure_ip = r.opt_text(16);
  x.disclosure_user_agent = r.opt_text(17);
  x.acted_ip = r.opt_text(18);
  x.acted_user_agent = r.opt_text(19);
  x.signature_kind = r.opt_text(20);
  x.signature_text = r.opt_text(21);
  x.signature_sha256 = r.opt_text(22);
  x.initials = r.opt_text(23);
  return x;
}

Status insert_recipients_and_fields(store::Connection& conn, const Envelope& env) {
  for (std::size_t i = 0; i < env.recipients.size(); ++i) {
    const auto& r = env.recipients[i];
    std::vector<Value> p{r.id, env.id, static_cast<std::int64_t>(i), r.ref, std::string(to_string(r.type)), r.name,
                         r.email, std::int64_t{r.routing_order}, opt(r.client_user_id), std::string(to_string(r.status))};
    CS_TRY(conn.exec("INSERT INTO envelope_recipients (id, envelope_id, position, ref, type, name, email, routing_order, "
                     "client_user_id, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                     p));
  }
  for (std::size_t i = 0; i < env.fields.size(); ++i) {
    const auto& f = env.fields[i];
    std::vector<Value> p{f.id, env.id, f.document_id, f.recipient_id, static_cast<std::int64_t>(i),
                         std::string(to_string(f.type)), std::int64_t{f.page}, f.x, f.y, f.width, f.height,
                         std::int64_t{f.required ? 1 : 0}};
    CS_TRY(conn.exec("INSERT INTO envelope_fields (id, envelope_id, document_id, recipient_id, position, type, page, "
                     "x, y, width, height, required) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                     p));
  }
  return {};
}

}  // namespace

Status insert_envelope(store::Connection& conn, const Envelope& env) {
  std::vector<Value> p{env.id, env.account_id, env.sender_user_id, opt(env.app_id), std::string(to_string(env.status)),
                       env.email_subject, env.email_message, opt(env.expires_at), opt(env.status_reason), env.version,
                       env.created_at, env.updated_at, opt(env.sent_at), opt(env.delivered_at), opt(env.completed_at),
                       opt(env.finished_at)};
  CS_TRY(conn.exec("INSERT INTO envelopes (" + std::string(kEnvelopeColumns) +
                       ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
                   p));
  for (std::size_t i = 0; i < env.documents.size(); ++i) {
    const auto& d = env.documents[i];
    std::vector<Value> dp{d.id,         env.id, static_cast<std::int64_t>(i), d.ref, d.name, d.sha256, d.size_bytes,
                          std::int64_t{d.page_count()}, pages_json(d.pages), env.created_at};
    CS_TRY(conn.exec("INSERT INTO envelope_documents (id, envelope_id, position, ref, name, sha256, size_bytes, "
                     "page_count, pages, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                     dp));
  }
  return insert_recipients_and_fields(conn, env);
}

Result<std::optional<Envelope>> load_envelope(store::Connection& conn, std::string_view account_id,
                                              std::string_view id, bool lock) {
  std::string sql = "SELECT " + std::string(kEnvelopeColumns) + " FROM envelopes WHERE id = $1";
  std::vector<Value> p{std::string(id)};
  if (!account_id.empty()) {
    sql += " AND account_id = $2";
    p.emplace_back(std::string(account_id));
  }
  if (lock && conn.backend() == store::Backend::postgres) sql += " FOR UPDATE";
  auto row = CS_TRY(conn.query_one(sql, p));
  if (!row) return std::optional<Envelope>{};
  Envelope env = envelope_from_row(*row);
  auto eid = store::params(env.id);
  for (const auto& r : CS_TRY(conn.query("SELECT id, ref, name, sha256, size_bytes, pages FROM envelope_documents "
                                         "WHERE envelope_id = $1 ORDER BY position",
                                         eid))) {
    env.documents.push_back({r.text(0), r.text(1), r.text(2), r.text(3), r.int64(4), parse_pages(r.text(5))});
  }
  for (const auto& r : CS_TRY(conn.query("SELECT " + std::string(kRecipientColumns) +
                                             " FROM envelope_recipients WHERE envelope_id = $1 ORDER BY position",
                                         eid))) {
    env.recipients.push_back(recipient_from_row(r));
  }
  for (const auto& r : CS_TRY(conn.query("SELECT id, document_id, recipient_id, type, page, x, y, width, height, "
                                         "required, value FROM envelope_fields WHERE envelope_id = $1 ORDER BY position",
                                         eid))) {
    Field f;
    f.id = r.text(0);
    f.document_id = r.text(1);
    f.recipient_id = r.text(2);
    f.type = parse_field_type(r.text(3)).value_or(FieldType::text);
    f.page = static_cast<int>(r.int64(4));
    f.x = r.real(5);
    f.y = r.real(6);
    f.width = r.real(7);
    f.height = r.real(8);
    f.required = r.int64(9) != 0;
    f.value = r.opt_text(10);
    env.fields.push_back(std::move(f));
  }
  return std::optional<Envelope>(std::move(env));
}

Status update_envelope(store::Connection& conn, Envelope& env) {
  std::vector<Value> p{env.id,           std::string(to_string(env.status)), env.email_subject, env.email_message,
                       opt(env.expires_at), opt(env.status_reason),           env.updated_at,    opt(env.sent_at),
                       opt(env.delivered_at), opt(env.completed_at),          opt(env.finished_at), env.version};
  auto changed = CS_TRY(conn.exec(
      "UPDATE envelopes SET status = $2, email_subject = $3, email_message = $4, expires_at = $5, status_reason = $6, "
      "updated_at = $7, sent_at = $8, delivered_at = $9, completed_at = $10, finished_at = $11, version = version + 1 "
      "WHERE id = $1 AND version = $12",
      p));
  // The row is locked (or the database serialised) by load_envelope(lock=true), so a lost
  // version race here is a programming error, not a user's concurrent change.
  if (changed != 1) return fail(Errc::conflict, "The envelope was changed concurrently; retry", "version mismatch " + env.id);
  ++env.version;
  return {};
}

Status update_recipient(store::Connection& conn, const Recipient& r) {
  std::vector<Value> p{r.id,
                       std::string(to_string(r.status)),
                       opt(r.sent_at),
                       opt(r.delivered_at),
                       opt(r.disclosure_accepted_at),
                       opt(r.completed_at),
                       opt(r.declined_at),
                       opt(r.decline_reason),
                       opt(r.delivered_ip),
                       opt(r.delivered_user_agent),
                       opt(r.disclosure_ip),
                       opt(r.disclosure_user_agent),
                       opt(r.acted_ip),
                       opt(r.acted_user_agent),
                       opt(r.signature_kind),
                       opt(r.signature_text),
                       opt(r.signature_sha256),
                       opt(r.initials)};
  CS_TRY(conn.exec(
      "UPDATE envelope_recipients SET status = $2, sent_at = $3, delivered_at = $4, disclosure_accepted_at = $5, "
      "completed_at = $6, declined_at = $7, decline_reason = $8, delivered_ip = $9, delivered_user_agent = $10, "
      "disclosure_ip = $11, disclosure_user_agent = $12, acted_ip = $13, acted_user_agent = $14, signature_kind = $15, "
      "signature_text = $16, signature_sha256 = $17, initials = $18 WHERE id = $1",
      p));
  return {};
}

Status update_field_value(store::Connection& conn, const Field& f, Micros at) {
  CS_TRY(conn.exec("UPDATE envelope_fields SET value = $2, completed_at = $3 WHERE id = $1",
                   store::params(f.id, f.value, at)));
  return {};
}

Status replace_recipients_and_fields(store::Connection& conn, const Envelope& env) {
  auto eid = store::params(env.id);
  CS_TRY(conn.exec("DELETE FROM envelope_fields WHERE envelope_id = $1", eid));
  CS_TRY(conn.exec("DELETE FROM envelope_recipients WHERE envelope_id = $1", eid));
  return insert_recipients_and_fields(conn, env);
}

Result<std::vector<Envelope>> list_envelopes(store::Connection& conn, std::string_view account_id,
                                             const ListFilter& filter) {
  std::string sql = "SELECT " + std::string(kEnvelopeColumns) + " FROM envelopes WHERE account_id = $1";
  std::vector<Value> p;
  p.reserve(8);
  p.emplace_back(std::in_place_type<std::string>, account_id);
  auto next = [&] { return "$" + std::to_string(p.size()); };
  auto add_time = [&](std::string_view column_op, Micros t) {
    p.emplace_back(std::in_place_type<std::int64_t>, t);
    sql += " AND " + std::string(column_op) + " " + next();
  };
  if (filter.status) {
    p.emplace_back(std::in_place_type<std::string>, to_string(*filter.status));
    sql += " AND status = " + next();
  }
  if (filter.created_from) add_time("created_at >=", *filter.created_from);
  if (filter.created_to) add_time("created_at <", *filter.created_to);
  if (filter.updated_from) add_time("updated_at >=", *filter.updated_from);
  if (filter.updated_to) add_time("updated_at <", *filter.updated_to);
  if (filter.after) {
    p.emplace_back(std::in_place_type<std::int64_t>, filter.after->first);
    auto a = next();
    p.emplace_back(std::in_place_type<std::string>, filter.after->second);
    auto b = next();
    sql += " AND (updated_at > " + a + " OR (updated_at = " + a + " AND id > " + b + "))";
  }
  sql += " ORDER BY updated_at, id LIMIT " + std::to_string(filter.limit + 1);
  std::vector<Envelope> out;
  for (const auto& r : CS_TRY(conn.query(sql, p))) out.push_back(envelope_from_row(r));
  return out;
}

Status insert_signing_link(store::Connection& conn, const SigningLink& link, std::string_view token_hash, Micros now) {
  CS_TRY(conn.exec("INSERT INTO signing_links (id, envelope_id, recipient_id, token_hash, kind, expires_at, created_at) "
                   "VALUES ($1, $2, $3, $4, $5, $6, $7)",
                   store::params(link.id, link.envelope_id, link.recipient_id, token_hash, link.kind, link.expires_at, now)));
  return {};
}

Result<std::optional<SigningLink>> find_signing_link(store::Connection& conn, std::string_view token_hash) {
  auto row = CS_TRY(conn.query_one(
      "SELECT id, envelope_id, recipient_id, kind, expires_at FROM signing_links WHERE token_hash = $1",
      store::params(token_hash)));
  if (!row) return std::optional<SigningLink>{};
  return std::optional<SigningLink>(SigningLink{row->text(0), row->text(1), row->text(2), row->text(3), row->opt_int64(4)});
}

Result<std::optional<std::string>> redeemed_view_return_url(store::Connection& conn, std::string_view recipient_id) {
  auto row = CS_TRY(conn.query_one(
      "SELECT return_url FROM embedded_views WHERE recipient_id = $1 AND used_at IS NOT NULL "
      "ORDER BY used_at DESC, id DESC LIMIT 1",
      store::params(recipient_id)));
  if (!row) return std::optional<std::string>{};
  return std::optional<std::string>(row->text(0));
}

Status insert_embedded_view(store::Connection& conn, const EmbeddedView& v, std::string_view token_hash, Micros now) {
  CS_TRY(conn.exec("INSERT INTO embedded_views (id, envelope_id, recipient_id, token_hash, return_url, expires_at, "
                   "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                   store::params(v.id, v.envelope_id, v.recipient_id, token_hash, v.return_url, v.expires_at, now)));
  return {};
}

Result<std::optional<EmbeddedView>> find_embedded_view(store::Connection& conn, std::string_view token_hash) {
  auto row = CS_TRY(conn.query_one(
      "SELECT id, envelope_id, recipient_id, return_url, expires_at, used_at FROM embedded_views WHERE token_hash = $1",
      store::params(token_hash)));
  if (!row) return std::optional<EmbeddedView>{};
  return std::optional<EmbeddedView>(
      EmbeddedView{row->text(0), row->text(1), row->text(2), row->text(3), row->int64(4), row->opt_int64(5)});
}

Result<bool> mark_embedded_view_used(store::Connection& conn, std::string_view id, Micros at) {
  auto n = CS_TRY(conn.exec("UPDATE embedded_views SET used_at = $2 WHERE id = $1 AND used_at IS NULL",
                            store::params(id, at)));
  return n == 1;
}

}  // namespace cs::esign::repo
