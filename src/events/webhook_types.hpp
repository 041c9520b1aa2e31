// What the webhook service and its delivery worker share: subscriptions, deliveries, attempts,
// and the operator's options (issue 4 §4).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/error.hpp"

namespace cs::events {

inline constexpr std::string_view kDeliverJobKind = "webhook.deliver";  // {"delivery_id", "manual"}
inline constexpr std::string_view kAllEvents = "*";
inline constexpr Micros kPreviousSecretLifetime = 24LL * 3600 * kMicrosPerSecond;

// The delays between automatic attempts, after the first: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h,
// 14 h, 20 h, 20 h (ten attempts over 71 h 35 min, about three days), each with +-10 % jitter.
// After the last one fails the delivery is `failed` and the subscription is disabled.
std::vector<Micros> default_retry_schedule();
// "5s,5m,30m,2h" (units s, m, h; at least one entry, each 1 s to 7 days) for the
// webhooks.retry_schedule setting; validation_failed otherwise.
Result<std::vector<Micros>> parse_retry_schedule(std::string_view text);
// `delay` moved by up to +-10 % so a burst of failures does not retry in lockstep.
Micros with_jitter(Micros delay);

struct WebhookOptions {
  bool allow_private_targets = false;
  std::chrono::milliseconds timeout{10000};
  std::vector<Micros> retry_schedule = default_retry_schedule();
  std::string user_agent = "Countersign-Webhooks/1.0";
};

struct Subscription {
  std::string id;  // whk_...
  std::string account_id;
  std::string app_id;
  std::string url;
  std::vector<std::string> events;  // webhook event types, or {"*"}
  std::string description;
  bool enabled = true;
  std::optional<std::string> disabled_reason;  // deliveries_failing | by_request
  std::optional<Micros> previous_secret_expires_at;
  std::string created_by_user_id;
  Micros created_at = 0;
  Micros updated_at = 0;

  bool wants(std::string_view event_type) const;
};

// A subscription with its secret, answered only by create and rotate-secret.
struct SubscriptionWithSecret {
  Subscription subscription;
  std::string secret;  // whsec_...
};

struct NewSubscription {
  std::string url;
  std::vector<std::string> events;
  std::string description;
};

struct SubscriptionPatch {
  std::optional<std::string> url;
  std::optional<std::vector<std::string>> events;
  std::optional<std::string> description;
  std::optional<bool> enabled;
};

struct DeliveryAttempt {
  std::string kind;  // automatic | manual
  Micros attempted_at = 0;
  std::optional<std::int64_t> status_code;
  std::int64_t latency_ms = 0;
  std::optional<std::string> error;
  std::string response_body;
};

struct Delivery {
  std::string id;  // msg_...: the webhook-id header
  std::string subscription_id;
  std::string event_id;
  std::string event_type;
  std::string status;  // pending | succeeded | failed
  std::int64_t automatic_attempts = 0;
  std::optional<Micros> next_attempt_at;
  std::optional<Micros> last_attempt_at;
  std::optional<std::int64_t> last_status_code;
  std::optional<std::string> last_error;
  Micros created_at = 0;
  Micros updated_at = 0;
  std::vector<DeliveryAttempt> attempts;  // oldest first
};

struct DeliveryQuery {
  std::optional<std::string> cursor;  // the last delivery id of the previous page
  int limit = 50;
  std::optional<std::string> status;
};

struct DeliveryPage {
  std::vector<Delivery> items;  // newest first
  std::optional<std::string> next_cursor;
};

}  // namespace cs::events
