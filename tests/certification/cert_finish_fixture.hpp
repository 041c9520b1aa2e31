// Storage-backed tests of final review, launch, recertification, clocks at risk and metrics: a
// fresh migrated database on each backend, a manual clock, and the real services (directory,
// apps, esign envelopes and signing, requests). A small world: a partner org with an admin and
// its app, and platform staff (a final approver, a partner manager, an engineer, a security
// reviewer). Emails and jobs are read back from the job queue.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <regex>
#include <string>

#include <nlohmann/json.hpp>

#include "audit/audit_log.hpp"
#include "certification/assignments.hpp"
#include "certification/catalogue.hpp"
#include "certification/final_review.hpp"
#include "certification/findings.hpp"
#include "certification/launch.hpp"
#include "certification/recertification.hpp"
#include "certification/request_service.hpp"
#include "core/business_calendar.hpp"
#include "core/ids.hpp"
#include "crypto/keyring.hpp"
#include "crypto/password.hpp"
#include "crypto/tokens.hpp"
#include "esign/envelope_service.hpp"
#include "esign/signing_service_impl.hpp"
#include "identity/directory.hpp"
#include "oauth/app_service.hpp"
#include "store/blob_store.hpp"
#include "store/job_queue.hpp"
#include "store/params.hpp"
#include "support/temp_dir.hpp"
#include "support/test_database.hpp"

