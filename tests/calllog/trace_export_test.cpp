// HAR 1.2 and JSON exports of a trace capture (issue 5 §3), and what the certification trace
// check (certification/trace_scan.hpp) makes of them: it must parse them and find no live secret
// once redaction ran, while the same exchanges unredacted are caught.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "calllog/har_export.hpp"
#include "calllog/redaction.hpp"
#include "certification/trace_scan.hpp"
#include "crypto/tokens.hpp"

namespace cs::calllog {
namespace {

constexpr Micros kAt = 1'772'409'600LL * kMicrosPerSecond + 123'456;  // 2026-03-02T00:00:00.123456Z

struct Secrets {
  std::string access = crypto::generate_token(crypto::kAccessTokenPrefix);
  std::string refresh = crypto::generate_token(crypto::kRefreshTokenPrefix);
  std::string client_secret = crypto::generate_token(crypto::kClientSecretPrefix);
  std::string webhook = crypto::generate_token(crypto::kWebhookSecretPrefix);
};

// Three exchanges as an app makes them, before redaction.
std::vector<TraceEntry> raw_entries(const Secrets& s) {
  std::vector<TraceEntry> out;
  TraceEntry token;
  token.seq = 1;
  token.at = kAt;
  token.request_id = "req-1";
  token.method = "POST";
  token.url = "/oauth/token";
  token.status = 200;
  token.latency_us = 1500;
  token.request_headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                           {"Authorization", "Basic aWtfMTpzZWNyZXQ="}};
  token.request_body =
      "grant_type=refresh_token&refresh_token=" + s.refresh + "&client_secret=" + s.client_secret;
  token.response_headers = {{"Content-Type", "application/json"}, {"Cache-Control", "no-store"}};
  token.response_body = nlohmann::json{
      {"access_token", s.access},
      {"refresh_token", s.refresh},
      {"token_type", "Bearer"},
      {"expires_in", 3600}}.dump();
  out.push_back(token);

  TraceEntry read;
  read.seq = 2;
  read.at = kAt + 5'000'000;
  read.request_id = "req-2";
  read.method = "GET";
  read.url = "/v1/envelopes/env_1?include=recipients&access_token=" + s.access;
  read.status = 200;
  read.latency_us = 800;
  read.request_headers = {{"Authorization", "Bearer " + s.access}, {"Cookie", "sid=abc"}};
  read.response_headers = {{"Content-Type", "application/json"}};
  read.response_body = R"({"id":"env_1","status":"sent"})";
  out.push_back(read);

  TraceEntry hook;
  hook.seq = 3;
  hook.at = kAt + 9'000'000;
  hook.request_id = "req-3";
  hook.method = "POST";
  hook.url = "/v1/webhooks";
  hook.status = 201;
  hook.latency_us = 2000;
  hook.request_headers = {{"Authorization", "Bearer " + s.access},
                          {"Content-Type", "application/json"}};
  hook.request_body = R"({"url":"https://partner.example/hooks","events":["envelope.completed"]})";
  hook.response_headers = {{"Content-Type", "application/json"},
                           {"Location", "/v1/webhooks/whk_1"}};
  hook.response_body = nlohmann::json{{"id", "whk_1"}, {"secret", s.webhook}}.dump();
  out.push_back(hook);
  return out;
}

// What TraceCaptures::write stores for each entry.
std::vector<TraceEntry> redacted(std::vector<TraceEntry> entries) {
  for (auto& e : entries) {
    auto type = [](const TraceHeaders& h) {
      for (const auto& [n, v] : h) {
        if (n == "Content-Type") return v;
      }
      return std::string();
    };
    e.url = redact_target(e.url);
    e.request_body = redact_body(type(e.request_headers), e.request_body);
    e.response_body = redact_body(type(e.response_headers), e.response_body);
    e.request_headers = redact_headers(e.request_headers);
    e.response_headers = redact_headers(e.response_headers);
  }
  return entries;
}

TraceCapture capture() {
  TraceCapture c;
  c.id = "trc_test";
  c.app_id = "app_test";
  c.started_at = kAt - 1'000'000;
  c.expires_at = kAt + 3600LL * kMicrosPerSecond;
  c.max_requests = 50;
  c.captured = 3;
  return c;
}

std::string document(TraceExportFormat format, const std::vector<TraceEntry>& entries) {
  std::string out = export_prologue(format, capture(), "0.1.0", kAt);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (i) out += ',';
    out += (format == TraceExportFormat::har ? har_entry(entries[i], "https://cs.example")
                                             : json_entry(entries[i], "https://cs.example"))
               .dump();
  }
  return out + export_epilogue(format);
}

