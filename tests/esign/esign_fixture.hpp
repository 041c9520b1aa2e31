// Storage-backed esign tests: a fresh migrated database on each backend, a manual clock, the
// identity directory (the sender), a blob store, and both services. Emails are read back from
// the job queue, exactly as the mailer would receive them.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <regex>
#include <string>

#include "audit/audit_log.hpp"
#include "crypto/keyring.hpp"
#include "crypto/password.hpp"
#include "crypto/tokens.hpp"
#include "esign/envelope_service.hpp"
#include "esign/sample_pdf.hpp"
#include "esign/signing_service_impl.hpp"
#include "identity/directory.hpp"
#include "notify/email.hpp"
#include "store/blob_store.hpp"
#include "store/params.hpp"
#include "support/temp_dir.hpp"
#include "support/test_database.hpp"

namespace cs::esign::testing {

inline std::string describe(const Error& e) { return std::string(e.code()) + ": " + e.message() + " / " + e.detail(); }

#define ASSERT_OK_AND_ASSIGN(lhs, expr)                        \
  auto lhs##_result = (expr);                                  \
  ASSERT_TRUE(lhs##_result) << describe(lhs##_result.error()); \
  auto lhs = std::move(lhs##_result).value()

class EsignTest : public cs::testing::BothBackends {
 protected:
  void SetUp() override {
    BothBackends::SetUp();
    directory_ = std::make_unique<identity::Directory>(db(), clock_, audit_, passwords_);
    auto op = identity::Actor::operator_cli();
    sender_ = directory_->create_user({"sender@customer.example", "Sue Sender", "correct horse battery"}, op).value().id;
    account_ = directory_->create_account({"Customer", identity::Environment::sandbox, std::nullopt}, op).value().id;
    other_account_ = directory_->create_account({"Other", identity::Environment::sandbox, std::nullopt}, op).value().id;
    blobs_ = std::make_unique<store::FileBlobStore>(blob_dir_.path(), 64 * 1024 * 1024);
    envelopes_ = std::make_unique<EnvelopeService>(
        EsignDeps{db(), *blobs_, clock_, audit_, hasher_, *directory_, "https://cs.example", 1024 * 1024});
    signing_ = std::make_unique<SigningServiceImpl>(*envelopes_);
  }

  ApiActor who(const std::string& account = "") {
    return {account.empty() ? account_ : account, sender_, std::string("app_test"), "192.0.2.1", "test-agent", "req_1"};
  }

  // Two signers in routing order 1 and 2, a cc in order 2; each signer has a signature field,
  // signer 1 also a required text field and an optional checkbox.
  CreateEnvelope two_signers(bool send = true) {
    CreateEnvelope in;
    in.email_subject = "Please sign the <contract>";
    in.email_message = "Thanks & regards";
    in.documents.push_back({"contract", "contract.pdf", sample_pdf("Contract", {{612, 792}, {612, 792}})});
    in.recipients.push_back({"1", RecipientType::signer, "Alice Able", "alice@example.com", 1, std::nullopt});
    in.recipients.push_back({"2", RecipientType::signer, "Bob Baker", "bob@example.com", 2, std::nullopt});
    in.recipients.push_back({"3", RecipientType::cc, "Carol Copy", "carol@example.com", 2, std::nullopt});
    in.fields.push_back({"contract", "1", FieldType::signature, 2, 72, 600, 200, 40, true});
    in.fields.push_back({"contract", "1", FieldType::text, 1, 72, 100, 200, 20, true});
    in.fields.push_back({"contract", "1", FieldType::checkbox, 1, 72, 150, 12, 12, false});
    in.fields.push_back({"contract", "2", FieldType::signature, 2, 300, 600, 200, 40, true});
    in.send = send;
    return in;
  }

  std::vector<notify::EmailMessage> emails() {
    auto conn = lease();
    auto rows = conn->query("SELECT payload FROM jobs WHERE kind = $1 ORDER BY created_at, id",
                            store::params(notify::kEmailJobKind));
    std::vector<notify::EmailMessage> out;
    for (const auto& r : rows.value()) {
      out.push_back(notify::email_from_json(nlohmann::json::parse(r.text(0))).value());
    }
    return out;
  }

  std::vector<notify::EmailMessage> emails_to(const std::string& to) {
    std::vector<notify::EmailMessage> out;
    for (auto& m : emails()) {
      if (m.to == to) out.push_back(m);
    }
    return out;
  }

  // The signing token of the newest invitation to `email`.
  std::string token_for(const std::string& email) {
    std::string token;
    for (const auto& m : emails_to(email)) {
      std::smatch match;
      if (std::regex_search(m.text_body, match, std::regex("https://cs\\.example/sign/(cs_sg_[A-Za-z0-9_-]+)"))) {
        token = match[1];
      }
    }
    return token;
  }

  std::vector<std::string> event_types(const std::string& envelope_id) {
    std::vector<std::string> out;
    auto events = envelopes_->events(who(), envelope_id);
    EXPECT_TRUE(events);
    if (!events) return out;
    for (const auto& e : *events) out.push_back(e.type);
    return out;
  }

  int count(const std::vector<std::string>& v, const std::string& x) {
    return static_cast<int>(std::count(v.begin(), v.end(), x));
  }

  Status sign(const std::string& token, std::string name = "Typed Name") {
    SignerContext ctx{"198.51.100.7", "Browser/1.0"};
    CS_CHECK(signing_->accept_disclosure(token, ctx));
    auto session = CS_TRY(signing_->open(token, ctx));
    std::vector<FieldValue> values;
    for (const auto& f : session.fields) {
      if (f.type == "text") values.push_back({f.id, "ACME Corp"});
    }
    AdoptedSignature s;
    s.typed_name = std::move(name);
    return signing_->finish(token, s, values, ctx);
  }

  ManualClock clock_;
  audit::AuditLog audit_{clock_};
  crypto::PasswordHasher passwords_{crypto::PasswordParams::minimal()};
  crypto::KeyRing keys_ = crypto::KeyRing::generate(clock_);
  crypto::TokenHasher hasher_{keys_};
  cs::testing::TempDir blob_dir_;
  std::unique_ptr<identity::Directory> directory_;
  std::unique_ptr<store::FileBlobStore> blobs_;
  std::unique_ptr<EnvelopeService> envelopes_;
  std::unique_ptr<SigningServiceImpl> signing_;
  std::string sender_, account_, other_account_;
};

}  // namespace cs::esign::testing
