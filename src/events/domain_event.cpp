#include "events/domain_event.hpp"

#include <algorithm>

#include "core/ids.hpp"
#include "store/database.hpp"
#include "store/job_queue.hpp"
#include "store/params.hpp"

namespace cs::events {

namespace {

constexpr std::string_view kColumns =
    "id, type, account_id, envelope_id, recipient_id, actor_type, actor_id, ip, user_agent, data, occurred_at";

DomainEvent from_row(const store::Row& r) {
  DomainEvent e;
  e.id = r.text(0);
  e.type = r.text(1);
  e.account_id = r.text(2);
  e.envelope_id = r.text(3);
  e.recipient_id = r.opt_text(4);
  e.actor_type = r.text(5);
  e.actor_id = r.text(6);
  e.ip = r.text(7);
  e.user_agent = r.text(8);
  e.data = nlohmann::json::parse(r.text(9), nullptr, false);
  if (e.data.is_discarded()) e.data = nlohmann::json::object();
  e.occurred_at = r.int64(10);
  return e;
}

}  // namespace

bool is_webhook_event_type(std::string_view type) {
  return std::find(std::begin(kWebhookEventTypes), std::end(kWebhookEventTypes), type) != std::end(kWebhookEventTypes);
}

Result<DomainEvent> publish(store::Connection& conn, DomainEvent event, const Clock& clock) {
  if (event.id.empty()) event.id = new_id("evt");
  if (event.occurred_at == 0) event.occurred_at = clock.now();
  auto p = store::params(event.id, event.type, event.account_id, event.envelope_id, event.recipient_id, event.actor_type,
                         event.actor_id, event.ip, event.user_agent, event.data.dump(), event.occurred_at);
  CS_TRY(conn.exec("INSERT INTO domain_events (" + std::string(kColumns) +
                       ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                   p));
  if (is_webhook_event_type(event.type)) {
    store::NewJob job{std::string(kFanoutJobKind), nlohmann::json{{"event_id", event.id}}.dump()};
    CS_TRY(store::enqueue(conn, job, clock));
  }
  return event;
}

Result<std::vector<DomainEvent>> list_for_envelope(store::Connection& conn, std::string_view account_id,
                                                   std::string_view envelope_id) {
  auto p = store::params(account_id, envelope_id);
  auto rows = CS_TRY(conn.query("SELECT " + std::string(kColumns) +
                                    " FROM domain_events WHERE account_id = $1 AND envelope_id = $2 ORDER BY seq",
                                p));
  std::vector<DomainEvent> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(from_row(r));
  return out;
}

Result<std::optional<DomainEvent>> find_event(store::Connection& conn, std::string_view event_id) {
  auto p = store::params(event_id);
  auto row = CS_TRY(conn.query_one("SELECT " + std::string(kColumns) + " FROM domain_events WHERE id = $1", p));
  if (!row) return std::optional<DomainEvent>{};
  return std::optional<DomainEvent>(from_row(*row));
}

nlohmann::json to_json(const DomainEvent& e) {
  return {{"id", e.id},
          {"type", e.type},
          {"envelope_id", e.envelope_id},
          {"recipient_id", e.recipient_id ? nlohmann::json(*e.recipient_id) : nlohmann::json(nullptr)},
          {"actor", {{"type", e.actor_type}, {"id", e.actor_id}}},
          {"ip", e.ip},
          {"user_agent", e.user_agent},
          {"data", e.data},
          {"occurred_at", format_rfc3339(e.occurred_at)}};
}

}  // namespace cs::events
