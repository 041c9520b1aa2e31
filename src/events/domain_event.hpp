// Domain events (issue 4 §4): every envelope and recipient transition is recorded as an event in
// the same transaction as the change. The events are the envelope's history and the source of
// webhook deliveries: publish() also enqueues a `webhook.fanout` job for the public types, and
// that job (src/events/webhooks) creates one delivery per matching subscription.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "core/error.hpp"

namespace cs::store {
class Connection;
}

namespace cs::events {

// The event types a webhook subscription can filter on (issue 4 §4). Other types (history only,
// e.g. "envelope.created", "recipient.disclosure_accepted") are recorded but never delivered.
inline constexpr std::string_view kWebhookEventTypes[] = {
    "envelope.sent",     "envelope.delivered", "envelope.completed", "envelope.declined",
    "envelope.voided",   "envelope.expired",   "recipient.sent",     "recipient.delivered",
    "recipient.completed", "recipient.declined",
    // Certification requests (issue 6 §6): app-scoped events. Their account_id and envelope_id are
    // empty; data names request_id and app_id, and fan-out picks the subscriptions of that app.
    "certification.submitted", "certification.assigned", "certification.finding_filed",
    "certification.changes_requested", "certification.remedied", "certification.engineer_approved",
    "certification.final_review", "certification.certified", "certification.launched",
    "certification.rejected", "certification.withdrawn"};
bool is_webhook_event_type(std::string_view type);

inline constexpr std::string_view kFanoutJobKind = "webhook.fanout";  // payload {"event_id": "evt_..."}

struct DomainEvent {
  std::string id;  // evt_...; publish() assigns it when empty
  std::string type;
  std::string account_id;
  std::string envelope_id;
  std::optional<std::string> recipient_id;
  std::string actor_type = "system";  // app | user | signer | system
  std::string actor_id = "system";
  std::string ip;
  std::string user_agent;
  nlohmann::json data = nlohmann::json::object();
  Micros occurred_at = 0;  // publish() stamps clock.now() when 0
};

// Inserts the event on `conn` (inside the caller's transaction) and, for a webhook event type,
// enqueues the fan-out job in the same transaction. Answers the stored event (id and time set).
Result<DomainEvent> publish(store::Connection& conn, DomainEvent event, const Clock& clock);

// The history of one envelope, oldest first. Scoped by account: another account's envelope id
// answers an empty list.
Result<std::vector<DomainEvent>> list_for_envelope(store::Connection& conn, std::string_view account_id,
                                                   std::string_view envelope_id);
Result<std::optional<DomainEvent>> find_event(store::Connection& conn, std::string_view event_id);

nlohmann::json to_json(const DomainEvent& e);

}  // namespace cs::events
