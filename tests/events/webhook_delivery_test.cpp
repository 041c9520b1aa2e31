// Fan-out and delivery on both backends against a real HTTP receiver on loopback (issue 4 §4):
// Standard Webhooks headers and signature, retries on the schedule (ManualClock), redirects not
// followed, timeouts, a receiver that comes back, auto-disable with email and audit, rotation
// signing with both secrets, manual redelivery and the delivery log.
#include <nlohmann/json.hpp>

#include "receiver.hpp"
#include "store/params.hpp"
#include "webhook_fixture.hpp"

namespace cs::events::testing {
namespace {

constexpr Micros kSecond = kMicrosPerSecond;

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= s.size()) {
    auto sp = s.find(' ', pos);
    out.push_back(s.substr(pos, sp == std::string::npos ? std::string::npos : sp - pos));
    if (sp == std::string::npos) break;
    pos = sp + 1;
  }
  return out;
}

// The receiver's side of the scheme: does any signature of the request verify under `secret`?
bool verifies(const Received& r, const std::string& secret) {
  auto key = webhook_secret_key(secret);
  if (!key) return false;
  auto expected = sign_webhook(*key, r.headers.at("webhook-id"), std::stoll(r.headers.at("webhook-timestamp")), r.body);
  for (const auto& sig : split(r.headers.at("webhook-signature"))) {
    if (sig == expected) return true;
  }
  return false;
}

class WebhookDeliveryTest : public WebhookTest {};

TEST_P(WebhookDeliveryTest, FanOutFollowsFiltersAccountsAndLiveGrants) {
  auto completed_only = subscribe("http://127.0.0.1:9/a", {"envelope.completed"}).subscription;
  auto everything = subscribe("http://127.0.0.1:9/b").subscription;
  auto rival = service_->create(caller(other_app_, sandbox_), {"http://127.0.0.1:9/c", {"*"}, ""}).value().subscription;
  auto paused = subscribe("http://127.0.0.1:9/d").subscription;
  SubscriptionPatch off;
  off.enabled = false;
  ASSERT_TRUE(service_->update(acme(), paused.id, off));

  auto sent = publish("envelope.sent");
  publish("envelope.created");              // history only: no fan-out job at all
  publish("envelope.sent", production_);    // another account: no subscription there
  run_jobs();
  EXPECT_EQ(deliveries(completed_only.id).size(), 0u);
  ASSERT_EQ(deliveries(everything.id).size(), 1u);
  EXPECT_EQ(deliveries(everything.id)[0].event_id, sent.id);
  EXPECT_EQ(service_->deliveries(caller(other_app_, sandbox_), rival.id, {})->items.size(), 1u);
  EXPECT_EQ(deliveries(paused.id).size(), 0u);

  // A fan-out job that runs twice (crash after the commit) adds nothing.
  {
    auto conn = lease();
    ASSERT_TRUE(store::enqueue(*conn, {std::string(kFanoutJobKind), nlohmann::json{{"event_id", sent.id}}.dump()}, clock_));
  }
  run_jobs();
  EXPECT_EQ(deliveries(everything.id).size(), 1u);

  // The rival app loses its grant on the account: its subscription stops receiving events.
  ASSERT_EQ(count("SELECT count(*) FROM oauth_grants WHERE revoked_at IS NULL AND app_id = '" + other_app_.app.id + "'"), 1);
  {
    auto conn = lease();
    ASSERT_TRUE(conn->exec("UPDATE oauth_grants SET revoked_at = 1 WHERE app_id = $1", store::params(other_app_.app.id)));
  }
  publish("envelope.completed");
  run_jobs();
  EXPECT_EQ(deliveries(completed_only.id).size(), 1u);
  EXPECT_EQ(deliveries(everything.id).size(), 2u);
  EXPECT_EQ(service_->deliveries(caller(other_app_, sandbox_), rival.id, {})->items.size(), 1u);
}

