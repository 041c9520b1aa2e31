#include "certification/dry_run.hpp"

#include "certification/lifecycle.hpp"
#include "store/params.hpp"

namespace cs::certification {

namespace {

constexpr std::size_t kMaxNotesBytes = 16 * 1024;

tl::unexpected<Error> invalid(std::string message, std::string field) {
  return tl::unexpected(Error(Errc::validation_failed, std::move(message)).with_field(std::move(field)));
}

Result<LocalDate> date_field(const std::optional<std::string>& value, std::string_view field) {
  if (!value) return invalid(std::string(field) + " is required", std::string(field));
  auto d = parse_local_date(*value);
  if (!d) return invalid(std::string(field) + " must be a date (YYYY-MM-DD)", std::string(field));
  return *d;
}

}  // namespace

Result<bool> professional_services(store::Connection& conn, std::string_view partner_org_id) {
  auto row = CS_TRY(conn.query_one("SELECT professional_services FROM partner_orgs WHERE id = $1",
                                   store::params(partner_org_id)));
  return row && row->int64(0) != 0;
}

Result<DryRun> schedule_dry_run(store::Connection& conn, std::string_view request_id, std::string_view partner_org_id,
                                const DryRunInput& input, const BusinessCalendar& calendar,
                                std::string_view updated_by, Micros now) {
  const bool ps = CS_TRY(professional_services(conn, partner_org_id));
  if (!ps) {
    return fail(Errc::forbidden, "a dry run is only available to partners with a professional-services engagement");
  }
  if (input.notes && input.notes->size() > kMaxNotesBytes) return invalid("notes is too long", "notes");
  const LocalDate scheduled = CS_TRY(date_field(input.scheduled_on, "scheduled_on"));
  const LocalDate planned = CS_TRY(date_field(input.planned_certification_date, "planned_certification_date"));
  if (auto ok = check_dry_run_schedule(ps, scheduled, planned, calendar); !ok) {
    return tl::unexpected(Error(ok.error()).with_field("scheduled_on"));
  }
  const std::string scheduled_text = format_local_date(scheduled);
  const std::string notes = input.notes.value_or("");
  auto changed = CS_TRY(conn.exec(
      "UPDATE cert_dry_runs SET scheduled_on = $2, notes = $3, updated_by = $4, updated_at = $5 WHERE request_id = $1",
      store::params(request_id, scheduled_text, notes, updated_by, now)));
  if (changed == 0) {
    CS_TRY(conn.exec("INSERT INTO cert_dry_runs (request_id, scheduled_on, notes, updated_by, updated_at) "
                     "VALUES ($1, $2, $3, $4, $5)",
                     store::params(request_id, scheduled_text, notes, updated_by, now)));
  }
  CS_TRY(conn.exec("UPDATE cert_requests SET planned_certification_date = $2, updated_at = $3 WHERE id = $1",
                   store::params(request_id, format_local_date(planned), now)));
  auto stored = CS_TRY(load_dry_run(conn, request_id));
  if (!stored) return fail(Errc::internal, "internal error", "dry run row vanished after upsert");
  return std::move(*stored);
}

Result<DryRun> mark_dry_run_held(store::Connection& conn, std::string_view request_id, bool held,
                                 std::string_view updated_by, Micros now) {
  const std::optional<std::int64_t> at = held ? std::optional<std::int64_t>(now) : std::nullopt;
  const std::optional<std::string> by = held ? std::optional<std::string>(std::string(updated_by)) : std::nullopt;
  auto changed = CS_TRY(conn.exec(
      "UPDATE cert_dry_runs SET held_at = $2, held_by = $3, updated_by = $4, updated_at = $5 WHERE request_id = $1",
      store::params(request_id, at, by, updated_by, now)));
  if (changed == 0) return fail(Errc::not_found, "no dry run is scheduled for this request");
  auto stored = CS_TRY(load_dry_run(conn, request_id));
  if (!stored) return fail(Errc::internal, "internal error", "dry run row vanished after update");
  return std::move(*stored);
}

Result<std::optional<DryRun>> load_dry_run(store::Connection& conn, std::string_view request_id) {
  auto row = CS_TRY(conn.query_one(
      "SELECT d.scheduled_on, d.notes, d.held_at, d.held_by, d.updated_by, d.updated_at, r.planned_certification_date "
      "FROM cert_dry_runs d JOIN cert_requests r ON r.id = d.request_id WHERE d.request_id = $1",
      store::params(request_id)));
  if (!row) return std::optional<DryRun>{};
  DryRun d;
  d.request_id = std::string(request_id);
  d.scheduled_on = CS_TRY(parse_local_date(row->text(0)));
  d.notes = row->text(1);
  d.held_at = row->opt_int64(2);
  d.held_by = row->opt_text(3);
  d.updated_by = row->text(4);
  d.updated_at = row->int64(5);
  if (auto planned = row->opt_text(6)) {
    if (auto p = parse_local_date(*planned)) d.planned_certification_date = *p;
  }
  auto open = CS_TRY(conn.query_one(
      "SELECT COUNT(*) FROM cert_findings WHERE request_id = $1 AND phase = 'dry_run' AND status <> 'closed'",
      store::params(request_id)));
  d.open_findings = open ? static_cast<int>(open->int64(0)) : 0;
  return std::optional<DryRun>{std::move(d)};
}

nlohmann::json to_json(const DryRun& d) {
  nlohmann::json j = {{"request_id", d.request_id},
                      {"scheduled_on", format_local_date(d.scheduled_on)},
                      {"notes", d.notes},
                      {"held", d.held_at.has_value()},
                      {"open_findings", d.open_findings},
                      {"updated_by", d.updated_by},
                      {"updated_at", format_rfc3339(d.updated_at)}};
  j["planned_certification_date"] =
      d.planned_certification_date ? nlohmann::json(format_local_date(*d.planned_certification_date)) : nlohmann::json();
  if (d.held_at) j["held_at"] = format_rfc3339(*d.held_at);
  return j;
}

}  // namespace cs::certification
