// Storage-backed webhook tests on both backends: the OAuth world of tests/oauth (partner org,
// customer accounts, users) plus an app holding webhook:manage with a real grant on the sandbox
// account (issued through the authorize/approve/token flow), a second app of another partner,
// the webhook service and dispatcher, and a job pump that claims and runs due jobs.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "crypto/field_cipher.hpp"
#include "events/domain_event.hpp"
#include "events/webhook_delivery.hpp"
#include "events/webhook_service.hpp"
#include "events/webhook_signature.hpp"
#include "oauth/oauth_fixture.hpp"
#include "store/job_queue.hpp"

namespace cs::events::testing {

using cs::oauth::testing::describe;

class WebhookTest : public cs::oauth::testing::OAuthTest {
 protected:
  void SetUp() override {
    OAuthTest::SetUp();
    app_ = make_app(partner_org_, developer_, "Acme Hooks");
    other_app_ = make_app(other_org_, other_developer_, "Initech Hooks");
    connect(app_, sandbox_, "account:read webhook:manage");
    connect(other_app_, sandbox_, "account:read webhook:manage");
    make_services(WebhookOptions{});
  }

  void make_services(WebhookOptions options) {
    options.allow_private_targets = true;  // the receiver is on loopback
    options.timeout = std::chrono::milliseconds(500);
    options_ = options;
    service_ = std::make_unique<WebhookService>(db(), clock_, audit_, cipher_, *directory_, options);
    dispatcher_ = std::make_unique<WebhookDispatcher>(db(), clock_, audit_, cipher_, options);
  }

  oauth::CreatedApp make_app(const std::string& org, const std::string& member, const std::string& name) {
    oauth::NewApp in = new_app();
    in.name = name;
    in.scopes = {"account:read", "webhook:manage"};
    in.partner_org_id = org;
    auto created = apps_->create(principal(member), in, {});
    EXPECT_TRUE(created) << describe(created.error());
    return created.value();
  }

  WebhookCaller caller(const oauth::CreatedApp& app, const std::string& account) const {
    return {account, app.app.id, admin_, {"127.0.0.1", "req-test"}};
  }
  WebhookCaller acme() const { return caller(app_, sandbox_); }

  SubscriptionWithSecret subscribe(const std::string& url, std::vector<std::string> events = {"*"}) {
    auto created = service_->create(acme(), {url, std::move(events), "test"});
    EXPECT_TRUE(created) << describe(created.error());
    return created.value();
  }

  // An envelope event on the sandbox account, published as esign will.
  DomainEvent publish(const std::string& type, const std::string& account = "") {
    DomainEvent e;
    e.type = type;
    e.account_id = account.empty() ? sandbox_ : account;
    e.envelope_id = "env_test";
    e.data = {{"envelope", {{"id", "env_test"}, {"status", "sent"}, {"email_subject", "Contract"}}}};
    auto conn = lease();
    auto published = events::publish(*conn, e, clock_);
    EXPECT_TRUE(published) << describe(published.error());
    return published.value();
  }

  // Claims and runs every due webhook job (a fan-out can make delivery jobs due at once);
  // answers how many ran.
  int run_jobs() {
    int ran = 0;
    for (;;) {
      auto claimed = store::claim(db(), "test-worker", 60 * kMicrosPerSecond,
                                  {std::string(kFanoutJobKind), std::string(kDeliverJobKind)}, clock_);
      EXPECT_TRUE(claimed);
      if (!claimed || !claimed->has_value()) return ran;
      const store::Job& job = **claimed;
      Status outcome = job.kind == kFanoutJobKind ? dispatcher_->fan_out(job) : dispatcher_->deliver(job);
      EXPECT_TRUE(outcome) << describe(outcome.error());
      EXPECT_TRUE(store::complete(db(), job, clock_));
      ++ran;
    }
  }

  std::vector<Delivery> deliveries(const std::string& subscription_id) {
    auto page = service_->deliveries(acme(), subscription_id, {});
    EXPECT_TRUE(page) << describe(page.error());
    return page ? page->items : std::vector<Delivery>{};
  }

  oauth::CreatedApp app_, other_app_;
  crypto::FieldCipher cipher_{keys_};
  WebhookOptions options_;
  std::unique_ptr<WebhookService> service_;
  std::unique_ptr<WebhookDispatcher> dispatcher_;
};

}  // namespace cs::events::testing
