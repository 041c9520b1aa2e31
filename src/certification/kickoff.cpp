#include "certification/kickoff.hpp"

#include <algorithm>

#include "store/params.hpp"

namespace cs::certification {

namespace {

constexpr std::size_t kMaxParticipants = 20;
constexpr std::size_t kMaxNotesBytes = 16 * 1024;

tl::unexpected<Error> invalid(std::string message, std::string field) {
  return tl::unexpected(Error(Errc::validation_failed, std::move(message)).with_field(std::move(field)));
}

// The staff roles the participants hold (active users only); validation_failed naming one who
// is not active staff.
Result<std::set<std::string>> staff_roles_of(store::Connection& conn, const std::vector<std::string>& users) {
  std::set<std::string> roles;
  for (const auto& user : users) {
    auto rows = CS_TRY(conn.query(
        "SELECT s.role FROM staff_roles s JOIN users u ON u.id = s.user_id WHERE s.user_id = $1 AND u.status = 'active'",
        store::params(user)));
    if (rows.empty()) return invalid("participant " + user + " is not an active staff user", "participants");
    for (const auto& r : rows) roles.insert(r.text(0));
  }
  return roles;
}

Result<Kickoff> from_row(store::Connection& conn, const store::Row& r) {
  Kickoff k;
  k.request_id = r.text(0);
  k.held_on = CS_TRY(parse_local_date(r.text(1)));
  auto participants = nlohmann::json::parse(r.text(2), nullptr, false);
  if (participants.is_array()) {
    for (const auto& p : participants) {
      if (p.is_string()) k.participants.push_back(p.get<std::string>());
    }
  }
  k.notes = r.text(3);
  k.recording_artifact_id = r.opt_text(4);
  k.updated_by = r.text(5);
  k.updated_at = r.int64(6);
  // A participant disabled since the meeting still took part: read roles regardless of status.
  for (const auto& user : k.participants) {
    auto rows = CS_TRY(conn.query("SELECT role FROM staff_roles WHERE user_id = $1", store::params(user)));
    for (const auto& row : rows) k.participant_roles.insert(row.text(0));
  }
  k.missing = missing_kickoff_participants(k.participant_roles);
  return k;
}

}  // namespace

Result<Kickoff> store_kickoff(store::Connection& conn, std::string_view request_id, const KickoffInput& input,
                              std::string_view updated_by, Micros now) {
  auto date = parse_local_date(input.held_on);
  if (!date) return invalid("held_on must be a date (YYYY-MM-DD)", "held_on");
  if (input.participants.empty() || input.participants.size() > kMaxParticipants) {
    return invalid("participants must name 1 to 20 staff users", "participants");
  }
  std::set<std::string> distinct(input.participants.begin(), input.participants.end());
  if (distinct.size() != input.participants.size()) return invalid("a participant is listed twice", "participants");
  if (input.notes.size() > kMaxNotesBytes) return invalid("notes is too long", "notes");
  auto roles = CS_TRY(staff_roles_of(conn, input.participants));
  if (auto missing = missing_kickoff_participants(roles); !missing.empty()) {
    std::string text = "the kickoff meeting needs";
    for (std::size_t i = 0; i < missing.size(); ++i) text += (i ? "; " : " ") + missing[i].message;
    return tl::unexpected(Error(Errc::requirements_unmet, text).with_field("participants"));
  }
  if (input.recording_artifact_id) {
    auto row = CS_TRY(conn.query_one("SELECT kind FROM cert_artifacts WHERE id = $1 AND request_id = $2",
                                     store::params(*input.recording_artifact_id, request_id)));
    if (!row || row->text(0) != "meeting_recording") {
      return invalid("recording_artifact_id must name a meeting_recording artifact of this request",
                     "recording_artifact_id");
    }
  }
  const std::string participants = nlohmann::json(input.participants).dump();
  const std::string held_on = format_local_date(*date);
  auto changed = CS_TRY(conn.exec(
      "UPDATE cert_kickoffs SET held_on = $2, participants = $3, notes = $4, recording_artifact_id = $5, "
      "updated_by = $6, updated_at = $7 WHERE request_id = $1",
      store::params(request_id, held_on, participants, input.notes, input.recording_artifact_id, updated_by, now)));
  if (changed == 0) {
    CS_TRY(conn.exec("INSERT INTO cert_kickoffs (request_id, held_on, participants, notes, recording_artifact_id, "
                     "updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                     store::params(request_id, held_on, participants, input.notes, input.recording_artifact_id,
                                   updated_by, now)));
  }
  auto stored = CS_TRY(load_kickoff(conn, request_id));
  if (!stored) return fail(Errc::internal, "internal error", "kickoff row vanished after upsert");
  return std::move(*stored);
}

Result<std::optional<Kickoff>> load_kickoff(store::Connection& conn, std::string_view request_id) {
  auto row = CS_TRY(conn.query_one("SELECT request_id, held_on, participants, notes, recording_artifact_id, "
                                   "updated_by, updated_at FROM cert_kickoffs WHERE request_id = $1",
                                   store::params(request_id)));
  if (!row) return std::optional<Kickoff>{};
  return std::optional<Kickoff>{CS_TRY(from_row(conn, *row))};
}

nlohmann::json to_json(const Kickoff& k) {
  nlohmann::json missing = nlohmann::json::array();
  for (const auto& m : k.missing) missing.push_back({{"requirement_id", m.requirement_id}, {"message", m.message}});
  nlohmann::json j = {{"request_id", k.request_id},
                      {"held_on", format_local_date(k.held_on)},
                      {"participants", k.participants},
                      {"participant_roles", k.participant_roles},
                      {"missing", missing},
                      {"notes", k.notes},
                      {"updated_by", k.updated_by},
                      {"updated_at", format_rfc3339(k.updated_at)}};
  j["recording_artifact_id"] = k.recording_artifact_id ? nlohmann::json(*k.recording_artifact_id) : nlohmann::json();
  return j;
}

}  // namespace cs::certification