namespace cs::certification::testing {

inline std::string describe(const Error& e) {
  return std::string(e.code()) + ": " + e.message() + " / " + e.detail();
}

#define ASSERT_OK_AND_ASSIGN(lhs, expr)                        \
  auto lhs##_result = (expr);                                  \
  ASSERT_TRUE(lhs##_result) << describe(lhs##_result.error()); \
  auto lhs = std::move(lhs##_result).value()

// Runs a command, answering its exit status and standard output.
inline std::pair<int, std::string> run_command(const std::string& command) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  if (!p) return {-1, {}};
  char buf[4096];
  while (auto n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

// `qpdf --check` status and `pdftotext` text of a PDF.
struct PdfReport {
  int qpdf_status = -1;
  std::string text;
};
inline PdfReport inspect_pdf(const std::string& bytes, const cs::testing::TempDir& dir,
                             const std::string& name) {
  auto path = (dir.path() / name).string();
  std::ofstream(path, std::ios::binary) << bytes;
  PdfReport r;
  r.qpdf_status = run_command("qpdf --check '" + path + "' >/dev/null 2>&1").first;
  r.text = run_command("pdftotext -layout '" + path + "' - 2>/dev/null").second;
  return r;
}

class CertFinishTest : public cs::testing::BothBackends {
 protected:
  void SetUp() override {
    BothBackends::SetUp();
    // A Monday at 09:00 UTC: the final approver's clock has a whole business week ahead.
    clock_.set(1'795'424'400'000'000);  // 2026-11-23T09:00:00Z
    directory_ = std::make_unique<identity::Directory>(db(), clock_, audit_, passwords_);
    apps_ = std::make_unique<oauth::AppService>(db(), clock_, audit_, hasher_);
    blobs_ = std::make_unique<store::FileBlobStore>(blob_dir_.path(), 64 * 1024 * 1024);
    envelopes_ = std::make_unique<esign::EnvelopeService>(
        esign::EsignDeps{db(), *blobs_, clock_, audit_, hasher_, *directory_, "https://cs.example",
                         8 * 1024 * 1024});
    signing_ = std::make_unique<esign::SigningServiceImpl>(*envelopes_);
    calendar_ =
        std::make_unique<BusinessCalendar>(BusinessCalendar::create(CalendarSpec{}).value());
    requests_ = std::make_unique<RequestService>(db(), clock_, audit_, *calendar_, *apps_);
    final_review_ = std::make_unique<FinalReview>(FinalReviewDeps{
        db(), clock_, audit_, *calendar_, *requests_, *apps_, *directory_, *envelopes_});
    final_review_->attach();
    launch_ = std::make_unique<Launch>(db(), clock_, *requests_, *apps_);
    launch_->attach();
    launch_->set_public_url("https://cs.example");
    {
      auto conn = lease();
      ASSERT_TRUE(store_catalogues(*conn, clock_.now()));
    }

    auto op = identity::Actor::operator_cli();
    partner_org_ = directory_->create_partner_org({"Acme Partner", false}, op).value().id;
    partner_admin_ = user("admin@partner.example", "Pat Partner");
    directory_
        ->grant_partner_role(partner_org_, partner_admin_, identity::PartnerRole::partner_admin, op)
        .value();
    approver_ = user("cto@countersign.example", "Cleo Approver");
    directory_->grant_staff_role(approver_, identity::StaffRole::final_approver, op).value();
    manager_ = user("pm@countersign.example", "Max Manager");
    directory_->grant_staff_role(manager_, identity::StaffRole::partner_manager, op).value();
    engineer_ = user("engineer@countersign.example", "Eve Engineer");
    directory_->grant_staff_role(engineer_, identity::StaffRole::certification_engineer, op)
        .value();

    oauth::NewApp in;
    in.name = "Acme Sign Connector";
    in.description = "Connects Acme to e-signature";
    in.redirect_uris = {"https://partner.example/callback"};
    in.scopes = {"account:read", "envelope:read", "user:read"};
    in.functions = {"send", "track"};
    in.partner_org_id = partner_org_;
    auto created = apps_->create(principal(partner_admin_), in, {});
    ASSERT_TRUE(created) << describe(created.error());
    app_ = created->app;
  }

  std::string user(const std::string& email, const std::string& name) {
    return directory_
        ->create_user({email, name, "correct horse battery"}, identity::Actor::operator_cli())
        .value()
        .id;
  }
  identity::Principal principal(const std::string& user_id) {
    return directory_->load_principal(user_id).value();
  }
  oauth::App app() { return apps_->find_by_id(app_.id).value(); }

  // A request for the app's current version, stored directly in `state` (the earlier steps
  // belong to RequestService's own tests).
  std::string insert_request(State state, Kind kind = Kind::initial) {
    std::string id = new_id("crq");
    auto conn = lease();
    auto version = app().current.id;
    auto done = conn->exec(
        "INSERT INTO cert_requests (id, app_id, app_version_id, partner_org_id, kind, state, "
        "catalogue_version, "
        "remedy_rounds, created_by, created_at, updated_at, submitted_at, approved_at) VALUES ($1, "
        "$2, $3, $4, $5, "
        "$6, $7, 0, $8, $9, $9, $9, $9)",
        store::params(id, app_.id, version, partner_org_, std::string(to_string(kind)),
                      std::string(to_string(state)), current_catalogue().version, partner_admin_,
                      clock_.now()));
    EXPECT_TRUE(done) << describe(done.error());
    return id;
  }

  Request request(const std::string& id) {
    auto conn = lease();
    return load_request(*conn, id).value();
  }

  std::int64_t count(const std::string& sql, const std::string& arg) {
    auto conn = lease();
    auto row = conn->query_one(sql, store::params(arg));
    EXPECT_TRUE(row && *row) << sql;
    return (row && *row) ? (*row)->int64(0) : -1;
  }

  std::vector<nlohmann::json> emails_to(const std::string& address) {
    auto conn = lease();
    auto rows =
        conn->query("SELECT payload FROM jobs WHERE kind = 'email.send' ORDER BY created_at, id")
            .value();
    std::vector<nlohmann::json> out;
    for (const auto& r : rows) {
      auto j = nlohmann::json::parse(r.text(0));
      if (j.value("to", "") == address) out.push_back(j);
    }
    return out;
  }

  // The signing-link token in the newest invitation to `address`.
  std::string signing_token(const std::string& address) {
    std::string token;
    std::regex link("/sign/(cs_sg_[A-Za-z0-9_-]+)");
    for (const auto& m : emails_to(address)) {
      std::smatch match;
      std::string body = m.value("text_body", "");
      if (std::regex_search(body, match, link)) token = match[1];
    }
    return token;
  }

  // Runs every due job of `kind` through `handler`; answers how many ran.
  int run_jobs(std::string_view kind, const std::function<Status(const store::Job&)>& handler) {
    int ran = 0;
    for (;;) {
      auto job =
          store::claim(db(), "test-worker", 60 * kMicrosPerSecond, {std::string(kind)}, clock_);
      EXPECT_TRUE(job);
      if (!job || !*job) return ran;
      auto done = handler(**job);
      EXPECT_TRUE(done) << describe(done.error());
      EXPECT_TRUE(store::complete(db(), **job, clock_));
      ++ran;
    }
  }
  // Drives final review, outcome and launch jobs until none is due.
  void run_certification_jobs() {
    for (int round = 0; round < 4; ++round) {
      int ran = run_jobs(kFinalReviewJobKind, [&](const store::Job& j) {
        return final_review_->handle_final_review_job(j);
      });
      ran += run_jobs(kEnvelopeOutcomeJobKind, [&](const store::Job& j) {
        return final_review_->handle_envelope_outcome_job(j);
      });
      ran += run_jobs(kLaunchJobKind, [&](const store::Job& j) { return launch_->handle_job(j); });
      if (ran == 0) return;
    }
  }

  ManualClock clock_;
  audit::AuditLog audit_{clock_};
  crypto::PasswordHasher passwords_{crypto::PasswordParams::minimal()};
  crypto::KeyRing keys_ = crypto::KeyRing::generate(clock_);
  crypto::TokenHasher hasher_{keys_};
  cs::testing::TempDir blob_dir_;
  cs::testing::TempDir work_dir_;
  std::unique_ptr<identity::Directory> directory_;
  std::unique_ptr<oauth::AppService> apps_;
  std::unique_ptr<store::FileBlobStore> blobs_;
  std::unique_ptr<esign::EnvelopeService> envelopes_;
  std::unique_ptr<esign::SigningServiceImpl> signing_;
  std::unique_ptr<BusinessCalendar> calendar_;
  std::unique_ptr<RequestService> requests_;
  std::unique_ptr<FinalReview> final_review_;
  std::unique_ptr<Launch> launch_;

  std::string partner_org_, partner_admin_, approver_, manager_, engineer_;
  oauth::App app_;
};

}  // namespace cs::certification::testing
