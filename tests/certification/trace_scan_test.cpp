// Trace analysis (issue 6 §3; TRC-1, TRC-2): formats, request/response pairs, the function
// mapping and the secret scanner. The browser HAR is recorded by Debian's chromium (through
// playwright-core's recordHar) against a small HTTP server on loopback, as a partner would.
#include "certification/trace_scan.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <random>
#include <nlohmann/json.hpp>

#include "crypto/primitives.hpp"
#include "support/temp_dir.hpp"

namespace cs::certification {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using nlohmann::json;

const std::string kAccess = "cs_at_" + std::string(43, 'A');
const std::string kSession = "cs_ss_" + std::string(43, 'S');

// Starts a loopback server that answers like the eSignature API, and has chromium call it with
// a bearer token the way a partner's browser app would; the browser context records the HAR.
constexpr const char* kRecorder = R"JS(
const http = require('node:http');
const { chromium } = require(process.env.CS_SOURCE_DIR + '/node_modules/playwright-core');
const [harPath, token, session] = process.argv.slice(2);
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const json = (status, value) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    if (req.url === '/') {
      res.writeHead(200, { 'Content-Type': 'text/html', 'Set-Cookie': `cs_session=${session}; Path=/; HttpOnly` });
      return res.end('<!doctype html><title>partner app</title><p>Partner app</p>');
    }
    if (req.method === 'POST' && req.url === '/v1/envelopes') return json(201, { id: 'env_1', status: 'sent' });
    if (req.method === 'GET' && req.url.startsWith('/v1/envelopes/env_1')) return json(200, { id: 'env_1' });
    if (req.url === '/v1/envelopes/env_1/views/recipient') return json(201, { url: 'http://x/sign/embedded/v' });
    if (req.url.startsWith('/v1/webhooks')) return json(200, { data: [] });
    json(404, { code: 'not_found' });
  });
});
server.listen(0, '127.0.0.1', async () => {
  const base = `http://127.0.0.1:${server.address().port}`;
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic'] });
  try {
    const context = await browser.newContext({ recordHar: { path: harPath, content: 'embed' } });
    const page = await context.newPage();
    await page.goto(base + '/');
    await page.evaluate(async (token) => {
      const call = (method, path, body) => fetch(path, { method, body: body && JSON.stringify(body),
        headers: { Authorization: 'Bearer ' + token, ...(body ? { 'Content-Type': 'application/json' } : {}) } });
      await call('POST', '/v1/envelopes', { email_subject: 'Please sign', status: 'sent' });
      await call('GET', '/v1/envelopes/env_1');
      await call('GET', '/v1/envelopes/env_1/events');
      await call('POST', '/v1/envelopes/env_1/views/recipient', { client_user_id: 'u1' });
      await call('GET', '/v1/webhooks?limit=10');
    }, token);
    await context.close();
  } finally {
    await browser.close();
    server.close();
  }
});
)JS";

std::string browser_har() {
  static const std::string har = [] {
    testing::TempDir dir;
    std::ofstream(dir / "record.cjs") << kRecorder;
    const auto cmd = "node " + (dir / "record.cjs").string() + " " + (dir / "browser.har").string() + " " +
                     kAccess + " " + kSession;
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
    std::ifstream in(dir / "browser.har");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }();
  return har;
}

TraceReport analyse_ok(std::string_view text, std::string_view name = "trace.json") {
  auto r = analyse_trace(text, name);
  EXPECT_TRUE(r.has_value()) << r.error().message();
  return r ? *r : TraceReport{};
}

void expect_refused(std::string_view text, std::string_view message_part) {
  const auto r = analyse_trace(text, "upload.har");
  ASSERT_FALSE(r.has_value()) << "accepted";
  EXPECT_EQ(r.error().errc(), Errc::validation_failed);
  EXPECT_THAT(r.error().message(), HasSubstr(std::string(message_part)));
}

// One finding as "kind entry side place name" for compact assertions.
std::vector<std::string> where(const TraceReport& r) {
  std::vector<std::string> out;
  for (const auto& f : r.secrets)
    out.push_back(std::string(to_string(f.kind)) + " " + std::to_string(f.entry) + " " + std::string(to_string(f.side)) +
                  " " + std::string(to_string(f.place)) + " " + f.name);
  return out;
}