TEST_P(WebhookDeliveryTest, DeliversASignedStandardWebhook) {
  Receiver receiver;
  auto created = subscribe(receiver.url());
  auto event = publish("envelope.completed");
  EXPECT_EQ(run_jobs(), 2);  // fan-out, then the delivery
  auto got = receiver.received();
  ASSERT_EQ(got.size(), 1u);
  const Received& r = got[0];
  auto log = deliveries(created.subscription.id);
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(r.headers.at("webhook-id"), log[0].id);
  EXPECT_EQ(log[0].id.rfind("msg_", 0), 0u);
  EXPECT_EQ(r.headers.at("webhook-timestamp"), std::to_string(clock_.now() / kSecond));
  EXPECT_EQ(r.headers.at("content-type"), "application/json");
  EXPECT_EQ(r.headers.at("user-agent").rfind("Countersign-Webhooks/", 0), 0u);
  EXPECT_EQ(split(r.headers.at("webhook-signature")).size(), 1u);
  EXPECT_TRUE(verifies(r, created.secret));
  EXPECT_FALSE(verifies(r, generate_webhook_secret()));
  auto body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body["type"], "envelope.completed");
  EXPECT_EQ(body["timestamp"], format_rfc3339(event.occurred_at));
  EXPECT_EQ(body["data"]["event_id"], event.id);
  EXPECT_EQ(body["data"]["account_id"], sandbox_);
  EXPECT_EQ(body["data"]["envelope"]["email_subject"], "Contract");

  EXPECT_EQ(log[0].status, "succeeded");
  EXPECT_EQ(log[0].last_status_code, 200);
  ASSERT_EQ(log[0].attempts.size(), 1u);
  EXPECT_EQ(log[0].attempts[0].kind, "automatic");
  EXPECT_EQ(log[0].attempts[0].status_code, 200);
  EXPECT_FALSE(log[0].attempts[0].error);
  EXPECT_EQ(log[0].attempts[0].response_body, "ok");
  EXPECT_GE(log[0].attempts[0].latency_ms, 0);
}

TEST_P(WebhookDeliveryTest, A500IsRetriedOnTheScheduleWithTheSameId) {
  Receiver receiver;
  receiver.respond(500);
  auto created = subscribe(receiver.url());
  publish("envelope.sent");
  run_jobs();
  auto d = deliveries(created.subscription.id).at(0);
  EXPECT_EQ(d.status, "pending");
  EXPECT_EQ(d.attempts.at(0).status_code, 500);
  EXPECT_EQ(d.attempts.at(0).error, "HTTP 500");
  EXPECT_EQ(d.attempts.at(0).response_body, "receiver says no");
  ASSERT_TRUE(d.next_attempt_at);
  EXPECT_GE(*d.next_attempt_at, clock_.now() + 4500000);  // 5 s - 10 %
  EXPECT_LE(*d.next_attempt_at, clock_.now() + 5500000);

  EXPECT_EQ(run_jobs(), 0);  // not due yet
  clock_.advance(6 * kSecond);
  EXPECT_EQ(run_jobs(), 1);
  d = deliveries(created.subscription.id).at(0);
  EXPECT_EQ(d.attempts.size(), 2u);
  EXPECT_GE(*d.next_attempt_at, clock_.now() + 270 * kSecond);  // 5 min - 10 %
  EXPECT_LE(*d.next_attempt_at, clock_.now() + 330 * kSecond);

  receiver.respond(204);
  clock_.advance(6 * 60 * kSecond);
  EXPECT_EQ(run_jobs(), 1);
  d = deliveries(created.subscription.id).at(0);
  EXPECT_EQ(d.status, "succeeded");
  EXPECT_EQ(d.automatic_attempts, 3);
  EXPECT_FALSE(d.next_attempt_at);
  auto got = receiver.received();
  ASSERT_EQ(got.size(), 3u);
  for (const auto& r : got) {
    EXPECT_EQ(r.headers.at("webhook-id"), d.id);
    EXPECT_TRUE(verifies(r, created.secret));
  }
  EXPECT_NE(got[0].headers.at("webhook-timestamp"), got[2].headers.at("webhook-timestamp"));
}

TEST_P(WebhookDeliveryTest, ARedirectIsAFailureAndNotFollowed) {
  Receiver receiver;
  Receiver elsewhere;
  receiver.respond(302, elsewhere.url());
  auto created = subscribe(receiver.url());
  publish("envelope.sent");
  run_jobs();
  EXPECT_EQ(receiver.received().size(), 1u);
  EXPECT_TRUE(elsewhere.received().empty());
  auto d = deliveries(created.subscription.id).at(0);
  EXPECT_EQ(d.status, "pending");
  EXPECT_EQ(d.attempts.at(0).status_code, 302);
  EXPECT_EQ(d.attempts.at(0).error, "HTTP 302: redirects are not followed");
}

