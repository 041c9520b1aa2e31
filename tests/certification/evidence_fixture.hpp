// Storage-backed tests of the certification evidence (issue 6 §2-§4): a fresh migrated database
// on each backend, a manual clock, the real directory, apps, blob store, key ring and
// EvidenceService. A small world: a partner org (Acme) with a developer and its app declaring
// send + track, another partner org (Rival) with its own developer, and platform staff (an
// engineer, a security reviewer, a partner manager, a solution consultant, and an engineer who
// is not assigned). Requests are inserted directly in the state a test needs.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "audit/audit_log.hpp"
#include "certification/assignments.hpp"
#include "certification/catalogue.hpp"
#include "certification/evidence_service.hpp"
#include "core/business_calendar.hpp"
#include "core/ids.hpp"
#include "crypto/field_cipher.hpp"
#include "crypto/keyring.hpp"
#include "crypto/password.hpp"
#include "crypto/tokens.hpp"
#include "identity/directory.hpp"
#include "oauth/app_service.hpp"
#include "store/blob_store.hpp"
#include "store/job_queue.hpp"
#include "store/params.hpp"
#include "support/temp_dir.hpp"
#include "support/test_database.hpp"

namespace cs::certification::testing {

inline std::string describe(const Error& e) { return std::string(e.code()) + ": " + e.message() + " / " + e.detail(); }

#define ASSERT_OK_AND_ASSIGN(lhs, expr)                        \
  auto lhs##_result = (expr);                                  \
  ASSERT_TRUE(lhs##_result) << describe(lhs##_result.error()); \
  auto lhs = std::move(lhs##_result).value()

using Bytes = std::vector<std::uint8_t>;

inline Bytes read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}
inline Bytes text_bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

// Media made once per test executable with the real ffmpeg and qpdf CLIs.
class Media {
 public:
  static Media& get() {
    static Media m;
    return m;
  }
  const Bytes& mp4() const { return mp4_; }
  const Bytes& pdf() const { return pdf_; }
  // A real Matroska video of exactly `target` bytes (a file attachment pads it).
  Bytes video_of_exact_size(std::int64_t target) {
    const auto pad = dir_.path() / "pad.bin";
    std::int64_t pad_size = target - 20'000;
    for (int attempt = 0; attempt < 6; ++attempt) {
      std::ofstream(pad, std::ios::binary | std::ios::trunc) << std::string(static_cast<std::size_t>(pad_size), 'p');
      ffmpeg("-f lavfi -i testsrc=duration=1:size=160x120:rate=10 -pix_fmt yuv420p -c:v libx264 -attach " +
                 pad.string() + " -metadata:s:t mimetype=application/octet-stream",
             "sized.mkv");
      auto bytes = read_file(dir_.path() / "sized.mkv");
      const auto size = static_cast<std::int64_t>(bytes.size());
      if (size == target) return bytes;
      pad_size += target - size;
    }
    ADD_FAILURE() << "could not pad a video to " << target << " bytes";
    return {};
  }

 private:
  Media() {
    ffmpeg("-f lavfi -i testsrc=duration=2:size=320x240:rate=10 -pix_fmt yuv420p -c:v libx264", "flow.mp4");
    mp4_ = read_file(dir_.path() / "flow.mp4");
    // A one-page report: a minimal hand-written PDF (no xref table) that qpdf rewrites into a
    // clean file, the way a real report generator's output reads.
    const auto pdf = (dir_.path() / "report.pdf").string();
    const std::string one_page =
        "%PDF-1.4\n1 0 obj <</Type/Catalog/Pages 2 0 R>> endobj\n2 0 obj <</Type/Pages/Kids[3 0 R]/Count 1>> endobj\n"
        "3 0 obj <</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>> endobj\ntrailer <</Size 4/Root 1 0 R>>\n%%EOF\n";
    std::ofstream(dir_.path() / "raw.pdf", std::ios::binary) << one_page;
    const auto cmd = "qpdf --empty --pages " + (dir_.path() / "raw.pdf").string() + " -- " + pdf + " 2>/dev/null; qpdf --check " + pdf +
                     " >/dev/null";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
    pdf_ = read_file(pdf);
  }
  void ffmpeg(const std::string& args, const std::string& out) {
    const auto cmd = "ffmpeg -hide_banner -loglevel error -nostdin -y " + args + " " + (dir_.path() / out).string();
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
  cs::testing::TempDir dir_;
  Bytes mp4_;
  Bytes pdf_;
};

class EvidenceTest : public cs::testing::BothBackends {
 protected:
  void SetUp() override {
    BothBackends::SetUp();
    clock_.set(1'795'424'400'000'000);  // 2026-11-23T09:00:00Z, a Monday
    keys_ = std::make_unique<crypto::KeyRing>(crypto::KeyRing::generate(clock_));
    cipher_ = std::make_unique<crypto::FieldCipher>(*keys_);
    hasher_ = std::make_unique<crypto::TokenHasher>(*keys_);
    directory_ = std::make_unique<identity::Directory>(db(), clock_, audit_, passwords_);
    apps_ = std::make_unique<oauth::AppService>(db(), clock_, audit_, *hasher_);
    blobs_ = std::make_unique<store::FileBlobStore>(blob_dir_.path(), 512 * 1024 * 1024);
    calendar_ = std::make_unique<BusinessCalendar>(BusinessCalendar::create(CalendarSpec{}).value());
    EvidenceLimits limits;
    limits.recording_max_bytes = 8 * 1024 * 1024;
    limits.artifact_max_bytes = 1024 * 1024;
    limits.instance_url_policy.allow_private_targets = allow_private_targets();
    evidence_ = std::make_unique<EvidenceService>(db(), *blobs_, *cipher_, audit_, *calendar_, clock_, limits);
    {
      auto conn = lease();
      ASSERT_TRUE(store_catalogues(*conn, clock_.now()));
    }
    auto op = identity::Actor::operator_cli();
    org_ = directory_->create_partner_org({"Acme Partner", professional_services()}, op).value().id;
    developer_ = user("dev@acme.example", "Dana Developer");
    directory_->grant_partner_role(org_, developer_, identity::PartnerRole::partner_developer, op).value();
    rival_org_ = directory_->create_partner_org({"Rival Partner", false}, op).value().id;
    rival_ = user("dev@rival.example", "Rico Rival");
    directory_->grant_partner_role(rival_org_, rival_, identity::PartnerRole::partner_admin, op).value();
    engineer_ = staff("eng@countersign.example", identity::StaffRole::certification_engineer);
    reviewer_ = staff("sec@countersign.example", identity::StaffRole::security_reviewer);
    manager_ = staff("pm@countersign.example", identity::StaffRole::partner_manager);
    consultant_ = staff("sc@countersign.example", identity::StaffRole::solution_consultant);
    other_engineer_ = staff("eng2@countersign.example", identity::StaffRole::certification_engineer);

    oauth::NewApp in;
    in.name = "Acme Sign Connector";
    in.description = "Connects Acme to e-signature";
    in.redirect_uris = {"https://partner.example/callback"};
    in.scopes = {"account:read", "envelope:read", "envelope:write"};
    in.functions = {"send", "track"};
    in.partner_org_id = org_;
    auto created = apps_->create(principal(developer_), in, {});
    ASSERT_TRUE(created) << describe(created.error());
    app_ = created->app;
  }

  virtual bool professional_services() const { return false; }
  virtual bool allow_private_targets() const { return false; }

  std::string user(const std::string& email, const std::string& name) {
    return directory_->create_user({email, name, "correct horse battery"}, identity::Actor::operator_cli()).value().id;
  }
  std::string staff(const std::string& email, identity::StaffRole role) {
    auto id = user(email, email);
    directory_->grant_staff_role(id, role, identity::Actor::operator_cli()).value();
    return id;
  }
  identity::Principal principal(const std::string& user_id) { return directory_->load_principal(user_id).value(); }

  std::string insert_request(State state) {
    std::string id = new_id("crq");
    auto conn = lease();
    auto done = conn->exec(
        "INSERT INTO cert_requests (id, app_id, app_version_id, partner_org_id, kind, state, catalogue_version, "
        "remedy_rounds, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, 'initial', $5, $6, 0, $7, $8, $8)",
        store::params(id, app_.id, app_.current.id, org_, std::string(to_string(state)), current_catalogue().version,
                      developer_, clock_.now()));
    EXPECT_TRUE(done) << describe(done.error());
    return id;
  }
  void assign(const std::string& request_id, AssignmentRole role, const std::string& user_id) {
    auto conn = lease();
    auto a = record_assignment(*conn, request_id, role, user_id, manager_, clock_.now());
    ASSERT_TRUE(a) << describe(a.error());
  }

  std::int64_t count(const std::string& sql, const std::string& arg) {
    auto conn = lease();
    auto row = conn->query_one(sql, store::params(arg));
    EXPECT_TRUE(row && *row) << sql;
    return (row && *row) ? (*row)->int64(0) : -1;
  }

  NewArtifact upload(ArtifactKind kind, const Bytes& bytes, std::string filename) {
    NewArtifact a;
    a.kind = kind;
    a.filename = std::move(filename);
    a.content_type = "application/octet-stream";
    a.bytes = bytes;
    return a;
  }

  ManualClock clock_;
  audit::AuditLog audit_{clock_};
  crypto::PasswordHasher passwords_{crypto::PasswordParams::minimal()};
  cs::testing::TempDir blob_dir_;
  std::unique_ptr<crypto::KeyRing> keys_;
  std::unique_ptr<crypto::FieldCipher> cipher_;
  std::unique_ptr<crypto::TokenHasher> hasher_;
  std::unique_ptr<identity::Directory> directory_;
  std::unique_ptr<oauth::AppService> apps_;
  std::unique_ptr<store::FileBlobStore> blobs_;
  std::unique_ptr<BusinessCalendar> calendar_;
  std::unique_ptr<EvidenceService> evidence_;
  oauth::App app_;
  std::string org_, developer_, rival_org_, rival_, engineer_, reviewer_, manager_, consultant_, other_engineer_;
  identity::RequestContext rc_{"192.0.2.1", "req-test"};
};

}  // namespace cs::certification::testing
