#include "seal/seal_job.hpp"

#include <nlohmann/json.hpp>

#include "store/job_queue.hpp"

namespace cs::seal {

Status enqueue_seal(store::Connection& conn, std::string_view envelope_id, const Clock& clock) {
  store::NewJob job;
  job.kind = std::string(kSealJobKind);
  job.payload = nlohmann::json{{"envelope_id", envelope_id}}.dump();
  job.max_attempts = kSealJobAttempts;
  CS_TRY(store::enqueue(conn, job, clock));
  return {};
}

EnvelopeEventListener seal_on_completion(const Clock& clock) {
  return [&clock](store::Connection& conn, const events::DomainEvent& event) -> Status {
    if (event.type != "envelope.completed") return {};
    return enqueue_seal(conn, event.envelope_id, clock);
  };
}

Result<std::string> envelope_of(const std::string& payload) {
  auto j = nlohmann::json::parse(payload, nullptr, false);
  if (!j.is_object() || !j.contains("envelope_id") || !j["envelope_id"].is_string()) {
    return fail(Errc::invalid_request, "Malformed envelope.seal job",
                "payload: " + payload.substr(0, 200));
  }
  return j["envelope_id"].get<std::string>();
}

}  // namespace cs::seal