std::string entry(const std::string& method, const std::string& url, int status, const std::string& request_extra = "",
                  const std::string& response_extra = "") {
  return R"({"request": {"method": ")" + method + R"(", "url": ")" + url + "\"" + request_extra +
         R"(}, "response": {"status": )" + std::to_string(status) + response_extra + "}}";
}

std::string har(const std::vector<std::string>& entries) {
  std::string out = R"({"log": {"version": "1.2", "creator": {"name": "test", "version": "1"}, "entries": [)";
  for (std::size_t i = 0; i < entries.size(); ++i) out += (i ? "," : "") + entries[i];
  return out + "]}}";
}

TEST(TraceScan, BrowserHarWithBearerTokenLeftIn) {
  const auto text = browser_har();
  ASSERT_FALSE(text.empty());
  const auto r = analyse_ok(text, "browser.har");
  EXPECT_EQ(r.format, TraceFormat::har);
  EXPECT_EQ(r.pair_count(), r.calls.size());
  ASSERT_GE(r.calls.size(), 6u);
  EXPECT_EQ(r.calls[1].method, "POST");
  EXPECT_EQ(r.calls[1].path, "/v1/envelopes");
  EXPECT_EQ(r.calls[1].status, 201);
  EXPECT_THAT(r.calls[1].functions, ElementsAre("send"));
  EXPECT_EQ(r.calls[5].path, "/v1/webhooks");
  EXPECT_EQ(r.functions_covered, (std::set<std::string>{"send", "track", "sign", "embedded_signing", "webhooks"}));
  ASSERT_TRUE(r.has_live_secrets());
  int bearer = 0;
  for (const auto& f : r.secrets) {
    EXPECT_EQ(f.preview.find(kAccess), std::string::npos);
    EXPECT_EQ(f.preview.find(kSession), std::string::npos);
    if (f.kind != SecretKind::bearer_token) continue;
    ++bearer;
    EXPECT_EQ(f.side, TraceSide::request);
    EXPECT_EQ(f.place, SecretPlace::header);
    EXPECT_EQ(f.name, "Authorization");
    EXPECT_EQ(f.preview, "cs_at_\u2026");
    EXPECT_GE(f.entry, 1u);
  }
  EXPECT_EQ(bearer, 5);  // every fetch, not the page load
  const auto locations = where(r);
  EXPECT_THAT(locations, ::testing::Contains("bearer_token 1 request header Authorization"));
  // The session cookie: set by the page's response, sent back with each call (once per location).
  EXPECT_THAT(locations, ::testing::Contains("cookie 0 response cookie cs_session"));
  EXPECT_THAT(locations, ::testing::Contains("cookie 1 request cookie cs_session"));
  EXPECT_EQ(r.secrets[0].location().find("entry "), 0u);
}

TEST(TraceScan, RedactedBrowserHarIsClean) {
  auto doc = json::parse(browser_har());
  for (auto& e : doc["log"]["entries"])
    for (const char* side : {"request", "response"}) {
      for (auto& h : e[side]["headers"]) {
        const auto name = h["name"].get<std::string>();
        if (name == "Authorization") h["value"] = "Bearer [REDACTED]";
        if (name == "Cookie") h["value"] = "cs_session=[REDACTED]";
        if (name == "Set-Cookie") h["value"] = "cs_session=[REDACTED]; Path=/; HttpOnly";
      }
      for (auto& c : e[side]["cookies"]) c["value"] = "***";
    }
  const auto r = analyse_ok(doc.dump(), "browser.har");
  EXPECT_FALSE(r.has_live_secrets()) << ::testing::PrintToString(where(r));
  EXPECT_EQ(r.functions_covered.size(), 5u);
}

