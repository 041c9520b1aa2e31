// The kickoff meeting (issue 6 §2; requirement SEC-5; Adobe: "meet to go over the process;
// normally recorded so security folks can refer back"): its date, the staff who took part (a
// partner manager, a security reviewer and a solution consultant at least), notes, and the
// recording, a meeting_recording artifact of the same request.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "certification/lifecycle.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "store/database.hpp"

namespace cs::certification {

struct KickoffInput {
  std::string held_on;  // YYYY-MM-DD
  std::vector<std::string> participants;  // staff user ids
  std::string notes;
  std::optional<std::string> recording_artifact_id;
};

struct Kickoff {
  std::string request_id;
  LocalDate held_on;
  std::vector<std::string> participants;
  std::string notes;
  std::optional<std::string> recording_artifact_id;
  std::string updated_by;
  Micros updated_at = 0;
  // Derived on load: the participants' staff roles, and what the rule still misses.
  std::set<std::string> participant_roles;
  std::vector<Missing> missing;
};

// Validates the input against the database: a real date, 1..20 distinct participants who are
// active staff users, the recording (if named) a meeting_recording artifact of this request, and
// the participants covering missing_kickoff_participants(); validation_failed naming the field
// (requirements_unmet with the missing roles for the last). Then upserts the row.
Result<Kickoff> store_kickoff(store::Connection& conn, std::string_view request_id, const KickoffInput& input,
                              std::string_view updated_by, Micros now);
Result<std::optional<Kickoff>> load_kickoff(store::Connection& conn, std::string_view request_id);
nlohmann::json to_json(const Kickoff& k);

}  // namespace cs::certification
