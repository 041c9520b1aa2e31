#include "events/webhook_delivery.hpp"

#include <spdlog/spdlog.h>

#include "core/ids.hpp"
#include "core/utf8.hpp"
#include "crypto/field_cipher.hpp"
#include "events/url_guard.hpp"
#include "events/webhook_http.hpp"
#include "events/webhook_repository.hpp"
#include "events/webhook_signature.hpp"
#include "identity/audit_record.hpp"
#include "notify/email.hpp"
#include "store/database.hpp"
#include "store/params.hpp"

namespace cs::events {

namespace {

constexpr std::size_t kMaxErrorBytes = 1000;

Result<nlohmann::json> job_payload(const store::Job& job) {
  auto j = nlohmann::json::parse(job.payload, nullptr, false);
  if (!j.is_object()) return fail(Errc::internal, "bad job", "webhook job " + job.id + " has no JSON object payload");
  return j;
}

std::string json_text(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Subscriptions that get this account's events: enabled, and their app is active and still holds
// an unrevoked grant on the account.
constexpr std::string_view kFanoutSql =
    "SELECT s.id, s.events, s.account_id FROM webhook_subscriptions s WHERE s.account_id = $1 AND s.enabled = 1 "
    "AND EXISTS (SELECT 1 FROM apps a WHERE a.id = s.app_id AND a.status = 'active') "
    "AND EXISTS (SELECT 1 FROM oauth_grants g WHERE g.app_id = s.app_id AND g.account_id = s.account_id "
    "AND g.revoked_at IS NULL) ORDER BY s.created_at, s.id";
// App-scoped events (certification.*, issue 6 §6) go to every enabled subscription of the app,
// whatever account it was made on: they concern the partner's app, not an account's data.
constexpr std::string_view kAppFanoutSql =
    "SELECT s.id, s.events, s.account_id FROM webhook_subscriptions s WHERE s.app_id = $1 AND s.enabled = 1 "
    "AND EXISTS (SELECT 1 FROM apps a WHERE a.id = s.app_id AND a.status = 'active') ORDER BY s.created_at, s.id";

bool is_app_event(const DomainEvent& e) { return e.type.starts_with("certification.") && e.data.contains("app_id"); }

}  // namespace

struct WebhookDispatcher::Outcome {
  DeliveryAttempt attempt;
  bool success = false;
};

nlohmann::json webhook_payload(const DomainEvent& event) {
  nlohmann::json data = event.data.is_object() ? event.data : nlohmann::json::object();
  data["event_id"] = event.id;
  if (!data.contains("account_id") && !event.account_id.empty()) data["account_id"] = event.account_id;
  if (!data.contains("envelope_id") && !event.envelope_id.empty()) data["envelope_id"] = event.envelope_id;
  if (!data.contains("recipient_id") && event.recipient_id) data["recipient_id"] = *event.recipient_id;
  return {{"type", event.type}, {"timestamp", format_rfc3339(event.occurred_at)}, {"data", std::move(data)}};
}

WebhookDispatcher::WebhookDispatcher(store::Database& db, const Clock& clock, audit::AuditLog& audit,
                                     const crypto::FieldCipher& cipher, WebhookOptions options)
    : db_(db), clock_(clock), audit_(audit), cipher_(cipher), options_(std::move(options)) {}

Status WebhookDispatcher::fan_out(const store::Job& job) {
  auto payload = CS_TRY(job_payload(job));
  std::string event_id = json_text(payload, "event_id");
  return store::transact(db_, [&](store::Connection& conn) -> Status {
    auto event = CS_TRY(find_event(conn, event_id));
    if (!event) return {};  // nothing to deliver (never committed, or purged)
    auto rows = is_app_event(*event)
                    ? CS_TRY(conn.query(kAppFanoutSql, store::params(json_text(event->data, "app_id"))))
                    : CS_TRY(conn.query(kFanoutSql, store::params(event->account_id)));
    std::string body;
    Micros now = clock_.now();
    for (const auto& row : rows) {
      Subscription sub;
      sub.id = row.text(0);
      auto filter = nlohmann::json::parse(row.text(1), nullptr, false);
      if (filter.is_array()) {
        for (const auto& e : filter) {
          if (e.is_string()) sub.events.push_back(e.get<std::string>());
        }
      }
      if (!sub.wants(event->type)) continue;
      // A repeated fan-out (its job re-run after a crash) adds nothing.
      if (CS_TRY(conn.query_one("SELECT 1 FROM webhook_deliveries WHERE subscription_id = $1 AND event_id = $2",
                                store::params(sub.id, event->id)))) {
        continue;
      }
      if (body.empty()) body = webhook_payload(*event).dump();
      std::string id = new_id("msg");
      std::string next_job = CS_TRY(store::enqueue(
          conn, {std::string(kDeliverJobKind), nlohmann::json{{"delivery_id", id}, {"manual", false}}.dump()}, clock_));
      CS_TRY(conn.exec("INSERT INTO webhook_deliveries (id, subscription_id, account_id, event_id, event_type, payload, "
                       "status, automatic_attempts, next_attempt_at, next_job_id, created_at, updated_at) "
                       "VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $8, $7, $7)",
                       store::params(id, sub.id, row.text(2), event->id, event->type, body, now, next_job)));
    }
    return {};
  });
}

Status WebhookDispatcher::deliver(const store::Job& job) {
  auto payload = CS_TRY(job_payload(job));
  bool manual = payload.value("manual", false);
  std::optional<detail::DeliveryWork> work;
  std::optional<Subscription> sub;
  std::optional<detail::StoredSecrets> secrets;
  {
    auto conn = CS_TRY(db_.connect());
    work = CS_TRY(detail::find_delivery_work(*conn, json_text(payload, "delivery_id")));
    // Gone (subscription deleted), finished, or superseded by a newer job (manual redelivery).
    if (!work || work->delivery.status != "pending" || work->next_job_id != job.id) return {};
    sub = CS_TRY(detail::find_subscription(*conn, work->delivery.subscription_id, std::nullopt));
    if (!sub) return {};
    secrets = CS_TRY(detail::find_secrets(*conn, sub->id));
  }
  const Delivery& delivery = work->delivery;
  if (!sub->enabled) {
    // A disabled subscription receives nothing; the partner can redeliver after enabling it.
    return store::transact(db_, [&](store::Connection& conn) -> Status {
      CS_TRY(conn.exec("UPDATE webhook_deliveries SET status = 'failed', last_error = $3, next_job_id = NULL, "
                       "next_attempt_at = NULL, updated_at = $4 WHERE id = $1 AND next_job_id = $2",
                       store::params(delivery.id, job.id, std::string("subscription disabled"), clock_.now())));
      return {};
    });
  }

  std::vector<std::vector<std::uint8_t>> keys;
  Micros now = clock_.now();
  auto add_key = [&](const std::string& sealed, std::string_view column) -> Status {
    auto plain = CS_TRY(cipher_.decrypt(sealed, {detail::kSubscriptionsTable, column, sub->id}));
    auto key = webhook_secret_key(plain);
    if (!key) return fail(Errc::internal, "bad webhook secret", "stored secret of " + sub->id + " is malformed");
    keys.push_back(std::move(*key));
    return {};
  };
  CS_CHECK(add_key(secrets->secret, "secret"));
  if (secrets->previous_secret && secrets->previous_expires_at && *secrets->previous_expires_at > now) {
    CS_CHECK(add_key(*secrets->previous_secret, "previous_secret"));
  }

  Outcome outcome;
  outcome.attempt.kind = manual ? "manual" : "automatic";
  outcome.attempt.attempted_at = now;
  auto target = check_webhook_url(sub->url, {options_.allow_private_targets});
  if (!target) {
    outcome.attempt.error = "url_not_allowed: " + target.error().message();
  } else {
    std::int64_t timestamp = now / kMicrosPerSecond;
    OutboundPost post;
    post.url = sub->url;
    post.target = std::move(*target);
    post.body = work->payload;
    post.timeout = options_.timeout;
    post.user_agent = options_.user_agent;
    post.headers = {{"Content-Type", "application/json"},
                    {"webhook-id", delivery.id},
                    {"webhook-timestamp", std::to_string(timestamp)},
                    {"webhook-signature", webhook_signature_header(keys, delivery.id, timestamp, post.body)}};
    OutboundResult r = post_webhook(post);
    outcome.attempt.latency_ms = r.latency_ms;
    outcome.attempt.response_body = to_storable_utf8(r.body, kMaxResponseBody);
    if (r.status) outcome.attempt.status_code = *r.status;
    outcome.success = r.error.empty() && r.status && *r.status >= 200 && *r.status < 300;
    if (!r.error.empty()) {
      outcome.attempt.error = to_storable_utf8(r.error, kMaxErrorBytes);
    } else if (!outcome.success) {
      bool redirect = *r.status >= 300 && *r.status < 400;
      outcome.attempt.error = "HTTP " + std::to_string(*r.status) + (redirect ? ": redirects are not followed" : "");
    }
  }
  return record(job, delivery, manual, outcome);
}

Status WebhookDispatcher::record(const store::Job& job, const Delivery& before, bool manual, const Outcome& outcome) {
  return store::transact(db_, [&](store::Connection& conn) -> Status {
    CS_CHECK(detail::insert_attempt(conn, before.id, outcome.attempt));
    std::string lock = conn.backend() == store::Backend::postgres ? " FOR UPDATE" : "";
    auto current =
        CS_TRY(conn.query_one("SELECT next_job_id FROM webhook_deliveries WHERE id = $1" + lock, store::params(before.id)));
    // Superseded while the request was in flight: the attempt is logged, the newer job decides.
    if (!current || current->opt_text(0) != job.id) return {};

    const auto& a = outcome.attempt;
    std::int64_t automatic = before.automatic_attempts + (manual ? 0 : 1);
    Micros now = a.attempted_at;
    std::string status = "succeeded";
    std::optional<std::string> next_job;
    std::optional<Micros> next_at;
    const auto& schedule = options_.retry_schedule;
    if (!outcome.success) {
      auto slot = static_cast<std::size_t>(std::max<std::int64_t>(automatic, 1) - 1);
      if (automatic <= static_cast<std::int64_t>(schedule.size())) {
        status = "pending";
        next_at = clock_.now() + with_jitter(schedule[slot]);
        next_job = CS_TRY(store::enqueue(
            conn,
            {std::string(kDeliverJobKind), nlohmann::json{{"delivery_id", before.id}, {"manual", false}}.dump(), next_at},
            clock_));
      } else {
        status = "failed";
      }
    }
    CS_TRY(conn.exec("UPDATE webhook_deliveries SET status = $2, automatic_attempts = $3, next_attempt_at = $4, "
                     "next_job_id = $5, last_attempt_at = $6, last_status_code = $7, last_error = $8, updated_at = $6 "
                     "WHERE id = $1",
                     store::params(before.id, status, automatic, next_at, next_job, now, a.status_code, a.error)));
    // The schedule is spent: stop sending to a receiver that has been failing for days. A manual
    // redelivery that fails never disables (the partner is already looking).
    if (status == "failed" && !manual) CS_CHECK(disable_subscription(conn, before, a.error.value_or("")));
    return {};
  });
}

Status WebhookDispatcher::disable_subscription(store::Connection& conn, const Delivery& delivery,
                                               const std::string& last_error) {
  Micros now = clock_.now();
  auto changed = CS_TRY(conn.exec("UPDATE webhook_subscriptions SET enabled = 0, disabled_reason = 'deliveries_failing', "
                                  "updated_at = $2 WHERE id = $1 AND enabled = 1",
                                  store::params(delivery.subscription_id, now)));
  if (changed != 1) return {};
  auto row = CS_TRY(conn.query_one(
      "SELECT account_id, app_id, url, created_by_user_id, created_by_email FROM webhook_subscriptions WHERE id = $1",
      store::params(delivery.subscription_id)));
  if (!row) return {};
  const std::string& url = row->text(2);
  CS_CHECK(identity::record(audit_, conn, identity::Actor::system("webhooks"),
                            {"webhook.subscription.disabled", "webhook_subscription", delivery.subscription_id,
                             row->text(0), {},
                             {{"app_id", row->text(1)},
                              {"reason", "deliveries_failing"},
                              {"delivery_id", delivery.id},
                              {"last_error", last_error}}}));
  notify::EmailMessage email;
  email.to = row->text(4);
  email.subject = "Webhook disabled: deliveries to " + url + " kept failing";
  email.category = "webhook_disabled";
  email.text_body =
      "Countersign disabled your webhook subscription " + delivery.subscription_id + " (" + url + ") for account " +
      row->text(0) + " after every attempt to deliver message " + delivery.id + " (" + delivery.event_type +
      ") failed for about three days.\n\nLast error: " + last_error +
      "\n\nFix the receiver, enable the subscription again with PATCH /v1/webhooks/" + delivery.subscription_id +
      " {\"enabled\": true}, and redeliver messages with POST /v1/webhooks/" + delivery.subscription_id +
      "/deliveries/{delivery_id}/retry. The delivery log is at GET /v1/webhooks/" + delivery.subscription_id +
      "/deliveries.\n";
  auto queued = notify::enqueue_email(conn, email, clock_);
  if (!queued) {
    // A creator address the mailer refuses must not undo the disabling; the audit entry stands.
    if (queued.error().errc() == Errc::internal) return fail(queued.error());
    spdlog::warn("webhook {}: disable notice not queued: {}", delivery.subscription_id, queued.error().message());
  }
  return {};
}

}  // namespace cs::events