TEST(TraceScan, JsonExportShapeAndBareArray) {
  const std::string entries = R"([
    {"request": {"method": "POST", "url": "https://api.countersign.test/v1/envelopes",
                 "headers": [{"name": "Authorization", "value": "Bearer [REDACTED]"}],
                 "body": {"email_subject": "Sign", "recipients": [{"email": "a@b.test"}]}},
     "response": {"status": 201, "headers": {"Content-Type": "application/json"}, "body": "{\"id\":\"env_1\"}"}},
    {"request": {"method": "POST", "url": "https://api.countersign.test/v1/envelopes/env_1/send", "headers": []},
     "response": {"status": 200, "body": {"status": "sent"}}},
    {"request": {"method": "GET", "url": "/v1/envelopes/env_1/recipients"}, "response": {"status": 200}}])";
  for (const auto& text : {R"({"entries": )" + entries + "}", entries}) {
    const auto r = analyse_ok(text);
    EXPECT_EQ(r.format, TraceFormat::json);
    EXPECT_EQ(r.pair_count(), 3u);
    EXPECT_EQ(r.calls[1].path, "/v1/envelopes/env_1/send");
    EXPECT_EQ(r.functions_covered, (std::set<std::string>{"send", "track"}));
    EXPECT_FALSE(r.has_live_secrets()) << ::testing::PrintToString(where(r));
  }
}

constexpr const char* kSoapTrace = R"(<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
    xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">
  <soapenv:Header><wsse:Security><wsse:UsernameToken>
    <wsse:Username>integrator</wsse:Username><wsse:Password>Tr0ub4dor&amp;3</wsse:Password>
  </wsse:UsernameToken></wsse:Security></soapenv:Header>
  <soapenv:Body><CreateAndSendEnvelope><Subject>Sign</Subject></CreateAndSendEnvelope></soapenv:Body>
</soapenv:Envelope>
<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
  <soap:Body><CreateAndSendEnvelopeResponse><EnvelopeID>env_1</EnvelopeID></CreateAndSendEnvelopeResponse></soap:Body>
</soap:Envelope>
<s12:Envelope xmlns:s12="http://www.w3.org/2003/05/soap-envelope">
  <s12:Header><wsse:Security xmlns:wsse="x"><wsse:Password>[REDACTED]</wsse:Password></wsse:Security></s12:Header>
  <s12:Body><RequestStatus><EnvelopeID>env_1</EnvelopeID></RequestStatus></s12:Body>
</s12:Envelope>
<s12:Envelope xmlns:s12="http://www.w3.org/2003/05/soap-envelope">
  <s12:Body><s12:Fault><s12:Reason>no such envelope</s12:Reason></s12:Fault></s12:Body>
</s12:Envelope>)";

TEST(TraceScan, SoapEnvelopesPairByOrderInAnyPrefix) {
  const auto r = analyse_ok(kSoapTrace, "trace.xml");
  EXPECT_EQ(r.format, TraceFormat::soap);
  ASSERT_EQ(r.pair_count(), 2u);
  EXPECT_EQ(r.calls[0].operation, "CreateAndSendEnvelope");
  EXPECT_EQ(r.calls[0].status, 200);
  EXPECT_EQ(r.calls[1].operation, "RequestStatus");
  EXPECT_EQ(r.calls[1].status, 500);  // a SOAP Fault
  EXPECT_EQ(r.functions_covered, (std::set<std::string>{"send", "track"}));
  EXPECT_THAT(where(r), ElementsAre("secret_field 0 request body /soapenv:Envelope/soapenv:Header/wsse:Security/"
                                    "wsse:UsernameToken/wsse:Password"));
  EXPECT_EQ(r.secrets[0].preview, "Tr0\u2026");  // 11 characters: a third at most is shown
}

