// Building parameter lists for Connection::exec/query from plain C++ values:
//   conn.query("SELECT ... WHERE id = $1 AND at > $2", params(id, since));
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "store/database.hpp"

namespace cs::store {

inline Value to_value(const std::string& s) { return s; }
inline Value to_value(const char* s) { return std::string(s); }
inline Value to_value(std::string_view s) { return std::string(s); }
inline Value to_value(std::int64_t n) { return n; }
inline Value to_value(int n) { return std::int64_t{n}; }
inline Value to_value(bool b) { return std::int64_t{b ? 1 : 0}; }  // booleans are BIGINT 0/1
inline Value to_value(std::nullptr_t) { return nullptr; }
inline Value to_value(const std::optional<std::string>& s) { return s ? Value(*s) : Value(nullptr); }
inline Value to_value(const std::optional<std::int64_t>& n) { return n ? Value(*n) : Value(nullptr); }

template <class... Args>
std::array<Value, sizeof...(Args)> params(const Args&... args) {
  return {to_value(args)...};
}

}  // namespace cs::store
