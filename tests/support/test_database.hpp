// Run storage tests on BOTH backends (SQLite and PostgreSQL) with one fixture.
//
// Usage (link `cs_test_support`, label the executable `postgres`):
//
//   #include "support/test_database.hpp"
//
//   class AccountRepoTest : public cs::testing::BothBackends {};
//
//   TEST_P(AccountRepoTest, CreatesAccount) {
//     auto conn = lease();                      // a connection from db()'s pool
//     ASSERT_TRUE(conn->exec("INSERT INTO ...", params));
//     // db() is a fresh, fully migrated Database (all embedded migrations applied);
//     // backend() tells which one this run uses.
//   }
//
//   CS_INSTANTIATE_BOTH_BACKENDS(AccountRepoTest);
//
// Each test gets its own database: a new SQLite file in a TempDir, or a new database in the
// executable's private PostgreSQL cluster (PgCluster::shared(), started on first use). Need a
// second, independent Database on the same data (e.g. two "servers")? Use open_another().
// Need an unmigrated database? Override `bool migrate_on_setup() const` to return false.
// Outside a fixture, make_test_database(backend) gives the same thing.
//
// PostgreSQL runs are never skipped: if the cluster cannot start, the test fails.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

#include "store/database.hpp"
#include "support/pg_cluster.hpp"
#include "support/temp_dir.hpp"

namespace cs::testing {

struct TestDatabase {
  store::Backend backend;
  std::string url;
  std::unique_ptr<TempDir> dir;  // SQLite only: holds the database file
  std::unique_ptr<store::Database> db;
};

// A fresh database on `backend` (migrated unless `migrate` is false). Throws on failure.
TestDatabase make_test_database(store::Backend backend, bool migrate = true);

std::string backend_name(store::Backend backend);

class BothBackends : public ::testing::TestWithParam<store::Backend> {
 protected:
  void SetUp() override;
  void TearDown() override;
  virtual bool migrate_on_setup() const { return true; }

  store::Backend backend() const { return GetParam(); }
  store::Database& db() { return *test_db_.db; }
  const std::string& url() const { return test_db_.url; }
  // Borrows a connection; fails the test (fatally, via exception) if none can be had.
  store::ConnectionLease lease();
  // A second Database (own pool) on the same storage.
  std::unique_ptr<store::Database> open_another(int pool_size = 4);

 private:
  TestDatabase test_db_;
};

}  // namespace cs::testing

#define CS_INSTANTIATE_BOTH_BACKENDS(Suite)                                            \
  INSTANTIATE_TEST_SUITE_P(                                                            \
      Backends, Suite,                                                                 \
      ::testing::Values(::cs::store::Backend::sqlite, ::cs::store::Backend::postgres), \
      [](const ::testing::TestParamInfo<::cs::store::Backend>& info) {                 \
        return ::cs::testing::backend_name(info.param);                                \
      })
