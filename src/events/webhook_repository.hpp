// SQL for the webhook tables (migration 0007), shared by WebhookService (the API) and
// WebhookDispatcher (the job handlers). Every function runs on the caller's connection, inside
// the caller's transaction.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "events/webhook_types.hpp"
#include "store/database.hpp"

namespace cs::events::detail {

inline constexpr std::string_view kSubscriptionsTable = "webhook_subscriptions";

// The account and app a subscription belongs to; a subscription of another pair is invisible.
struct Tenant {
  std::string account_id;
  std::string app_id;
};

Result<std::optional<Subscription>> find_subscription(store::Connection& conn, std::string_view id,
                                                      const std::optional<Tenant>& tenant);
Result<std::vector<Subscription>> list_subscriptions(store::Connection& conn, const Tenant& tenant);
Result<std::int64_t> count_subscriptions(store::Connection& conn, const Tenant& tenant);

// The stored (encrypted) secrets of a subscription.
struct StoredSecrets {
  std::string secret;
  std::optional<std::string> previous_secret;
  std::optional<Micros> previous_expires_at;
};
Result<std::optional<StoredSecrets>> find_secrets(store::Connection& conn, std::string_view subscription_id);

std::string events_to_text(const std::vector<std::string>& events);

Result<std::optional<Delivery>> find_delivery(store::Connection& conn, std::string_view subscription_id,
                                              std::string_view delivery_id);
// The delivery by id alone, with the job that may attempt it next and its payload (workers).
struct DeliveryWork {
  Delivery delivery;
  std::string payload;
  std::optional<std::string> next_job_id;
};
Result<std::optional<DeliveryWork>> find_delivery_work(store::Connection& conn, std::string_view delivery_id);

Result<DeliveryPage> list_deliveries(store::Connection& conn, std::string_view subscription_id,
                                     const DeliveryQuery& query);

Status insert_attempt(store::Connection& conn, std::string_view delivery_id, const DeliveryAttempt& attempt);

}  // namespace cs::events::detail
