#include "events/webhook_service.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "core/ids.hpp"
#include "core/utf8.hpp"
#include "crypto/field_cipher.hpp"
#include "events/domain_event.hpp"
#include "events/url_guard.hpp"
#include "events/webhook_repository.hpp"
#include "events/webhook_signature.hpp"
#include "identity/audit_record.hpp"
#include "identity/directory.hpp"
#include "store/database.hpp"
#include "store/job_queue.hpp"
#include "store/params.hpp"

namespace cs::events {

namespace {

constexpr std::size_t kMaxDescription = 500;

Error not_found() { return Error(Errc::not_found, "No such webhook subscription"); }

detail::Tenant tenant_of(const WebhookCaller& c) { return {c.account_id, c.app_id}; }

identity::Actor actor_of(const WebhookCaller& c) { return identity::Actor::user(c.user_id, c.request); }

Status validate_description(const std::string& d) {
  if (d.size() > kMaxDescription || !is_valid_utf8(d)) {
    return fail(Error(Errc::validation_failed, "description must be at most 500 bytes of UTF-8").with_field("description"));
  }
  return {};
}

crypto::FieldContext secret_context(std::string_view id, std::string_view column) {
  return {detail::kSubscriptionsTable, column, id};
}

Result<Subscription> require(store::Connection& conn, std::string_view id, const WebhookCaller& caller) {
  auto found = CS_TRY(detail::find_subscription(conn, id, tenant_of(caller)));
  if (!found) return fail(not_found());
  return *found;
}

}  // namespace

bool Subscription::wants(std::string_view event_type) const {
  return std::any_of(events.begin(), events.end(), [&](const std::string& e) { return e == kAllEvents || e == event_type; });
}

Status validate_event_filter(const std::vector<std::string>& events) {
  if (events.empty()) {
    return fail(Error(Errc::validation_failed, "events must name at least one event type, or \"*\"").with_field("events"));
  }
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto& e = events[i];
    std::string field = "events/" + std::to_string(i);
    if (e == kAllEvents) {
      if (events.size() != 1) {
        return fail(Error(Errc::validation_failed, "\"*\" must be the only entry of events").with_field(field));
      }
      continue;
    }
    if (!is_webhook_event_type(e)) {
      return fail(Error(Errc::validation_failed, "Unknown event type: " + to_storable_utf8(e, 64)).with_field(field));
    }
    if (std::find(events.begin(), events.begin() + static_cast<std::ptrdiff_t>(i), e) != events.begin() + static_cast<std::ptrdiff_t>(i)) {
      return fail(Error(Errc::validation_failed, "Duplicate event type: " + e).with_field(field));
    }
  }
  return {};
}

WebhookService::WebhookService(store::Database& db, const Clock& clock, audit::AuditLog& audit,
                               const crypto::FieldCipher& cipher, identity::Directory& directory, WebhookOptions options)
    : db_(db), clock_(clock), audit_(audit), cipher_(cipher), directory_(directory), options_(std::move(options)) {}

Result<SubscriptionWithSecret> WebhookService::create(const WebhookCaller& caller, const NewSubscription& input) {
  CS_CHECK(validate_event_filter(input.events));
  CS_CHECK(validate_description(input.description));
  CS_TRY(check_webhook_url(input.url, {options_.allow_private_targets}));
  // The creator is told by email if the subscription is ever disabled for failing deliveries.
  auto creator = CS_TRY(directory_.get_user(caller.user_id));

  SubscriptionWithSecret out;
  out.secret = generate_webhook_secret();
  Subscription& s = out.subscription;
  s.id = new_id("whk");
  s.account_id = caller.account_id;
  s.app_id = caller.app_id;
  s.url = input.url;
  s.events = input.events;
  s.description = input.description;
  s.created_by_user_id = caller.user_id;
  s.created_at = s.updated_at = clock_.now();
  std::string sealed = cipher_.encrypt(out.secret, secret_context(s.id, "secret"));

  CS_CHECK(store::transact(db_, [&](store::Connection& conn) -> Status {
    if (CS_TRY(detail::count_subscriptions(conn, tenant_of(caller))) >= static_cast<std::int64_t>(kMaxSubscriptionsPerApp)) {
      return fail(Errc::validation_failed, "An app may have at most 20 webhook subscriptions per account");
    }
    CS_TRY(conn.exec("INSERT INTO webhook_subscriptions (id, account_id, app_id, url, events, description, enabled, "
                     "secret, created_by_user_id, created_by_email, created_at, updated_at) "
                     "VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8, $9, $10, $10)",
                     store::params(s.id, s.account_id, s.app_id, s.url, detail::events_to_text(s.events), s.description,
                                   sealed, s.created_by_user_id, creator.email, s.created_at)));
    return identity::record(audit_, conn, actor_of(caller),
                            {"webhook.subscription.created", "webhook_subscription", s.id, s.account_id, {},
                             {{"app_id", s.app_id}, {"url", s.url}, {"events", s.events}}});
  }));
  return out;
}

Result<std::vector<Subscription>> WebhookService::list(const WebhookCaller& caller) {
  auto conn = CS_TRY(db_.connect());
  return detail::list_subscriptions(*conn, tenant_of(caller));
}

Result<Subscription> WebhookService::get(const WebhookCaller& caller, std::string_view id) {
  auto conn = CS_TRY(db_.connect());
  return require(*conn, id, caller);
}

