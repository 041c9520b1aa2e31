#include "certification/instance_access.hpp"

#include "store/params.hpp"

namespace cs::certification {

namespace {

constexpr std::size_t kMaxFieldBytes = 1024;
constexpr std::size_t kMaxNotesBytes = 8 * 1024;

Status require_field(std::string_view value, std::string_view field, std::size_t max) {
  if (value.empty()) {
    return fail(Error(Errc::validation_failed, std::string(field) + " is required").with_field(std::string(field)));
  }
  if (value.size() > max) {
    return fail(Error(Errc::validation_failed, std::string(field) + " is too long").with_field(std::string(field)));
  }
  return {};
}

crypto::FieldContext context_for(std::string_view request_id) {
  return {kInstanceAccessTable, kInstanceAccessColumn, request_id};
}

}  // namespace

Status validate_instance_access(const InstanceAccessInput& input, const events::UrlPolicy& policy) {
  CS_CHECK(require_field(input.url, "url", 2048));
  CS_CHECK(require_field(input.username, "username", kMaxFieldBytes));
  CS_CHECK(require_field(input.password, "password", kMaxFieldBytes));
  if (input.notes.size() > kMaxNotesBytes) {
    return fail(Error(Errc::validation_failed, "notes is too long").with_field("notes"));
  }
  // Reviewers open this URL from the platform's network: the same SSRF rules as webhooks.
  auto checked = events::check_webhook_url(input.url, policy);
  if (!checked) return fail(Error(checked.error()).with_field("url"));
  return {};
}

Status store_instance_access(store::Connection& conn, const crypto::FieldCipher& cipher, std::string_view request_id,
                             const InstanceAccessInput& input, std::string_view updated_by, Micros now) {
  const nlohmann::json plain = {
      {"url", input.url}, {"username", input.username}, {"password", input.password}, {"notes", input.notes}};
  const std::string sealed = cipher.encrypt(plain.dump(), context_for(request_id));
  auto changed = CS_TRY(conn.exec(
      "UPDATE cert_instance_access SET credentials = $2, updated_by = $3, updated_at = $4 WHERE request_id = $1",
      store::params(request_id, sealed, updated_by, now)));
  if (changed == 0) {
    CS_TRY(conn.exec(
        "INSERT INTO cert_instance_access (request_id, credentials, updated_by, updated_at) VALUES ($1, $2, $3, $4)",
        store::params(request_id, sealed, updated_by, now)));
  }
  return {};
}

Result<std::optional<InstanceAccessSummary>> load_instance_access_summary(store::Connection& conn,
                                                                          std::string_view request_id) {
  auto row = CS_TRY(conn.query_one("SELECT updated_by, updated_at FROM cert_instance_access WHERE request_id = $1",
                                   store::params(request_id)));
  if (!row) return std::optional<InstanceAccessSummary>{};
  return std::optional<InstanceAccessSummary>{InstanceAccessSummary{true, row->text(0), row->int64(1)}};
}

Result<InstanceAccess> load_instance_access(store::Connection& conn, const crypto::FieldCipher& cipher,
                                            std::string_view request_id) {
  auto row = CS_TRY(conn.query_one(
      "SELECT credentials, updated_by, updated_at FROM cert_instance_access WHERE request_id = $1",
      store::params(request_id)));
  if (!row) return fail(Errc::not_found, "no instance access has been given for this request");
  auto plain = CS_TRY(cipher.decrypt(row->text(0), context_for(request_id)));
  auto j = nlohmann::json::parse(plain, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return fail(Errc::internal, "internal error", "cert_instance_access: decrypted value is not a JSON object");
  }
  InstanceAccess a;
  a.request_id = std::string(request_id);
  a.url = j.value("url", "");
  a.username = j.value("username", "");
  a.password = j.value("password", "");
  a.notes = j.value("notes", "");
  a.updated_by = row->text(1);
  a.updated_at = row->int64(2);
  return a;
}

nlohmann::json to_json(const InstanceAccessSummary& s) {
  nlohmann::json j = {{"given", s.given}};
  if (s.given) {
    j["updated_by"] = s.updated_by;
    j["updated_at"] = format_rfc3339(s.updated_at);
  }
  return j;
}

nlohmann::json to_json(const InstanceAccess& a) {
  return {{"url", a.url},           {"username", a.username},     {"password", a.password},
          {"notes", a.notes},       {"updated_by", a.updated_by}, {"updated_at", format_rfc3339(a.updated_at)}};
}

}  // namespace cs::certification
