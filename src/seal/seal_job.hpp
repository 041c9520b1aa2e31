// The durable `envelope.seal` job (issue 7): sealing never runs on a request thread.
//
// Hook: esign records every envelope event through EnvelopeService's event listeners, inside the
// transaction of the change (src/esign/workflow.cpp publish()). seal_on_completion() is such a
// listener: on `envelope.completed` it enqueues `envelope.seal` on the same connection, so the
// completion and the job that seals it commit together or not at all. esign itself knows
// nothing about sealing. The handler is SealService::handle_job (registered in src/app/serve.cpp).
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "events/domain_event.hpp"
#include "store/database.hpp"

namespace cs::seal {

inline constexpr std::string_view kSealJobKind =
    "envelope.seal";  // payload {"envelope_id": "env_..."}
// Backoff 2 s x 2^(n-1) (store/job_queue.hpp): eight attempts span about four minutes.
inline constexpr int kSealJobAttempts = 8;

using EnvelopeEventListener = std::function<Status(store::Connection&, const events::DomainEvent&)>;

// Enqueues the sealing job of one envelope on `conn` (inside the caller's transaction).
Status enqueue_seal(store::Connection& conn, std::string_view envelope_id, const Clock& clock);

// The listener for EnvelopeService::add_event_listener. `clock` must outlive it.
EnvelopeEventListener seal_on_completion(const Clock& clock);

// The envelope id of a job's payload; Errc::invalid_request for a malformed payload.
Result<std::string> envelope_of(const std::string& payload);

}  // namespace cs::seal
