// The envelope API over real HTTP against the real server binary, with real OAuth tokens (issue
// 4 §1): create (JSON and multipart), send, list filters, documents, events, idempotency, tenant
// isolation, scopes, embedded views and the bad inputs.
#include <gtest/gtest.h>

#include "esign/sample_pdf.hpp"
#include "oauth_client.hpp"

namespace cs::testing {
namespace {

using nlohmann::json;

class EnvelopesApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    crypto::init();
    world_ = new OAuthWorld();
    auto d = OAuthDriver(*world_->server);
    auto app = world_->demo_app();
    auto token_for = [&](const std::string& email, const std::string& password, const std::string& account,
                         const std::string& scope) {
      auto jar = d.sign_in(email, password);
      auto pkce = make_pkce();
      auto code = d.obtain_code(jar, app, account, scope, pkce);
      auto issued = d.exchange_code(app, code, pkce);
      EXPECT_EQ(issued.status, 200) << issued.body;
      return issued.json()["access_token"].get<std::string>();
    };
    const std::string all = "envelope:read envelope:write envelope:send signing:embedded";
    token_ = token_for(world_->email("sandbox_admin"), world_->password("sandbox_admin"), world_->account("sandbox"), all);
    read_only_ = token_for(world_->email("sandbox_admin"), world_->password("sandbox_admin"), world_->account("sandbox"),
                           "envelope:read");
    other_tenant_ = token_for("owner@acme-integrations.example", world_->owner_password, world_->own_account_id, all);
  }
  static void TearDownTestSuite() { delete world_; }

  static HttpResponse call(const std::string& method, const std::string& path, const std::string& body = {},
                           const std::string& token = token_, std::vector<std::pair<std::string, std::string>> headers = {},
                           const std::string& content_type = "application/json") {
    headers.push_back({"Authorization", "Bearer " + token});
    if (!body.empty()) headers.push_back({"Content-Type", content_type});
    return http({method, world_->server->base_url() + path, body, headers, 30000});
  }

  static std::string b64(const std::string& s) { return crypto::base64_encode(crypto::as_bytes(s)); }

  static json envelope(const std::string& status = "created", const std::string& pdf = esign::sample_pdf("Contract")) {
    return {{"email_subject", "Please sign"},
            {"status", status},
            {"documents", {{{"ref", "c"}, {"name", "contract.pdf"}, {"content_base64", b64(pdf)}}}},
            {"recipients",
             {{{"ref", "1"}, {"name", "Alice Able"}, {"email", "alice@example.com"}, {"routing_order", 1}},
              {{"ref", "2"}, {"name", "Bob Baker"}, {"email", "bob@example.com"}, {"routing_order", 2}},
              {{"ref", "3"}, {"type", "cc"}, {"name", "Carol Copy"}, {"email", "carol@example.com"}, {"routing_order", 2}}}},
            {"fields",
             {{{"document", "c"}, {"recipient", "1"}, {"type", "signature"}, {"page", 1}, {"x", 72}, {"y", 600}, {"width", 200}, {"height", 40}},
              {{"document", "c"}, {"recipient", "2"}, {"type", "signature"}, {"page", 1}, {"x", 300}, {"y", 600}, {"width", 200}, {"height", 40}}}}};
  }

  static void expect_problem(const HttpResponse& r, long status, const std::string& code) {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(r.header("content-type"), "application/problem+json") << r.body;
    if (!r.body.empty()) {
      EXPECT_EQ(r.json().value("code", ""), code) << r.body;
    }
  }

  static inline OAuthWorld* world_ = nullptr;
  static inline std::string token_, read_only_, other_tenant_;
};