TEST(TraceScan, PlainXmlTraceAndSoapInsideIt) {
  const std::string xml = R"(<trace>
    <request method="POST" url="https://api.countersign.test/v1/envelopes">
      <header name="Authorization">Bearer ***</header>
      <header name="Content-Type">application/xml</header>
      <body><envelope><subject>Sign</subject><callback secret="s3cr3t-value-1"/></envelope></body>
    </request>
    <response status="201"><headers><header name="Set-Cookie">sid=abc123def; Secure</header></headers>
      <body><![CDATA[{"id": "env_1", "signing_url": "https://x.test/sign/cs_sg_abcdefghijklmnop"}]]></body></response>
    <request method="GET" url="/v1/envelopes/env_1"/>
    <response status="200"/>
  </trace>)";
  const auto r = analyse_ok(xml, "trace.xml");
  EXPECT_EQ(r.format, TraceFormat::xml);
  EXPECT_EQ(r.pair_count(), 2u);
  EXPECT_EQ(r.functions_covered, (std::set<std::string>{"send", "track"}));
  EXPECT_THAT(where(r), ElementsAre("secret_field 0 request body /envelope/callback/@secret",
                                    "cookie 0 response cookie sid", "countersign_token 0 response body /signing_url"));

  const auto soap = analyse_ok(R"(<log><entry><request url="https://partner.test/api/dsapi.asmx">
      <soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>
        <RequestRecipientToken/></soap:Body></soap:Envelope></request>
      <response><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>
        <RequestRecipientTokenResponse/></soap:Body></soap:Envelope></response></entry></log>)");
  EXPECT_EQ(soap.format, TraceFormat::soap);
  ASSERT_EQ(soap.calls.size(), 1u);
  EXPECT_EQ(soap.calls[0].method, "POST");
  EXPECT_EQ(soap.calls[0].path, "/api/dsapi.asmx");
  EXPECT_EQ(soap.calls[0].status, 200);
  EXPECT_EQ(soap.functions_covered, (std::set<std::string>{"sign", "embedded_signing"}));
}

TEST(TraceScan, GarbageAndTruncatedFilesAreRefused) {
  expect_refused("", "empty");
  expect_refused("GET /v1/envelopes HTTP/1.1\r\nHost: x\r\n", "not a trace file");
  expect_refused(std::string("\x89PNG\r\n\x1a\n\0\0", 10), "not a trace file");
  const auto text = har({entry("GET", "/v1/envelopes", 200)});
  expect_refused(text.substr(0, text.size() / 2), "not valid JSON");
  expect_refused(R"({"name": "not a trace"})", "entries");
  expect_refused(R"({"log": {"version": "1.2"}})", "log.entries");
  expect_refused(R"({"log": {"version": "9.0", "entries": []}})", "HAR version");
  expect_refused(har({R"({"response": {"status": 200}})"}), "entry 0 has no request");
  expect_refused(har({entry("GET", "/v1/x", 200), R"({"request": {"method": "GET"}, "response": {"status": 1}})"}),
                 "entry 1 has no request URL");
  expect_refused(har({R"({"request": {"method": "GET", "url": "/v1/x"}, "response": {"status": "ok"}})"}),
                 "numeric status");
  expect_refused("<trace><request method='GET' url='/v1/x'>", "not well-formed XML");
  expect_refused("<html><body>hello</body></html>", "without request/response");
  expect_refused("<trace><response status='200'/></trace>", "no request before it");
}

TEST(TraceScan, SecretsInQueryPathFormAndNestedJson) {
  const auto form_body = R"(, "postData": {"mimeType": "application/x-www-form-urlencoded",
      "text": "grant_type=refresh_token&client_id=app_1&client_secret=k8Fj2%2Bq9xYz&refresh_token=%5BREDACTED%5D"})";
  const auto params = R"(, "postData": {"mimeType": "multipart/form-data",
      "params": [{"name": "code_verifier", "value": "dBjftJeZ4CVP-mB92K27uhbUJU1p1r"}, {"name": "code", "value": "x"}]})";
  const auto nested = R"(, "content": {"mimeType": "application/json", "text":
      "{\"data\": [{\"credentials\": {\"Password\": \"hunter2\", \"user\": \"x\"}, \"tokens\": [\")" + kAccess + R"(\"]}]}"})";
  const auto encoded = crypto::base64_encode(crypto::as_bytes(R"({"refresh_token": "cs_rt_0123456789abcdefghij"})"));
  const auto base64 = R"(, "content": {"mimeType": "application/json", "encoding": "base64", "text": ")" + encoded + "\"}";
  const auto r = analyse_ok(har({
      entry("GET", "https://api.test/v1/envelopes?status=sent&access_token=" + kAccess.substr(6), 200),
      entry("GET", "https://app.test/sign/" + ("cs_sg_" + std::string(43, 'g')) + "?lang=en", 200),
      entry("POST", "https://api.test/oauth/token", 200, form_body),
      entry("POST", "https://api.test/oauth/token", 200, params),
      entry("GET", "https://api.test/v1/users/me", 200, "", nested),
      entry("POST", "https://api.test/oauth/token", 200, "", base64)}));
  EXPECT_THAT(where(r), ElementsAre("secret_field 0 request query parameter access_token",
                                    "countersign_token 1 request url path",
                                    "secret_field 2 request form field client_secret",
                                    "secret_field 3 request form field code_verifier",
                                    "secret_field 4 response body /data/0/credentials/Password",
                                    "countersign_token 4 response body /data/0/tokens/0",
                                    "secret_field 5 response body /refresh_token"));
  EXPECT_EQ(r.secrets[4].preview, "hu\u2026");  // never the whole of a short secret
  EXPECT_EQ(r.secrets[0].preview, "AAAAAA\u2026");
  EXPECT_THAT(r.functions_covered, ::testing::Contains("sign"));
}

