#include "audit/audit_chain.hpp"

#include "core/utf8.hpp"

#include "crypto/primitives.hpp"

namespace cs::audit {

std::string canonical_dump(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string sanitize_text(std::string_view text) { return to_storable_utf8(text); }

namespace {

nlohmann::json optional_text(const std::optional<std::string>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

}  // namespace

std::string canonical_json(const ChainFields& f) {
  // nlohmann::json objects are std::map-backed: members serialise in sorted key order.
  nlohmann::json doc = {
      {"id", f.id},
      {"at", f.at},
      {"actor_type", f.actor_type},
      {"actor_id", f.actor_id},
      {"action", f.action},
      {"target_type", f.target_type},
      {"target_id", f.target_id},
      {"account_id", optional_text(f.account_id)},
      {"partner_org_id", optional_text(f.partner_org_id)},
      {"ip", f.ip},
      {"request_id", f.request_id},
      {"details", f.details},
  };
  return canonical_dump(doc);
}

std::string chain_hash(std::string_view prev_hash, const ChainFields& fields) {
  std::string input(prev_hash);
  input += '\n';
  input += canonical_json(fields);
  return crypto::sha256_hex(input);
}

}  // namespace cs::audit
