// Pure parts of the webhooks: the Standard Webhooks signature (the specification's own example
// vector), the SSRF address table, URL syntax, the retry schedule and the event filter.
#include <gtest/gtest.h>

#include <numeric>

#include "crypto/primitives.hpp"
#include "events/url_guard.hpp"
#include "events/webhook_service.hpp"
#include "events/webhook_signature.hpp"
#include "events/webhook_types.hpp"

namespace cs::events {
namespace {

// The example of the Standard Webhooks specification and its reference libraries.
TEST(WebhookSignature, MatchesTheSpecificationExample) {
  auto key = webhook_secret_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  ASSERT_TRUE(key);
  EXPECT_EQ(sign_webhook(*key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, R"({"test": 2432232314})"),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST(WebhookSignature, EveryByteOfIdTimestampAndBodyIsSigned) {
  auto key = *webhook_secret_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  auto base = sign_webhook(key, "msg_1", 1614265330, "{}");
  EXPECT_NE(sign_webhook(key, "msg_2", 1614265330, "{}"), base);
  EXPECT_NE(sign_webhook(key, "msg_1", 1614265331, "{}"), base);
  EXPECT_NE(sign_webhook(key, "msg_1", 1614265330, "{ }"), base);
}

TEST(WebhookSignature, HeaderCarriesOneSignaturePerKeyInOrder) {
  auto a = *webhook_secret_key(generate_webhook_secret());
  auto b = *webhook_secret_key(generate_webhook_secret());
  auto header = webhook_signature_header({a, b}, "msg_x", 1700000000, "{\"a\":1}");
  EXPECT_EQ(header, sign_webhook(a, "msg_x", 1700000000, "{\"a\":1}") + " " + sign_webhook(b, "msg_x", 1700000000, "{\"a\":1}"));
}

TEST(WebhookSignature, SecretsAreWhsecPlusBase64Of32RandomBytes) {
  auto s1 = generate_webhook_secret();
  auto s2 = generate_webhook_secret();
  EXPECT_NE(s1, s2);
  ASSERT_EQ(s1.rfind("whsec_", 0), 0u);
  auto key = webhook_secret_key(s1);
  ASSERT_TRUE(key);
  EXPECT_EQ(key->size(), 32u);
  EXPECT_FALSE(webhook_secret_key("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));  // no prefix
  EXPECT_FALSE(webhook_secret_key("whsec_!!!"));
  EXPECT_FALSE(webhook_secret_key("whsec_"));
}

struct AddressCase {
  const char* ip;
  AddressClass expected;
};

class AddressTable : public ::testing::TestWithParam<AddressCase> {};

TEST_P(AddressTable, Classifies) { EXPECT_EQ(classify_address(GetParam().ip), GetParam().expected) << GetParam().ip; }

INSTANTIATE_TEST_SUITE_P(
    Ranges, AddressTable,
    ::testing::Values(
        AddressCase{"0.0.0.0", AddressClass::unspecified}, AddressCase{"0.1.2.3", AddressClass::unspecified},
        AddressCase{"127.0.0.1", AddressClass::loopback}, AddressCase{"127.255.255.254", AddressClass::loopback},
        AddressCase{"10.0.0.1", AddressClass::private_network}, AddressCase{"10.255.255.255", AddressClass::private_network},
        AddressCase{"172.16.0.1", AddressClass::private_network}, AddressCase{"172.31.255.255", AddressClass::private_network},
        AddressCase{"172.32.0.1", AddressClass::public_address}, AddressCase{"172.15.255.255", AddressClass::public_address},
        AddressCase{"192.168.1.1", AddressClass::private_network}, AddressCase{"100.64.0.1", AddressClass::shared_address},
        AddressCase{"100.127.255.255", AddressClass::shared_address}, AddressCase{"100.128.0.1", AddressClass::public_address},
        AddressCase{"169.254.169.254", AddressClass::link_local},  // cloud metadata
        AddressCase{"224.0.0.1", AddressClass::multicast}, AddressCase{"239.255.255.250", AddressClass::multicast},
        AddressCase{"255.255.255.255", AddressClass::reserved}, AddressCase{"240.0.0.1", AddressClass::reserved},
        AddressCase{"192.0.2.10", AddressClass::reserved}, AddressCase{"198.18.0.1", AddressClass::reserved},
        AddressCase{"8.8.8.8", AddressClass::public_address}, AddressCase{"93.184.216.34", AddressClass::public_address},
        AddressCase{"::", AddressClass::unspecified}, AddressCase{"::1", AddressClass::loopback},
        AddressCase{"fe80::1", AddressClass::link_local}, AddressCase{"febf::1", AddressClass::link_local},
        AddressCase{"fc00::1", AddressClass::private_network}, AddressCase{"fd12:3456::1", AddressClass::private_network},
        AddressCase{"ff02::1", AddressClass::multicast}, AddressCase{"fec0::1", AddressClass::reserved},
        AddressCase{"2001:db8::1", AddressClass::reserved}, AddressCase{"2001:0:4136:e378::1", AddressClass::reserved},
        AddressCase{"100::1", AddressClass::reserved}, AddressCase{"::127.0.0.1", AddressClass::reserved},
        // IPv4-mapped, NAT64 and 6to4 forms carry the IPv4 address's class.
        AddressCase{"::ffff:127.0.0.1", AddressClass::loopback}, AddressCase{"::ffff:10.1.2.3", AddressClass::private_network},
        AddressCase{"::ffff:169.254.169.254", AddressClass::link_local}, AddressCase{"::ffff:8.8.8.8", AddressClass::public_address},
        AddressCase{"64:ff9b::7f00:1", AddressClass::loopback}, AddressCase{"64:ff9b::808:808", AddressClass::public_address},
        AddressCase{"64:ff9b:1::1", AddressClass::private_network}, AddressCase{"2002:c0a8:0101::1", AddressClass::private_network},
        AddressCase{"2002:0808:0808::1", AddressClass::public_address},
        AddressCase{"2606:4700:4700::1111", AddressClass::public_address},
        AddressCase{"not-an-ip", AddressClass::reserved}));

UrlPolicy strict() { return {false}; }
UrlPolicy lenient() { return {true}; }

void expect_refused(std::string_view url, const UrlPolicy& policy, std::string_view code = "url_not_allowed") {
  auto r = check_webhook_url(url, policy);
  ASSERT_FALSE(r) << url << " was accepted";
  EXPECT_EQ(r.error().code(), code) << url << ": " << r.error().message();
}

TEST(UrlGuard, RequiresHttpsUnlessPrivateTargetsAreAllowed) {
  expect_refused("http://8.8.8.8/hook", strict());
  expect_refused("ftp://8.8.8.8/hook", lenient());
  auto ok = check_webhook_url("https://8.8.8.8/hook", strict());
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(ok->address, "8.8.8.8");
  EXPECT_EQ(ok->url.port, 443);
}

TEST(UrlGuard, RefusesEveryNonPublicLiteral) {
  for (auto url : {"https://127.0.0.1/", "https://127.1/", "https://0x7f000001/", "https://2130706433/", "https://10.0.0.5/",
                   "https://172.20.1.1:8443/", "https://192.168.0.10/", "https://100.64.1.1/", "https://169.254.169.254/latest",
                   "https://224.0.0.1/", "https://0.0.0.0/", "https://[::1]/", "https://[::ffff:127.0.0.1]/",
                   "https://[::ffff:7f00:1]/", "https://[fe80::1]/", "https://[fd00::1]/", "https://[ff02::1]/",
                   "https://[::]/", "https://[64:ff9b::a00:1]/"}) {
    expect_refused(url, strict());
  }
}

TEST(UrlGuard, ResolvesHostNamesAndChecksWhatTheyResolveTo) {
  expect_refused("https://localhost/hook", strict());
  expect_refused("https://localhost./hook", strict());
  auto r = check_webhook_url("https://localhost:9/hook", strict());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("loopback"), std::string::npos) << r.error().message();
  // The refused address goes to the log detail only.
  EXPECT_EQ(r.error().message().find("127.0.0.1"), std::string::npos);
  expect_refused("https://no-such-host.invalid/hook", strict());
  // The operator's test setting lets loopback (and http) through, pinned to the checked address.
  auto allowed = check_webhook_url("http://localhost:8080/hook", lenient());
  ASSERT_TRUE(allowed) << allowed.error().message();
  EXPECT_EQ(classify_address(allowed->address), AddressClass::loopback);
  EXPECT_EQ(allowed->url.port, 8080);
}

TEST(UrlGuard, RefusesCredentialsAndMalformedUrls) {
  expect_refused("https://user:pw@8.8.8.8/hook", strict());
  expect_refused("not a url", strict(), "validation_failed");
  expect_refused("/relative/path", strict(), "validation_failed");
  expect_refused("", strict(), "validation_failed");
  expect_refused("https://8.8.8.8/" + std::string(3000, 'a'), strict(), "validation_failed");
}

TEST(RetrySchedule, DefaultSpansAboutThreeDays) {
  auto s = default_retry_schedule();
  ASSERT_EQ(s.size(), 9u);  // ten attempts in all
  EXPECT_EQ(s.front(), 5 * kMicrosPerSecond);
  Micros total = std::accumulate(s.begin(), s.end(), Micros{0});
  EXPECT_GE(total, 70LL * 3600 * kMicrosPerSecond);
  EXPECT_LE(total, 74LL * 3600 * kMicrosPerSecond);
  for (std::size_t i = 1; i < s.size(); ++i) EXPECT_GE(s[i], s[i - 1]);
}

TEST(RetrySchedule, ParsesTheSettingAndRefusesNonsense) {
  auto s = parse_retry_schedule("1s, 2m,3h");
  ASSERT_TRUE(s);
  EXPECT_EQ(*s, (std::vector<Micros>{kMicrosPerSecond, 120 * kMicrosPerSecond, 3 * 3600 * kMicrosPerSecond}));
  for (auto bad : {"", "5", "5x", "0s", "-1s", "5s,,5s", "169h", "s"}) EXPECT_FALSE(parse_retry_schedule(bad)) << bad;
}

TEST(RetrySchedule, JitterStaysWithinTenPercent) {
  Micros d = 20LL * 3600 * kMicrosPerSecond;
  bool varied = false;
  Micros first = with_jitter(d);
  for (int i = 0; i < 200; ++i) {
    Micros j = with_jitter(d);
    EXPECT_GE(j, d - d / 10);
    EXPECT_LE(j, d + d / 10);
    varied = varied || j != first;
  }
  EXPECT_TRUE(varied);
}

TEST(EventFilter, AcceptsSubsetsOrStarOnly) {
  EXPECT_TRUE(validate_event_filter({"*"}));
  EXPECT_TRUE(validate_event_filter({"envelope.completed", "recipient.declined"}));
  auto check = [](std::vector<std::string> events, const char* field) {
    auto r = validate_event_filter(events);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), "validation_failed");
    EXPECT_EQ(r.error().field(), field);
  };
  check({}, "events");
  check({"envelope.created"}, "events/0");  // history only, never delivered
  check({"envelope.sent", "envelope.sent"}, "events/1");
  check({"envelope.sent", "*"}, "events/1");
  Subscription s;
  s.events = {"envelope.completed"};
  EXPECT_TRUE(s.wants("envelope.completed"));
  EXPECT_FALSE(s.wants("envelope.sent"));
  s.events = {"*"};
  EXPECT_TRUE(s.wants("recipient.sent"));
}

}  // namespace
}  // namespace cs::events
