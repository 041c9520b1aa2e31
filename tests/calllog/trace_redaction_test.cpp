// Redaction of captured traces (issue 5 §3): every rule of calllog/redaction.hpp, one by one.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "calllog/redaction.hpp"
#include "crypto/primitives.hpp"
#include "crypto/tokens.hpp"

namespace cs::calllog {
namespace {

std::string value_of(const TraceHeaders& headers, std::string_view name) {
  for (const auto& [n, v] : headers) {
    if (n == name) return v;
  }
  ADD_FAILURE() << "no header " << name;
  return {};
}

TEST(TraceRedaction, CredentialHeadersKeepOnlyTheirScheme) {
  auto token = crypto::generate_token(crypto::kAccessTokenPrefix);
  auto out = redact_headers({{"Authorization", "Bearer " + token},
                             {"proxy-authorization", "Basic dXNlcjpwYXNz"},
                             {"Content-Type", "application/json"}});
  EXPECT_EQ(value_of(out, "Authorization"), "Bearer [REDACTED]");
  EXPECT_EQ(value_of(out, "proxy-authorization"), "Basic [REDACTED]");
  EXPECT_EQ(value_of(out, "Content-Type"), "application/json");
}

TEST(TraceRedaction, CookiesKeepTheirNamesAndAttributes) {
  auto out = redact_headers({{"Cookie", "__Host-cs_session=cs_ss_abcdefghijkl; theme=dark"},
                             {"Set-Cookie", "sid=s3cr3t; Path=/; HttpOnly; SameSite=Lax"}});
  EXPECT_EQ(value_of(out, "Cookie"), "__Host-cs_session=[REDACTED]; theme=[REDACTED]");
  EXPECT_EQ(value_of(out, "Set-Cookie"), "sid=[REDACTED]; Path=/; HttpOnly; SameSite=Lax");
}

TEST(TraceRedaction, SecretNamedHeadersAndTokenValuesInAnyHeader) {
  auto out = redact_headers({{"X-Client-Secret", "plain-secret"},
                             {"X-Webhook-Secret", "abc"},
                             {"X-Forwarded-Note", "see cs_rt_abcdefghijkl here"},
                             {"User-Agent", "demo-client/1.0"}});
  EXPECT_EQ(value_of(out, "X-Client-Secret"), "[REDACTED]");
  EXPECT_EQ(value_of(out, "X-Webhook-Secret"), "[REDACTED]");
  EXPECT_EQ(value_of(out, "X-Forwarded-Note"), "[REDACTED]");
  EXPECT_EQ(value_of(out, "User-Agent"), "demo-client/1.0");
}

TEST(TraceRedaction, SecretNames) {
  for (std::string_view n :
       {"client_secret", "Client-Secret", "access_token", "refresh_token", "id_token", "code",
        "code_verifier", "password", "PASSWORD", "new_password", "current-password",
        "password_confirmation", "secret", "signing_secret", "webhook_secret", "app_secret"}) {
    EXPECT_TRUE(is_secret_name(n)) << n;
  }
  for (std::string_view n : {"client_id", "state", "scope", "status_code", "postcode", "token_type",
                             "passwords_policy", "name", "email"}) {
    EXPECT_FALSE(is_secret_name(n)) << n;
  }
}

TEST(TraceRedaction, TokenPrefixesAtTheStartOfAWord) {
  for (auto prefix : crypto::kTokenPrefixes) {
    auto token = crypto::generate_token(prefix);
    EXPECT_TRUE(holds_token(token)) << prefix;
    EXPECT_TRUE(holds_token("Bearer " + token)) << prefix;
    EXPECT_TRUE(holds_token("https://x.example/cb?t=" + token)) << prefix;
  }
  EXPECT_FALSE(holds_token("docs_at_home"));  // "cs_at_" inside a word is not a token
  EXPECT_FALSE(holds_token("env_0123"));
}

TEST(TraceRedaction, QueryParametersBySecretNameAndTokenValue) {
  auto token = crypto::generate_token(crypto::kRefreshTokenPrefix);
  EXPECT_EQ(
      redact_query("grant_type=authorization_code&code=abc123&code_verifier=xyz&client_id=ik_1"),
      "grant_type=authorization_code&code=%5BREDACTED%5D&code_verifier=%5BREDACTED%5D&client_id=ik_"
      "1");
  EXPECT_EQ(
      redact_query("client%5Fsecret=s&password=p&user_password=q&next=" + token + "&limit=10"),
      "client%5Fsecret=%5BREDACTED%5D&password=%5BREDACTED%5D&user_password=%5BREDACTED%5D&next=%"
      "5BREDACTED%5D&"
      "limit=10");
  EXPECT_EQ(redact_query("access_token=&flag&status=sent"), "access_token=&flag&status=sent");
}

TEST(TraceRedaction, TargetsRedactPathSegmentsAndTheQuery) {
  auto link = crypto::generate_token(crypto::kSigningLinkPrefix);
  EXPECT_EQ(redact_target("/sign/" + link + "/view?refresh_token=r&page=2"),
            "/sign/%5BREDACTED%5D/view?refresh_token=%5BREDACTED%5D&page=2");
  EXPECT_EQ(redact_target("/v1/envelopes/env_123/recipients"), "/v1/envelopes/env_123/recipients");
}

TEST(TraceRedaction, JsonBodiesRecursively) {
  auto secret = crypto::generate_token(crypto::kClientSecretPrefix);
  auto access = crypto::generate_token(crypto::kAccessTokenPrefix);
  auto webhook = crypto::generate_token(crypto::kWebhookSecretPrefix);
  nlohmann::json body = {
      {"client_secret", secret},
      {"nested",
       {{"Access-Token", access},
        {"items", {{{"password", 1234}}, {{"note", "Bearer " + access}}}}}},
      {"webhook",
       {{"signing_secret", "plain"}, {"url", "https://example.test/hook"}, {"copy", webhook}}},
      {"code", nullptr},
      {"subject", "Please sign"}};
  auto out = nlohmann::json::parse(redact_body("application/json; charset=utf-8", body.dump()));
  EXPECT_EQ(out["client_secret"], "[REDACTED]");
  EXPECT_EQ(out["nested"]["Access-Token"], "[REDACTED]");
  EXPECT_EQ(out["nested"]["items"][0]["password"], "[REDACTED]");
  EXPECT_EQ(out["nested"]["items"][1]["note"], "[REDACTED]");
  EXPECT_EQ(out["webhook"]["signing_secret"], "[REDACTED]");
  EXPECT_EQ(out["webhook"]["copy"], "[REDACTED]");
  EXPECT_EQ(out["webhook"]["url"], "https://example.test/hook");
  EXPECT_TRUE(out["code"].is_null());  // nothing to hide
  EXPECT_EQ(out["subject"], "Please sign");
}

TEST(TraceRedaction, ProblemJsonAndUntypedJsonAreJson) {
  auto token = crypto::generate_token(crypto::kAuthCodePrefix);
  auto out = redact_body("application/problem+json",
                         R"({"code":"invalid_grant","detail":")" + token + R"("})");
  EXPECT_EQ(nlohmann::json::parse(out)["detail"], "[REDACTED]");
  EXPECT_EQ(nlohmann::json::parse(out)["code"],
            "invalid_grant");  // the problem code stays readable
  EXPECT_EQ(out.find("\"code\""), 1u) << "key order is kept: " << out;
  EXPECT_EQ(nlohmann::json::parse(
                redact_body("application/json", R"({"code":")" + token + R"("})"))["code"],
            "[REDACTED]");
  // A body without a content type is read as JSON when it parses.
  EXPECT_EQ(nlohmann::json::parse(redact_body("", R"({"password":"x"})"))["password"],
            "[REDACTED]");
}

TEST(TraceRedaction, FormBodies) {
  auto secret = crypto::generate_token(crypto::kClientSecretPrefix);
  EXPECT_EQ(
      redact_body(
          "application/x-www-form-urlencoded",
          "grant_type=refresh_token&refresh_token=cs_rt_x&client_id=ik_1&client_secret=" + secret),
      "grant_type=refresh_token&refresh_token=%5BREDACTED%5D&client_id=ik_1&client_secret=%"
      "5BREDACTED%5D");
}

TEST(TraceRedaction, UnparsableTextLosesTokensAndSecretFields) {
  auto token = crypto::generate_token(crypto::kSessionPrefix);
  auto out = redact_body("application/json",
                         R"({"password": "hunter2", "note": "x )" + token + " y, \"broken");
  EXPECT_EQ(out.find("hunter2"), std::string::npos) << out;
  EXPECT_EQ(out.find(token), std::string::npos) << out;
  EXPECT_NE(out.find("[REDACTED]"), std::string::npos);
  auto plain = redact_body("text/plain", "token " + token + " end");
  EXPECT_EQ(plain, "token [REDACTED] end");
}

TEST(TraceRedaction, BinaryBodiesBecomeASizeAndDigestNote) {
  std::string pdf = "%PDF-1.7\n\xff\xfe binary";
  auto note = redact_body("application/pdf", pdf);
  EXPECT_EQ(note, "[binary body omitted: " + std::to_string(pdf.size()) +
                      " bytes, application/pdf, sha256 " + crypto::sha256_hex(pdf) + "]");
  // Declared as text but not UTF-8, and multipart uploads: also notes.
  EXPECT_TRUE(redact_body("text/plain", "\xc3\x28").starts_with("[binary body omitted: 2 bytes"));
  EXPECT_TRUE(redact_body("multipart/form-data; boundary=x", "--x\r\n...")
                  .starts_with("[binary body omitted"));
}

TEST(TraceRedaction, LongBodiesAreTruncatedWithAMarker) {
  std::string big(300 * 1024, 'a');
  auto out = truncate_body(big);
  EXPECT_EQ(out.substr(0, kTraceBodyLimit), std::string(kTraceBodyLimit, 'a'));
  EXPECT_EQ(out.substr(kTraceBodyLimit),
            "\n[truncated by Countersign: 262144 of 307200 bytes kept]");
  // A multi-byte character across the limit is not split.
  std::string utf8(kTraceBodyLimit - 1, 'b');
  utf8 += "\xc3\xa9tail";
  auto cut = truncate_body(utf8);
  EXPECT_EQ(cut.substr(0, kTraceBodyLimit), std::string(kTraceBodyLimit - 1, 'b') + "\n");
  EXPECT_NE(cut.find("262143 of"), std::string::npos);
  // Short bodies are untouched; redaction applies before truncation, so a big JSON body keeps
  // no secret even though its tail is cut.
  EXPECT_EQ(truncate_body("short"), "short");
  nlohmann::json doc = {{"password", "hunter2"}, {"filler", std::string(400 * 1024, 'z')}};
  auto stored = redact_body("application/json", doc.dump());
  EXPECT_EQ(stored.find("hunter2"), std::string::npos);
  EXPECT_NE(stored.find("[truncated by Countersign"), std::string::npos);
  EXPECT_LE(stored.size(), kTraceBodyLimit + 80);
}

}  // namespace
}  // namespace cs::calllog