TEST_F(EnvelopesApiTest, CreateAndSendThenReadListDocumentsAndEvents) {
  std::string pdf = esign::sample_pdf("Contract", {{612, 792}, {595, 842}});
  auto created = call("POST", "/v1/envelopes", envelope("sent", pdf).dump());
  ASSERT_EQ(created.status, 201) << created.body;
  auto env = created.json();
  std::string id = env["id"];
  EXPECT_EQ(id.rfind("env_", 0), 0u);
  EXPECT_EQ(env["status"], "sent");
  EXPECT_EQ(env["documents"][0]["page_count"], 2);
  EXPECT_EQ(env["recipients"][0]["status"], "sent");
  EXPECT_EQ(env["recipients"][1]["status"], "created");

  auto got = call("GET", "/v1/envelopes/" + id);
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.json()["email_subject"], "Please sign");
  auto recipients = call("GET", "/v1/envelopes/" + id + "/recipients");
  ASSERT_EQ(recipients.status, 200);
  EXPECT_EQ(recipients.json()["data"].size(), 3u);

  auto doc = call("GET", "/v1/envelopes/" + id + "/documents/" + env["documents"][0]["id"].get<std::string>());
  ASSERT_EQ(doc.status, 200);
  EXPECT_EQ(doc.header("content-type"), "application/pdf");
  EXPECT_EQ(doc.body, pdf);

  auto events = call("GET", "/v1/envelopes/" + id + "/events");
  ASSERT_EQ(events.status, 200);
  std::vector<std::string> types;
  auto events_json = events.json();
  for (const auto& e : events_json["data"]) types.push_back(e["type"]);
  ASSERT_FALSE(types.empty()) << events.body;
  EXPECT_EQ(types.front(), "envelope.created");
  EXPECT_NE(std::find(types.begin(), types.end(), "envelope.sent"), types.end());
  EXPECT_NE(std::find(types.begin(), types.end(), "recipient.sent"), types.end());

  auto sent = call("GET", "/v1/envelopes?status=sent&limit=100");
  ASSERT_EQ(sent.status, 200) << sent.body;
  bool listed = false;
  auto sent_json = sent.json();
  for (const auto& e : sent_json["data"]) listed = listed || e["id"] == id;
  EXPECT_TRUE(listed);
  auto drafts = call("GET", "/v1/envelopes?status=created&limit=100");
  auto drafts_json = drafts.json();
  for (const auto& e : drafts_json["data"]) EXPECT_NE(e["id"], id);
  auto future = call("GET", "/v1/envelopes?updated_since=2999-01-01T00:00:00Z");
  ASSERT_EQ(future.status, 200);
  EXPECT_TRUE(future.json()["data"].empty());
  expect_problem(call("GET", "/v1/envelopes?updated_since=yesterday"), 400, "invalid_request");
  expect_problem(call("GET", "/v1/envelopes?cursor=Zm9v"), 400, "invalid_request");

  // Void needs a reason; afterwards the envelope is final.
  expect_problem(call("POST", "/v1/envelopes/" + id + "/void", json{{"reason", ""}}.dump()), 422, "validation_failed");
  auto voided = call("POST", "/v1/envelopes/" + id + "/void", json{{"reason", "Wrong contract"}}.dump());
  ASSERT_EQ(voided.status, 200) << voided.body;
  EXPECT_EQ(voided.json()["status"], "voided");
  expect_problem(call("POST", "/v1/envelopes/" + id + "/resend"), 409, "invalid_state");
}

TEST_F(EnvelopesApiTest, MultipartCreateThenPatchDraftAndSend) {
  json meta = envelope();
  meta["documents"] = {{{"ref", "c"}, {"file", "file1"}}};
  std::string pdf = esign::sample_pdf("Multipart");
  std::string body = "--BOUNDARY\r\nContent-Disposition: form-data; name=\"metadata\"\r\nContent-Type: application/json\r\n\r\n" +
                     meta.dump() + "\r\n--BOUNDARY\r\nContent-Disposition: form-data; name=\"file1\"; filename=\"nda.pdf\"\r\n" +
                     "Content-Type: application/pdf\r\n\r\n" + pdf + "\r\n--BOUNDARY--\r\n";
  auto created = call("POST", "/v1/envelopes", body, token_, {}, "multipart/form-data; boundary=BOUNDARY");
  ASSERT_EQ(created.status, 201) << created.body;
  std::string id = created.json()["id"];
  EXPECT_EQ(created.json()["documents"][0]["name"], "nda.pdf");
  EXPECT_EQ(created.json()["status"], "created");

  auto patched = call("PATCH", "/v1/envelopes/" + id, json{{"email_subject", "Updated subject"}}.dump());
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.json()["email_subject"], "Updated subject");
  auto sent = call("POST", "/v1/envelopes/" + id + "/send");
  ASSERT_EQ(sent.status, 200) << sent.body;
  EXPECT_EQ(sent.json()["status"], "sent");
  expect_problem(call("PATCH", "/v1/envelopes/" + id, json{{"email_subject", "x"}}.dump()), 409, "invalid_state");
  expect_problem(call("POST", "/v1/envelopes/" + id + "/send"), 409, "invalid_state");
  expect_problem(call("POST", "/v1/envelopes", "--B\r\nnot a part", token_, {}, "multipart/form-data; boundary=B"), 400,
                 "invalid_request");
}