TEST(TraceExport, HarHasTheFieldsOfHar12) {
  Secrets s;
  auto har = nlohmann::json::parse(document(TraceExportFormat::har, redacted(raw_entries(s))));
  const auto& log = har["log"];
  EXPECT_EQ(log["version"], "1.2");
  EXPECT_EQ(log["creator"]["name"], "Countersign");
  EXPECT_EQ(log["creator"]["version"], "0.1.0");
  ASSERT_EQ(log["entries"].size(), 3u);
  const auto& read = log["entries"][1];
  EXPECT_EQ(read["startedDateTime"], "2026-03-02T00:00:05.123456Z");
  EXPECT_DOUBLE_EQ(read["time"].get<double>(), 0.8);
  EXPECT_EQ(read["request"]["method"], "GET");
  EXPECT_EQ(read["request"]["url"],
            "https://cs.example/v1/envelopes/env_1?include=recipients&access_token=%5BREDACTED%5D");
  EXPECT_EQ(read["request"]["httpVersion"], "HTTP/1.1");
  EXPECT_EQ(read["request"]["queryString"],
            (nlohmann::json{{{"name", "include"}, {"value", "recipients"}},
                            {{"name", "access_token"}, {"value", "[REDACTED]"}}}));
  EXPECT_FALSE(read["request"].contains("postData"));  // a GET has no body
  EXPECT_EQ(read["request"]["headersSize"], -1);
  EXPECT_TRUE(read["request"]["cookies"].is_array());
  EXPECT_EQ(read["response"]["status"], 200);
  EXPECT_EQ(read["response"]["statusText"], "OK");
  EXPECT_EQ(read["response"]["content"]["mimeType"], "application/json");
  EXPECT_EQ(read["response"]["content"]["text"], R"({"id":"env_1","status":"sent"})");
  EXPECT_EQ(read["response"]["content"]["size"], 30);
  EXPECT_EQ(read["response"]["redirectURL"], "");
  EXPECT_TRUE(read["cache"].is_object());
  EXPECT_DOUBLE_EQ(read["timings"]["wait"].get<double>(), 0.8);
  const auto& token = log["entries"][0];
  EXPECT_EQ(token["request"]["postData"]["mimeType"], "application/x-www-form-urlencoded");
  EXPECT_EQ(token["request"]["postData"]["text"],
            "grant_type=refresh_token&refresh_token=%5BREDACTED%5D&client_secret=%5BREDACTED%5D");
  EXPECT_EQ(log["entries"][2]["response"]["statusText"], "Created");
  EXPECT_EQ(log["entries"][2]["response"]["redirectURL"], "/v1/webhooks/whk_1");
}

TEST(TraceExport, JsonExportNamesTheCaptureAndItsEntries) {
  Secrets s;
  auto doc = nlohmann::json::parse(document(TraceExportFormat::json, redacted(raw_entries(s))));
  EXPECT_EQ(doc["format"], "countersign-trace");
  EXPECT_EQ(doc["capture"]["id"], "trc_test");
  EXPECT_EQ(doc["capture"]["captured"], 3);
  EXPECT_EQ(doc["capture"]["active"], true);
  ASSERT_EQ(doc["entries"].size(), 3u);
  EXPECT_EQ(doc["entries"][2]["request"]["url"], "https://cs.example/v1/webhooks");
  EXPECT_EQ(doc["entries"][2]["response"]["status"], 201);
  EXPECT_EQ(
      nlohmann::json::parse(doc["entries"][2]["response"]["body"].get<std::string>())["secret"],
      "[REDACTED]");
}

TEST(TraceExport, EmptyCaptureIsAValidDocument) {
  auto har = nlohmann::json::parse(document(TraceExportFormat::har, {}));
  EXPECT_TRUE(har["log"]["entries"].empty());
  auto json = nlohmann::json::parse(document(TraceExportFormat::json, {}));
  EXPECT_TRUE(json["entries"].empty());
}

TEST(TraceExport, CertificationTraceCheckAcceptsBothExportsWithoutLiveSecrets) {
  Secrets s;
  auto entries = redacted(raw_entries(s));
  for (auto [format, name] : {std::pair{TraceExportFormat::har, "capture.har"},
                              std::pair{TraceExportFormat::json, "capture.json"}}) {
    auto bytes = document(format, entries);
    auto report = certification::analyse_trace(bytes, name);
    ASSERT_TRUE(report) << name << ": " << report.error().message();
    EXPECT_EQ(report->format, format == TraceExportFormat::har ? certification::TraceFormat::har
                                                               : certification::TraceFormat::json);
    EXPECT_EQ(report->pair_count(), 3u) << name;
    for (const auto& f : report->secrets)
      ADD_FAILURE() << name << ": live secret at " << f.location();
    EXPECT_TRUE(report->functions_covered.contains("webhooks")) << name;
    for (const auto& secret : {s.access, s.refresh, s.client_secret, s.webhook}) {
      EXPECT_EQ(bytes.find(secret), std::string::npos) << name;
    }
  }
}

// The check above would fail without redaction: the scanner sees the same exchanges' secrets.
TEST(TraceExport, TheSameExchangesUnredactedAreCaught) {
  Secrets s;
  auto report =
      certification::analyse_trace(document(TraceExportFormat::har, raw_entries(s)), "raw.har");
  ASSERT_TRUE(report) << report.error().message();
  EXPECT_GE(report->secrets.size(), 5u);
}

TEST(TraceExport, ReasonPhrases) {
  EXPECT_EQ(reason_phrase(429), "Too Many Requests");
  EXPECT_EQ(reason_phrase(422), "Unprocessable Content");
  EXPECT_EQ(reason_phrase(299), "");
}

}  // namespace
}  // namespace cs::calllog
