// Subscriptions on both backends (issue 4 §4): CRUD scoped to account AND app, the secret shown
// once and stored only encrypted, rotation, validation, and the audit trail.
#include "webhook_fixture.hpp"

#include "events/webhook_repository.hpp"

namespace cs::events::testing {
namespace {

class WebhookServiceTest : public WebhookTest {};

TEST_P(WebhookServiceTest, CreatesListsUpdatesAndDeletes) {
  auto created = subscribe("http://127.0.0.1:9/hook", {"envelope.completed", "envelope.declined"});
  const auto& s = created.subscription;
  EXPECT_EQ(s.id.rfind("whk_", 0), 0u);
  EXPECT_EQ(created.secret.rfind("whsec_", 0), 0u);
  EXPECT_EQ(s.account_id, sandbox_);
  EXPECT_EQ(s.app_id, app_.app.id);
  EXPECT_TRUE(s.enabled);

  auto listed = service_->list(acme());
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().events, (std::vector<std::string>{"envelope.completed", "envelope.declined"}));

  SubscriptionPatch patch;
  patch.events = std::vector<std::string>{"*"};
  patch.enabled = false;
  auto updated = service_->update(acme(), s.id, patch);
  ASSERT_TRUE(updated) << describe(updated.error());
  EXPECT_FALSE(updated->enabled);
  EXPECT_EQ(updated->disabled_reason, "by_request");
  patch = {};
  patch.enabled = true;
  updated = service_->update(acme(), s.id, patch);
  ASSERT_TRUE(updated);
  EXPECT_TRUE(updated->enabled);
  EXPECT_FALSE(updated->disabled_reason);
  EXPECT_EQ(service_->get(acme(), s.id)->events, std::vector<std::string>{"*"});

  ASSERT_TRUE(service_->remove(acme(), s.id));
  auto gone = service_->get(acme(), s.id);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code(), "not_found");
  EXPECT_EQ(audit_entries("webhook.subscription.created").size(), 1u);
  EXPECT_EQ(audit_entries("webhook.subscription.updated").size(), 2u);
  EXPECT_EQ(audit_entries("webhook.subscription.deleted").size(), 1u);
}

TEST_P(WebhookServiceTest, AnotherAppOrAccountSeesNothing) {
  auto s = subscribe("http://127.0.0.1:9/hook").subscription;
  for (const auto& stranger : {caller(other_app_, sandbox_), caller(app_, production_)}) {
    EXPECT_EQ(service_->get(stranger, s.id).error().code(), "not_found");
    EXPECT_TRUE(service_->list(stranger)->empty());
    SubscriptionPatch patch;
    patch.enabled = false;
    EXPECT_EQ(service_->update(stranger, s.id, patch).error().code(), "not_found");
    EXPECT_EQ(service_->rotate_secret(stranger, s.id).error().code(), "not_found");
    EXPECT_EQ(service_->deliveries(stranger, s.id, {}).error().code(), "not_found");
    EXPECT_EQ(service_->retry(stranger, s.id, "msg_x").error().code(), "not_found");
    EXPECT_EQ(service_->remove(stranger, s.id).error().code(), "not_found");
  }
  EXPECT_TRUE(service_->get(acme(), s.id)->enabled);
}

