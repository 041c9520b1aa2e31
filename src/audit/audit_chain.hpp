// The hash chain of the audit log: what exactly is hashed (kept apart from the SQL so it can be
// read, and tested, on its own).
//
//   hash(entry) = lower-case hex SHA-256( prev_hash + "\n" + canonical_json(entry) )
//
// prev_hash is the previous entry's hash, or kGenesisHash (64 zeros) for the first entry.
// canonical_json(entry) is a JSON object with exactly these members, serialised by nlohmann::json
// with keys in sorted (byte) order, no whitespace, non-ASCII as raw UTF-8 (dump() defaults):
//   account_id (string or null), action, actor_id, actor_type, at (integer, Unix microseconds),
//   details (the event's JSON, itself canonical), id, ip, partner_org_id (string or null),
//   request_id, target_id, target_type.
// `seq` is deliberately not hashed: PostgreSQL identity values can skip numbers when a
// transaction rolls back, so order is proved by the prev_hash links, not by seq.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/clock.hpp"

namespace cs::audit {

inline constexpr std::string_view kGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

// The hashed fields of one entry.
struct ChainFields {
  std::string id;
  Micros at = 0;
  std::string actor_type;
  std::string actor_id;
  std::string action;
  std::string target_type;
  std::string target_id;
  std::optional<std::string> account_id;
  std::optional<std::string> partner_org_id;
  std::string ip;
  std::string request_id;
  nlohmann::json details = nlohmann::json::object();
};

std::string canonical_json(const ChainFields& fields);
std::string chain_hash(std::string_view prev_hash, const ChainFields& fields);

// Serialises JSON the canonical way (sorted keys, compact). Invalid UTF-8 in strings becomes
// U+FFFD instead of throwing, so an attacker-supplied value (a login email) can always be logged.
std::string canonical_dump(const nlohmann::json& value);

// `text` as valid UTF-8 without NUL bytes (invalid sequences and NULs become U+FFFD), so that it
// can be stored in a PostgreSQL TEXT column and hashed identically after reading it back.
std::string sanitize_text(std::string_view text);

}  // namespace cs::audit