Result<Subscription> WebhookService::update(const WebhookCaller& caller, std::string_view id,
                                            const SubscriptionPatch& patch) {
  if (patch.events) CS_CHECK(validate_event_filter(*patch.events));
  if (patch.description) CS_CHECK(validate_description(*patch.description));
  if (patch.url) CS_TRY(check_webhook_url(*patch.url, {options_.allow_private_targets}));
  return store::transact(db_, [&](store::Connection& conn) -> Result<Subscription> {
    Subscription s = CS_TRY(require(conn, id, caller));
    nlohmann::json changed = nlohmann::json::object();
    if (patch.url && *patch.url != s.url) {
      changed["url"] = {{"from", s.url}, {"to", *patch.url}};
      s.url = *patch.url;
    }
    if (patch.events && *patch.events != s.events) {
      changed["events"] = {{"from", s.events}, {"to", *patch.events}};
      s.events = *patch.events;
    }
    if (patch.description && *patch.description != s.description) {
      changed["description"] = true;
      s.description = *patch.description;
    }
    if (patch.enabled && *patch.enabled != s.enabled) {
      changed["enabled"] = *patch.enabled;
      s.enabled = *patch.enabled;
      s.disabled_reason = s.enabled ? std::nullopt : std::optional<std::string>("by_request");
    }
    if (changed.empty()) return s;
    s.updated_at = clock_.now();
    CS_TRY(conn.exec("UPDATE webhook_subscriptions SET url = $2, events = $3, description = $4, enabled = $5, "
                     "disabled_reason = $6, updated_at = $7 WHERE id = $1",
                     store::params(s.id, s.url, detail::events_to_text(s.events), s.description, s.enabled,
                                   s.disabled_reason, s.updated_at)));
    CS_CHECK(identity::record(audit_, conn, actor_of(caller),
                              {"webhook.subscription.updated", "webhook_subscription", s.id, s.account_id, {},
                               {{"app_id", s.app_id}, {"changed", changed}}}));
    return s;
  });
}

Status WebhookService::remove(const WebhookCaller& caller, std::string_view id) {
  return store::transact(db_, [&](store::Connection& conn) -> Status {
    Subscription s = CS_TRY(require(conn, id, caller));
    auto p = store::params(s.id);
    CS_TRY(conn.exec("DELETE FROM webhook_attempts WHERE delivery_id IN "
                     "(SELECT id FROM webhook_deliveries WHERE subscription_id = $1)",
                     p));
    // Queued delivery jobs find no delivery and end without a request.
    CS_TRY(conn.exec("DELETE FROM webhook_deliveries WHERE subscription_id = $1", p));
    CS_TRY(conn.exec("DELETE FROM webhook_subscriptions WHERE id = $1", p));
    return identity::record(audit_, conn, actor_of(caller),
                            {"webhook.subscription.deleted", "webhook_subscription", s.id, s.account_id, {},
                             {{"app_id", s.app_id}, {"url", s.url}}});
  });
}

Result<SubscriptionWithSecret> WebhookService::rotate_secret(const WebhookCaller& caller, std::string_view id) {
  return store::transact(db_, [&](store::Connection& conn) -> Result<SubscriptionWithSecret> {
    SubscriptionWithSecret out;
    out.subscription = CS_TRY(require(conn, id, caller));
    Subscription& s = out.subscription;
    auto stored = CS_TRY(detail::find_secrets(conn, s.id));
    if (!stored) return fail(not_found());
    // The old secret moves columns, so it is re-sealed under its new associated data.
    std::string old_plain = CS_TRY(cipher_.decrypt(stored->secret, secret_context(s.id, "secret")));
    std::string previous = cipher_.encrypt(old_plain, secret_context(s.id, "previous_secret"));
    out.secret = generate_webhook_secret();
    Micros now = clock_.now();
    s.previous_secret_expires_at = now + kPreviousSecretLifetime;
    s.updated_at = now;
    CS_TRY(conn.exec("UPDATE webhook_subscriptions SET secret = $2, previous_secret = $3, "
                     "previous_secret_expires_at = $4, updated_at = $5 WHERE id = $1",
                     store::params(s.id, cipher_.encrypt(out.secret, secret_context(s.id, "secret")), previous,
                                   *s.previous_secret_expires_at, now)));
    CS_CHECK(identity::record(audit_, conn, actor_of(caller),
                              {"webhook.secret.rotated", "webhook_subscription", s.id, s.account_id, {},
                               {{"app_id", s.app_id}, {"previous_secret_expires_at", format_rfc3339(now + kPreviousSecretLifetime)}}}));
    return out;
  });
}

Result<DeliveryPage> WebhookService::deliveries(const WebhookCaller& caller, std::string_view id,
                                                const DeliveryQuery& query) {
  auto conn = CS_TRY(db_.connect());
  CS_TRY(require(*conn, id, caller));
  return detail::list_deliveries(*conn, id, query);
}

Result<Delivery> WebhookService::retry(const WebhookCaller& caller, std::string_view id, std::string_view delivery_id) {
  return store::transact(db_, [&](store::Connection& conn) -> Result<Delivery> {
    Subscription s = CS_TRY(require(conn, id, caller));
    auto found = CS_TRY(detail::find_delivery(conn, s.id, delivery_id));
    if (!found) return fail(Errc::not_found, "No such delivery");
    if (!s.enabled) {
      return fail(Errc::invalid_state, "The subscription is disabled: enable it before redelivering");
    }
    Micros now = clock_.now();
    std::string job = CS_TRY(store::enqueue(
        conn, {std::string(kDeliverJobKind), nlohmann::json{{"delivery_id", found->id}, {"manual", true}}.dump()},
        clock_));
    // The new job supersedes a scheduled automatic one: only next_job_id may attempt.
    CS_TRY(conn.exec("UPDATE webhook_deliveries SET status = 'pending', next_job_id = $2, next_attempt_at = $3, "
                     "updated_at = $3 WHERE id = $1",
                     store::params(found->id, job, now)));
    found->status = "pending";
    found->next_attempt_at = now;
    found->updated_at = now;
    return *found;
  });
}

}  // namespace cs::events
