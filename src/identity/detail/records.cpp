#include "identity/detail/records.hpp"

#include "audit/audit_log.hpp"

namespace cs::identity::detail {

PartnerOrg partner_org_from_row(const store::Row& row) {
  return {row.text(0), row.text(1), row.int64(2) != 0, row.int64(3), row.int64(4)};
}

Account account_from_row(const store::Row& row) {
  return {row.text(0),     row.text(1),       parse_environment(row.text(2)).value(),
          row.opt_text(3), row.int64(4) != 0, row.int64(5),
          row.int64(6),    row.text(7)};
}

User user_from_row(const store::Row& row) {
  return {row.text(0),  row.text(1),      row.text(2),      parse_user_status(row.text(3)).value(),
          row.int64(4), row.opt_int64(5), row.opt_int64(6), row.int64(7),
          row.int64(8)};
}

tl::unexpected<Error> not_found(std::string_view what, std::string_view field) {
  return tl::unexpected(
      Error(Errc::not_found, std::string(what) + " not found").with_field(std::string(field)));
}

}  // namespace cs::identity::detail