TEST_P(WebhookDeliveryTest, ASlowReceiverTimesOut) {
  Receiver receiver;
  receiver.delay(std::chrono::milliseconds(2000));  // the test options allow 500 ms
  auto created = subscribe(receiver.url());
  publish("envelope.sent");
  run_jobs();
  auto d = deliveries(created.subscription.id).at(0);
  EXPECT_EQ(d.status, "pending");
  ASSERT_EQ(d.attempts.size(), 1u);
  EXPECT_FALSE(d.attempts[0].status_code);
  ASSERT_TRUE(d.attempts[0].error);
  EXPECT_NE(d.attempts[0].error->find("timeout"), std::string::npos) << *d.attempts[0].error;
}

TEST_P(WebhookDeliveryTest, AReceiverThatIsDownGetsTheDeliveryWhenItReturns) {
  std::uint16_t port;
  { port = Receiver().port(); }  // a port nobody listens on now
  auto created = subscribe("http://127.0.0.1:" + std::to_string(port) + "/hook");
  publish("recipient.completed");
  run_jobs();
  auto d = deliveries(created.subscription.id).at(0);
  EXPECT_EQ(d.status, "pending");
  EXPECT_FALSE(d.attempts.at(0).status_code);
  EXPECT_TRUE(d.attempts.at(0).error);

  Receiver back(port);
  clock_.advance(6 * kSecond);
  EXPECT_EQ(run_jobs(), 1);
  d = deliveries(created.subscription.id).at(0);
  EXPECT_EQ(d.status, "succeeded");
  ASSERT_EQ(back.received().size(), 1u);
  EXPECT_TRUE(verifies(back.received()[0], created.secret));
}

TEST_P(WebhookDeliveryTest, AfterTheLastRetryTheSubscriptionIsDisabledAndTheCreatorTold) {
  WebhookOptions quick;
  quick.retry_schedule = {kSecond, 2 * kSecond};
  make_services(quick);
  Receiver receiver;
  receiver.respond(503);
  auto created = subscribe(receiver.url());
  publish("envelope.voided");
  run_jobs();
  clock_.advance(2 * kSecond);
  run_jobs();
  clock_.advance(3 * kSecond);
  run_jobs();
  auto d = deliveries(created.subscription.id).at(0);
  EXPECT_EQ(d.status, "failed");
  EXPECT_EQ(d.attempts.size(), 3u);
  EXPECT_FALSE(d.next_attempt_at);
  auto sub = service_->get(acme(), created.subscription.id).value();
  EXPECT_FALSE(sub.enabled);
  EXPECT_EQ(sub.disabled_reason, "deliveries_failing");
  auto audits = audit_entries("webhook.subscription.disabled");
  ASSERT_EQ(audits.size(), 1u);
  auto conn = lease();
  auto mail = conn->query("SELECT payload FROM jobs WHERE kind = 'email.send'");
  ASSERT_TRUE(mail);
  ASSERT_EQ(mail->size(), 1u);
  auto email = nlohmann::json::parse((*mail)[0].text(0));
  EXPECT_EQ(email["to"], "admin@customer.example");
  EXPECT_EQ(email["category"], "webhook_disabled");
  EXPECT_NE(email.dump().find(created.subscription.id), std::string::npos);

  // Disabled: new events are not delivered, and redelivery waits until it is enabled again.
  publish("envelope.sent");
  run_jobs();
  EXPECT_EQ(deliveries(created.subscription.id).size(), 1u);
  EXPECT_EQ(service_->retry(acme(), sub.id, d.id).error().code(), "invalid_state");
  SubscriptionPatch on;
  on.enabled = true;
  ASSERT_TRUE(service_->update(acme(), sub.id, on));
  receiver.respond(200);
  auto retried = service_->retry(acme(), sub.id, d.id);
  ASSERT_TRUE(retried) << describe(retried.error());
  EXPECT_EQ(retried->status, "pending");
  EXPECT_EQ(run_jobs(), 1);
  d = deliveries(created.subscription.id).at(0);
  EXPECT_EQ(d.status, "succeeded");
  EXPECT_EQ(d.attempts.back().kind, "manual");
  EXPECT_EQ(receiver.received().size(), 4u);
}