TEST_P(WebhookServiceTest, SecretIsStoredOnlyEncryptedAndBoundToItsRow) {
  auto created = subscribe("http://127.0.0.1:9/hook");
  auto rotated = service_->rotate_secret(acme(), created.subscription.id);
  ASSERT_TRUE(rotated) << describe(rotated.error());
  auto conn = lease();
  auto row = conn->query_one("SELECT secret, previous_secret FROM webhook_subscriptions");
  ASSERT_TRUE(row && *row);
  for (int i = 0; i < 2; ++i) {
    const std::string& stored = (*row)->text(i);
    EXPECT_EQ(stored.rfind("v1.", 0), 0u) << stored;
    EXPECT_EQ(stored.find("whsec_"), std::string::npos);
  }
  std::string body_of_secret = created.secret.substr(6);
  // Nothing in any text column of the table holds either secret in plaintext.
  auto all = conn->query("SELECT * FROM webhook_subscriptions");
  ASSERT_TRUE(all);
  for (const auto& r : *all) {
    for (std::size_t i = 0; i < r.size(); ++i) {
      if (!std::holds_alternative<std::string>(r.value(i))) continue;
      EXPECT_EQ(r.text(i).find(body_of_secret), std::string::npos);
      EXPECT_EQ(r.text(i).find(rotated->secret.substr(6)), std::string::npos);
    }
  }
  // Copied to another column the ciphertext no longer opens (associated data).
  auto wrong = cipher_.decrypt((*row)->text(0), {"webhook_subscriptions", "previous_secret", created.subscription.id});
  EXPECT_FALSE(wrong);
  auto right = cipher_.decrypt((*row)->text(0), {"webhook_subscriptions", "secret", created.subscription.id});
  ASSERT_TRUE(right);
  EXPECT_EQ(*right, rotated->secret);
  auto previous = cipher_.decrypt((*row)->text(1), {"webhook_subscriptions", "previous_secret", created.subscription.id});
  ASSERT_TRUE(previous);
  EXPECT_EQ(*previous, created.secret);
  EXPECT_EQ(rotated->subscription.previous_secret_expires_at, clock_.now() + 24LL * 3600 * kMicrosPerSecond);
  EXPECT_EQ(audit_entries("webhook.secret.rotated").size(), 1u);
}

TEST_P(WebhookServiceTest, RefusesBadInputAndWritesNothing) {
  auto expect = [&](NewSubscription in, const char* code) {
    auto r = service_->create(acme(), in);
    ASSERT_FALSE(r) << in.url;
    EXPECT_EQ(r.error().code(), code) << in.url << ": " << r.error().message();
  };
  expect({"http://127.0.0.1:9/hook", {}, ""}, "validation_failed");
  expect({"http://127.0.0.1:9/hook", {"envelope.created"}, ""}, "validation_failed");
  expect({"http://127.0.0.1:9/hook", {"*"}, std::string(501, 'x')}, "validation_failed");
  expect({"ftp://127.0.0.1/hook", {"*"}, ""}, "url_not_allowed");
  expect({"no url", {"*"}, ""}, "validation_failed");
  EXPECT_EQ(count("SELECT count(*) FROM webhook_subscriptions"), 0);

  // Private targets: refused unless the operator allows them.
  WebhookOptions strict;
  WebhookService guarded(db(), clock_, audit_, cipher_, *directory_, strict);
  for (auto url : {"https://127.0.0.1/hook", "https://localhost/hook", "https://10.1.2.3/hook", "http://8.8.8.8/hook",
                   "https://[::ffff:192.168.0.1]/hook"}) {
    auto r = guarded.create(acme(), {url, {"*"}, ""});
    ASSERT_FALSE(r) << url;
    EXPECT_EQ(r.error().code(), "url_not_allowed") << url;
  }
  auto s = subscribe("http://127.0.0.1:9/hook").subscription;
  SubscriptionPatch patch;
  patch.url = "https://169.254.169.254/latest/meta-data";
  EXPECT_EQ(guarded.update(acme(), s.id, patch).error().code(), "url_not_allowed");
  EXPECT_EQ(service_->get(acme(), s.id)->url, "http://127.0.0.1:9/hook");
  EXPECT_EQ(count("SELECT count(*) FROM webhook_subscriptions"), 1);
}

TEST_P(WebhookServiceTest, AtMostTwentySubscriptionsPerAppAndAccount) {
  for (std::size_t i = 0; i < kMaxSubscriptionsPerApp; ++i) subscribe("http://127.0.0.1:9/hook" + std::to_string(i));
  auto r = service_->create(acme(), {"http://127.0.0.1:9/one-more", {"*"}, ""});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), "validation_failed");
  // Another app's quota is its own.
  EXPECT_TRUE(service_->create(caller(other_app_, sandbox_), {"http://127.0.0.1:9/x", {"*"}, ""}));
}

CS_INSTANTIATE_BOTH_BACKENDS(WebhookServiceTest);

}  // namespace
}  // namespace cs::events::testing
