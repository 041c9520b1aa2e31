// Shared setup for the identity tests that touch storage: a fresh migrated database on each
// backend, a manual clock, the audit log, a fast password hasher and the three services.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "audit/audit_log.hpp"
#include "core/clock.hpp"
#include "crypto/keyring.hpp"
#include "crypto/password.hpp"
#include "identity/auth_service.hpp"
#include "identity/directory.hpp"
#include "identity/session_service.hpp"
#include "support/test_database.hpp"

namespace cs::identity::testing {

inline constexpr const char* kPassword = "correct horse battery";

class IdentityTest : public cs::testing::BothBackends {
 protected:
  void SetUp() override {
    BothBackends::SetUp();
    directory_ = std::make_unique<Directory>(db(), clock_, audit_, hasher_);
    sessions_ = std::make_unique<SessionService>(db(), clock_, keys_.token_hash_key());
    auth_ = std::make_unique<AuthService>(db(), clock_, audit_, hasher_, *sessions_);
  }

  Directory& directory() { return *directory_; }
  SessionService& sessions() { return *sessions_; }
  AuthService& auth() { return *auth_; }

  std::int64_t count(const std::string& table) {
    auto conn = lease();
    auto row = conn->query_one("SELECT COUNT(*) FROM " + table);
    EXPECT_TRUE(row && *row) << table;
    return (row && *row) ? (*row)->int64(0) : -1;
  }

  std::vector<audit::AuditEntry> audit_entries(const std::string& action) {
    auto conn = lease();
    audit::AuditQuery q;
    q.action = action;
    auto entries = audit_.list(*conn, q);
    EXPECT_TRUE(entries) << (entries ? "" : entries.error().detail());
    return entries ? *entries : std::vector<audit::AuditEntry>{};
  }

  User make_user(const std::string& email, const std::string& password = kPassword) {
    auto u = directory().create_user({email, "Test User", password}, Actor::operator_cli());
    EXPECT_TRUE(u) << (u ? "" : u.error().message() + " / " + u.error().detail());
    return u ? *u : User{};
  }

  Account make_account(const std::string& name, Environment env = Environment::production) {
    auto a = directory().create_account({name, env, std::nullopt}, Actor::operator_cli());
    EXPECT_TRUE(a) << (a ? "" : a.error().message() + " / " + a.error().detail());
    return a ? *a : Account{};
  }

  ManualClock clock_;
  audit::AuditLog audit_{clock_};
  crypto::PasswordHasher hasher_{crypto::PasswordParams::minimal()};
  crypto::KeyRing keys_ = crypto::KeyRing::generate(clock_);

 private:
  std::unique_ptr<Directory> directory_;
  std::unique_ptr<SessionService> sessions_;
  std::unique_ptr<AuthService> auth_;
};

}  // namespace cs::identity::testing
