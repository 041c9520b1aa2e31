// Dates in the account's format (issue 7): accounts.date_format (migration 0015) holds one of
// a small fixed set of patterns; `date_signed` values are stored as YYYY-MM-DD.
#pragma once

#include <string>
#include <string_view>

#include "identity/directory.hpp"

namespace cs::seal {

inline constexpr std::string_view kDefaultDateFormat = "YYYY-MM-DD";
// The patterns are the account setting's (identity::Directory::set_date_format).
using identity::is_date_format;
using identity::kDateFormats;

// `iso_date` (YYYY-MM-DD) in `pattern`; anything that is not such a date, or an unknown
// pattern, is answered unchanged rather than guessed at.
std::string format_date(std::string_view iso_date, std::string_view pattern);

}  // namespace cs::seal