TEST_F(EnvelopesApiTest, IdempotencyKeyReplaysAndRefusesAnotherBody) {
  std::string body = envelope().dump();
  auto first = call("POST", "/v1/envelopes", body, token_, {{"Idempotency-Key", "create-1"}});
  ASSERT_EQ(first.status, 201) << first.body;
  auto again = call("POST", "/v1/envelopes", body, token_, {{"Idempotency-Key", "create-1"}});
  EXPECT_EQ(again.status, 201);
  EXPECT_EQ(again.json()["id"], first.json()["id"]);
  EXPECT_EQ(again.header("idempotent-replayed"), "true");
  json other = envelope();
  other["email_subject"] = "Something else";
  expect_problem(call("POST", "/v1/envelopes", other.dump(), token_, {{"Idempotency-Key", "create-1"}}), 422,
                 "idempotency_key_reused");
  expect_problem(call("POST", "/v1/envelopes", body, token_, {{"Idempotency-Key", std::string(300, 'k')}}), 400,
                 "invalid_request");
}

TEST_F(EnvelopesApiTest, TenantIsolationAndScopes) {
  auto created = call("POST", "/v1/envelopes", envelope().dump());
  ASSERT_EQ(created.status, 201);
  std::string id = created.json()["id"];
  std::string doc = created.json()["documents"][0]["id"];
  for (const auto& path : {"/v1/envelopes/" + id, "/v1/envelopes/" + id + "/events", "/v1/envelopes/" + id + "/recipients",
                           "/v1/envelopes/" + id + "/documents/" + doc}) {
    expect_problem(call("GET", path, {}, other_tenant_), 404, "not_found");
  }
  expect_problem(call("POST", "/v1/envelopes/" + id + "/send", {}, other_tenant_), 404, "not_found");
  auto theirs = call("GET", "/v1/envelopes?limit=100", {}, other_tenant_);
  auto theirs_json = theirs.json();
  for (const auto& e : theirs_json["data"]) EXPECT_NE(e["id"], id);

  EXPECT_EQ(call("GET", "/v1/envelopes/" + id, {}, read_only_).status, 200);
  auto refused = call("POST", "/v1/envelopes", envelope().dump(), read_only_);
  EXPECT_EQ(refused.status, 403);
  EXPECT_NE(refused.header("www-authenticate").find("insufficient_scope"), std::string::npos);
  EXPECT_EQ(call("POST", "/v1/envelopes/" + id + "/send", {}, read_only_).status, 403);
  EXPECT_EQ(call("GET", "/v1/envelopes/" + id, {}, "cs_at_not_a_real_token").status, 401);
  EXPECT_EQ(call("GET", "/v1/envelopes/" + id).json()["status"], "created");  // nothing changed
}

