// Webhook subscriptions over the API (issue 4 §4, `/v1/webhooks`, scope webhook:manage).
//
// A subscription belongs to one account AND one app: the token's. Every lookup is scoped to
// that pair, so another app or account gets not_found exactly like an unknown id. The signing
// secret (whsec_...) is answered once, by create and rotate_secret, and stored only encrypted
// (FieldCipher, associated data webhook_subscriptions/secret|previous_secret/<id>). Changes are
// audited. Delivery itself is WebhookDispatcher's (webhook_delivery.hpp).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "events/webhook_types.hpp"
#include "identity/actor.hpp"

namespace cs::audit {
class AuditLog;
}
namespace cs::crypto {
class FieldCipher;
}
namespace cs::identity {
class Directory;
}
namespace cs::store {
class Database;
}

namespace cs::events {

// Who calls: the bearer token's account, app and user.
struct WebhookCaller {
  std::string account_id;
  std::string app_id;
  std::string user_id;
  identity::RequestContext request;
};

inline constexpr std::size_t kMaxSubscriptionsPerApp = 20;

class WebhookService {
 public:
  // Every reference must outlive the service.
  WebhookService(store::Database& db, const Clock& clock, audit::AuditLog& audit, const crypto::FieldCipher& cipher,
                 identity::Directory& directory, WebhookOptions options);

  const WebhookOptions& options() const { return options_; }

  // validation_failed (events, description, too many subscriptions), url_not_allowed (scheme,
  // a host resolving to a non-public address unless the operator allows those).
  Result<SubscriptionWithSecret> create(const WebhookCaller& caller, const NewSubscription& input);
  Result<std::vector<Subscription>> list(const WebhookCaller& caller);
  Result<Subscription> get(const WebhookCaller& caller, std::string_view id);
  // A changed URL is checked again; enabling clears the reason it was disabled.
  Result<Subscription> update(const WebhookCaller& caller, std::string_view id, const SubscriptionPatch& patch);
  // Removes the subscription with its deliveries and their attempts.
  Status remove(const WebhookCaller& caller, std::string_view id);
  // A new secret, answered once; the old one keeps signing alongside it for 24 h.
  Result<SubscriptionWithSecret> rotate_secret(const WebhookCaller& caller, std::string_view id);

  // The delivery log, newest first, each delivery with its attempts.
  Result<DeliveryPage> deliveries(const WebhookCaller& caller, std::string_view id, const DeliveryQuery& query);
  // Queues one manual attempt now (any state). invalid_state while the subscription is disabled.
  Result<Delivery> retry(const WebhookCaller& caller, std::string_view id, std::string_view delivery_id);

 private:
  store::Database& db_;
  const Clock& clock_;
  audit::AuditLog& audit_;
  const crypto::FieldCipher& cipher_;
  identity::Directory& directory_;
  WebhookOptions options_;
};

// The subscription's event filter, checked: a non-empty subset of the webhook event types
// without duplicates, or exactly {"*"}. validation_failed naming "events/<i>".
Status validate_event_filter(const std::vector<std::string>& events);

}  // namespace cs::events