TEST_P(WebhookDeliveryTest, ARotatedSecretSignsAlongsideTheOldOneFor24Hours) {
  Receiver receiver;
  auto created = subscribe(receiver.url());
  auto rotated = service_->rotate_secret(acme(), created.subscription.id).value();
  publish("envelope.sent");
  run_jobs();
  auto first = receiver.received().at(0);
  auto sigs = split(first.headers.at("webhook-signature"));
  ASSERT_EQ(sigs.size(), 2u);
  auto key_new = *webhook_secret_key(rotated.secret);
  auto key_old = *webhook_secret_key(created.secret);
  auto id = first.headers.at("webhook-id");
  auto ts = std::stoll(first.headers.at("webhook-timestamp"));
  EXPECT_EQ(sigs[0], sign_webhook(key_new, id, ts, first.body));
  EXPECT_EQ(sigs[1], sign_webhook(key_old, id, ts, first.body));

  clock_.advance(24LL * 3600 * kSecond + kSecond);
  publish("envelope.completed");
  run_jobs();
  auto second = receiver.received().at(1);
  EXPECT_EQ(split(second.headers.at("webhook-signature")).size(), 1u);
  EXPECT_TRUE(verifies(second, rotated.secret));
  EXPECT_FALSE(verifies(second, created.secret));
}

TEST_P(WebhookDeliveryTest, AManualRetrySupersedesTheScheduledAttempt) {
  Receiver receiver;
  receiver.respond(500);
  auto created = subscribe(receiver.url());
  publish("envelope.sent");
  run_jobs();
  auto d = deliveries(created.subscription.id).at(0);
  receiver.respond(200);
  ASSERT_TRUE(service_->retry(acme(), created.subscription.id, d.id));
  EXPECT_EQ(run_jobs(), 1);
  clock_.advance(60 * kSecond);
  EXPECT_EQ(run_jobs(), 1);  // the old scheduled job runs and finds itself superseded
  EXPECT_EQ(receiver.received().size(), 2u);
  d = deliveries(created.subscription.id).at(0);
  EXPECT_EQ(d.status, "succeeded");
  EXPECT_EQ(d.automatic_attempts, 1);
  EXPECT_EQ(service_->retry(acme(), created.subscription.id, "msg_nope").error().code(), "not_found");
}

TEST_P(WebhookDeliveryTest, TheUrlIsCheckedAgainAtDelivery) {
  auto created = subscribe("http://127.0.0.1:9/hook");
  WebhookOptions strict;
  dispatcher_ = std::make_unique<WebhookDispatcher>(db(), clock_, audit_, cipher_, strict);
  publish("envelope.sent");
  run_jobs();
  auto d = deliveries(created.subscription.id).at(0);
  ASSERT_EQ(d.attempts.size(), 1u);
  EXPECT_FALSE(d.attempts[0].status_code);
  EXPECT_EQ(d.attempts[0].error.value_or("").rfind("url_not_allowed", 0), 0u) << d.attempts[0].error.value_or("");
}

TEST_P(WebhookDeliveryTest, TheDeliveryLogPagesNewestFirstAndFilters) {
  auto created = subscribe("http://127.0.0.1:9/hook");
  for (auto type : {"envelope.sent", "envelope.delivered", "envelope.completed"}) publish(type);
  run_jobs();
  DeliveryQuery q;
  q.limit = 2;
  auto page = service_->deliveries(acme(), created.subscription.id, q).value();
  ASSERT_EQ(page.items.size(), 2u);
  EXPECT_EQ(page.items[0].event_type, "envelope.completed");
  EXPECT_EQ(page.items[1].event_type, "envelope.delivered");
  ASSERT_TRUE(page.next_cursor);
  q.cursor = page.next_cursor;
  auto rest = service_->deliveries(acme(), created.subscription.id, q).value();
  ASSERT_EQ(rest.items.size(), 1u);
  EXPECT_EQ(rest.items[0].event_type, "envelope.sent");
  EXPECT_FALSE(rest.next_cursor);
  q = {};
  q.status = "succeeded";
  EXPECT_TRUE(service_->deliveries(acme(), created.subscription.id, q)->items.empty());
  q.status = "pending";
  EXPECT_EQ(service_->deliveries(acme(), created.subscription.id, q)->items.size(), 3u);
  q = {};
  q.cursor = "msg_unknown";
  EXPECT_EQ(service_->deliveries(acme(), created.subscription.id, q).error().code(), "invalid_request");
}

CS_INSTANTIATE_BOTH_BACKENDS(WebhookDeliveryTest);

}  // namespace
}  // namespace cs::events::testing