TEST(TraceScan, AuthorizationSchemesHeadersAndRedactionMarkers) {
  auto headers = [](const std::string& list) { return R"(, "headers": [)" + list + "]"; };
  auto h = [](const std::string& n, const std::string& v) { return R"({"name": ")" + n + R"(", "value": ")" + v + "\"}"; };
  const auto r = analyse_ok(har({
      entry("GET", "/v1/envelopes", 200, headers(h("authorization", "Basic YXBwXzE6c2VjcmV0") + "," + h("X-Api-Key", "cs_sk_" + std::string(43, 'k')))),
      entry("GET", "/v1/envelopes", 200, headers(h("X-Client-Secret", "plain-secret-value") + "," + h("X-Trace", "notcs_at_" + std::string(20, 'z')))),
      entry("POST", "/v1/webhooks", 201, "", R"(, "content": {"text": "{\"id\": \"wh_1\", \"secret\": \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"}"})"),
      // Redaction markers and placeholders are not secrets.
      entry("GET", "/v1/envelopes?access_token=***&refresh_token=", 200,
            headers(h("Authorization", "Bearer") + "," + h("Cookie", "a=; b=[redacted]; c=xxxx") + "," +
                    h("X-Auth", "cs_at_[REDACTED]") + "," + h("X-Other", "cs_at_************************")),
            R"(, "content": {"text": "{\"password\": \"<your password>\", \"client_secret\": \"{{client_secret}}\", \"secret\": \"\u2022\u2022\u2022\u2022\", \"access_token\": \"REDACTED\", \"code_verifier\": \"${VERIFIER}\"}"})")}));
  EXPECT_THAT(where(r), ElementsAre("basic_credentials 0 request header authorization",
                                    "countersign_token 0 request header X-Api-Key",
                                    "secret_field 1 request header X-Client-Secret",
                                    "secret_field 2 response body /secret"));
  EXPECT_EQ(r.secrets[3].preview, "whsec_\u2026");
  EXPECT_EQ(r.functions_covered, (std::set<std::string>{"track", "webhooks"}));
}

// Hostile input: damaged files never crash, and whatever is refused is refused as bad input.
TEST(TraceScan, DamagedTracesAreAnalysedOrRefusedCleanly) {
  expect_refused(R"({"entries": [{"request": {"method": "GET", "url": "/x"}, "response": {"status": 1e400}}]})",
                 "out of range");
  expect_refused(R"([{"request": {"method": "GET", "url": "/x"}, "response": {"status": 4294967496}}])", "numeric status");
  std::mt19937 rng(7);
  int refused = 0;
  for (const auto& original : {std::string(kSoapTrace), browser_har()}) {
    for (int round = 0; round < 300; ++round) {
      std::string damaged = original;
      for (int i = 0; i < 4; ++i) damaged[rng() % damaged.size()] = "<>{}[]\"\\:,/ x\0"[rng() % 13];
      const auto r = analyse_trace(damaged, "damaged");
      if (!r) {
        ++refused;
        EXPECT_EQ(r.error().errc(), Errc::validation_failed) << r.error().message();
      } else {
        EXPECT_LE(r->pair_count(), r->calls.size());
      }
    }
  }
  EXPECT_GT(refused, 0);
}

TEST(TraceScan, UnansweredRequestsAreNotPairs) {
  const auto r = analyse_ok(har({entry("POST", "/v1/envelopes", 0), entry("GET", "/v1/envelopes/env_1", 200),
                                 R"({"request": {"method": "POST", "url": "/v1/webhooks"}})"}));
  EXPECT_EQ(r.calls.size(), 3u);
  EXPECT_EQ(r.pair_count(), 1u);
  EXPECT_EQ(r.functions_covered, (std::set<std::string>{"track"}));
}

TEST(TraceScan, FunctionMapping) {
  using F = std::vector<std::string>;
  EXPECT_EQ(functions_for_call("POST", "/v1/envelopes"), F{"send"});
  EXPECT_EQ(functions_for_call("POST", "/v1/envelopes/env_1/send"), F{"send"});
  EXPECT_EQ(functions_for_call("GET", "/v1/envelopes"), F{"track"});
  EXPECT_EQ(functions_for_call("GET", "/v1/envelopes/env_1/documents/doc_1"), F{"track"});
  EXPECT_EQ(functions_for_call("GET", "/v1/accounts/a/recipients"), F{"track"});
  EXPECT_EQ(functions_for_call("POST", "/v1/envelopes/env_1/views/recipient"), (F{"sign", "embedded_signing"}));
  EXPECT_EQ(functions_for_call("POST", "/sign/cs_sg_x/finish"), F{"sign"});
  EXPECT_EQ(functions_for_call("DELETE", "/v1/webhooks/wh_1"), F{"webhooks"});
  EXPECT_EQ(functions_for_call("POST", "/v1/envelopes/env_1/void"), F{});
  EXPECT_EQ(functions_for_call("GET", "/v1/apps"), F{});
  EXPECT_EQ(functions_for_call("POST", "/v1/envelopes/env_1/events"), F{});
  EXPECT_EQ(functions_for_soap_operation("SendEnvelope"), F{"send"});
  EXPECT_EQ(functions_for_soap_operation("GetEnvelopeHistory"), F{"track"});
  EXPECT_EQ(functions_for_soap_operation("CreateConnectConfiguration"), F{"webhooks"});
  EXPECT_EQ(functions_for_soap_operation("Ping"), F{});
}

TEST(TraceScan, SizeEntryAndNestingLimits) {
  const std::string huge(kMaxTraceBytes + 1, ' ');
  EXPECT_EQ(analyse_trace(huge, "big.har").error().errc(), Errc::payload_too_large);

  std::string many = "[";
  for (std::size_t i = 0; i <= kMaxTraceEntries; ++i) many += (i ? "," : "") + entry("GET", "/v1/envelopes", 200);
  expect_refused(many + "]", "more than 100000 entries");

  const auto deep = [](int levels) { return std::string(levels, '[') + std::string(levels, ']'); };
  expect_refused(deep(1'000'000), "nested deeper than 64");
  expect_refused(har({entry("POST", "/v1/envelopes", 200, R"(, "body": ")" + deep(65) + "\"")}),
                 "entry 0 request body is nested deeper");
  EXPECT_TRUE(analyse_trace(har({entry("POST", "/v1/envelopes", 200, R"(, "body": ")" + deep(60) + "\"")}), "ok.har"));
  std::string xml;
  for (int i = 0; i < 100'000; ++i) xml += "<a>";
  expect_refused(xml + "</a>", "");  // not well-formed, and deeper than allowed either way
  std::string deep_xml = "<trace><request method='GET' url='/v1/x'><body>";
  for (int i = 0; i < 70; ++i) deep_xml += "<n>";
  for (int i = 0; i < 70; ++i) deep_xml += "</n>";
  expect_refused(deep_xml + "</body></request></trace>", "XML nested deeper than 64");
}

}  // namespace
}  // namespace cs::certification
