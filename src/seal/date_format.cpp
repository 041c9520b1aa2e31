#include "seal/date_format.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace cs::seal {

namespace {

constexpr const char* kMonths[] = {"January", "February", "March",     "April",   "May",      "June",
                                   "July",    "August",   "September", "October", "November", "December"};

bool digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

}  // namespace

std::string format_date(std::string_view iso, std::string_view pattern) {
  if (iso.size() != 10 || iso[4] != '-' || iso[7] != '-' || !digits(iso.substr(0, 4)) || !digits(iso.substr(5, 2)) ||
      !digits(iso.substr(8, 2))) {
    return std::string(iso);
  }
  std::string y(iso.substr(0, 4)), m(iso.substr(5, 2)), d(iso.substr(8, 2));
  int month = std::stoi(m), day = std::stoi(d);
  if (month < 1 || month > 12 || day < 1 || day > 31) return std::string(iso);
  if (pattern == "MM/DD/YYYY") return m + "/" + d + "/" + y;
  if (pattern == "DD/MM/YYYY") return d + "/" + m + "/" + y;
  if (pattern == "DD.MM.YYYY") return d + "." + m + "." + y;
  if (pattern == "D MMMM YYYY") return std::to_string(day) + " " + kMonths[month - 1] + " " + y;
  if (pattern == "MMMM D, YYYY") return std::string(kMonths[month - 1]) + " " + std::to_string(day) + ", " + y;
  return std::string(iso);
}

}  // namespace cs::seal
