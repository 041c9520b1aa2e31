// Opaque, type-prefixed identifiers ("acc_3kTq...", "usr_..."): DESIGN.md "Interfaces".
#pragma once

#include <string>
#include <string_view>

namespace cs {

// A new id: prefix + "_" + 22 characters of base62 (128 random bits, from libsodium).
std::string new_id(std::string_view prefix);

// True when `id` has the given prefix and a well-formed random part. Use it to answer
// 404 early for ids that cannot exist, without touching the database.
bool is_valid_id(std::string_view id, std::string_view prefix);

}  // namespace cs