TEST_F(EnvelopesApiTest, EmbeddedRecipientViewUrl) {
  json in = envelope("sent");
  in["recipients"][0]["client_user_id"] = "crm-user-7";
  auto created = call("POST", "/v1/envelopes", in.dump());
  ASSERT_EQ(created.status, 201) << created.body;
  std::string id = created.json()["id"];
  auto view = call("POST", "/v1/envelopes/" + id + "/views/recipient",
                   json{{"client_user_id", "crm-user-7"}, {"return_url", "https://crm.example/done"}}.dump());
  ASSERT_EQ(view.status, 201) << view.body;
  std::string url = view.json()["url"];
  EXPECT_EQ(url.rfind(world_->server->base_url() + "/sign/embedded/cs_ev_", 0), 0u) << url;
  EXPECT_TRUE(view.json()["expires_at"].is_string());
  expect_problem(call("POST", "/v1/envelopes/" + id + "/views/recipient",
                      json{{"recipient_id", created.json()["recipients"][1]["id"]}, {"return_url", "https://crm.example/done"}}.dump()),
                 422, "validation_failed");
  expect_problem(call("POST", "/v1/envelopes/" + id + "/views/recipient",
                      json{{"client_user_id", "crm-user-7"}, {"return_url", "javascript:alert(1)"}}.dump()),
                 422, "validation_failed");
  EXPECT_EQ(call("POST", "/v1/envelopes/" + id + "/views/recipient",
                 json{{"client_user_id", "crm-user-7"}, {"return_url", "https://crm.example/done"}}.dump(), read_only_)
                .status,
            403);
}

TEST_F(EnvelopesApiTest, BadInputIsRefusedAndNothingIsWritten) {
  auto before = call("GET", "/v1/envelopes?limit=100").json()["data"].size();
  auto bad = [&](json body, long status, const std::string& code, const std::string& field = {}) {
    auto r = call("POST", "/v1/envelopes", body.dump());
    expect_problem(r, status, code);
    if (!field.empty()) {
      EXPECT_EQ(r.json().value("field", ""), field) << r.body;
    }
  };
  std::string pdf = esign::sample_pdf("x");
  bad(envelope("created", "this is not a pdf"), 422, "pdf_invalid", "documents/0");
  bad(envelope("created", pdf.substr(0, pdf.size() / 2)), 422, "pdf_invalid", "documents/0");
  json off = envelope();
  off["fields"][0]["x"] = 600;
  bad(off, 422, "validation_failed", "fields/0");
  json missing_page = envelope();
  missing_page["fields"][0]["page"] = 2;
  bad(missing_page, 422, "validation_failed", "fields/0/page");
  json missing_doc = envelope();
  missing_doc["fields"][0]["document"] = "nope";
  bad(missing_doc, 422, "validation_failed", "fields/0/document");
  json to_cc = envelope();
  to_cc["fields"][0]["recipient"] = "3";
  bad(to_cc, 422, "validation_failed", "fields/0/recipient");
  json dup = envelope();
  dup["recipients"][1]["email"] = "ALICE@example.com";
  dup["recipients"][1]["routing_order"] = 1;
  bad(dup, 422, "validation_failed", "recipients/1/email");
  json order = envelope();
  order["recipients"][0]["routing_order"] = 100;
  bad(order, 422, "validation_failed", "recipients/0/routing_order");
  json no_signer = envelope("sent");
  no_signer["recipients"] = {{{"ref", "3"}, {"type", "cc"}, {"name", "Carol"}, {"email", "carol@example.com"}}};
  no_signer["fields"] = json::array();
  bad(no_signer, 422, "validation_failed", "recipients");
  json no_signature = envelope("sent");
  no_signature["fields"][1]["type"] = "text";
  bad(no_signature, 422, "validation_failed", "recipients/1");
  json unknown = envelope();
  unknown["colour"] = "blue";
  bad(unknown, 422, "unknown_field");
  expect_problem(call("POST", "/v1/envelopes", "{not json"), 400, "malformed_json");
  expect_problem(call("POST", "/v1/envelopes", envelope().dump(), token_, {}, "text/plain"), 415, "unsupported_media_type");
  expect_problem(call("GET", "/v1/envelopes/env_doesnotexist"), 404, "not_found");
  EXPECT_EQ(call("GET", "/v1/envelopes?limit=100").json()["data"].size(), before);
}

}  // namespace
}  // namespace cs::testing
