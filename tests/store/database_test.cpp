#include "store/database.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <thread>

#include "support/test_database.hpp"

namespace cs::store {
namespace {

using cs::testing::BothBackends;

class DatabaseTest : public BothBackends {
 protected:
  void SetUp() override {
    BothBackends::SetUp();
    auto conn = lease();
    ASSERT_TRUE(conn->exec_script(
        "CREATE TABLE things (id TEXT PRIMARY KEY, n BIGINT, r DOUBLE PRECISION, t TEXT, b " +
        std::string(backend() == Backend::sqlite ? "BLOB" : "BYTEA") + ")"));
  }
};

TEST_P(DatabaseTest, EveryValueTypeRoundTrips) {
  auto conn = lease();
  Bytes blob{{0x00, 0xff, 0x10, 0x00, 'x'}};
  const std::int64_t big = std::numeric_limits<std::int64_t>::max();
  const std::int64_t small = std::numeric_limits<std::int64_t>::min();
  Value rows[][5] = {
      {std::string("a"), big, 3.141592653589793, std::string("héllo 'quoted' $1 \"x\""), blob},
      {std::string("b"), small, -1e-300, std::string(""), Bytes{}},
      {std::string("c"), null, null, null, null},
  };
  for (auto& r : rows) {
    auto n = conn->exec("INSERT INTO things (id, n, r, t, b) VALUES ($1, $2, $3, $4, $5)", r);
    ASSERT_TRUE(n) << n.error().detail();
    EXPECT_EQ(*n, 1);
  }
  auto got = conn->query("SELECT id, n, r, t, b FROM things ORDER BY id");
  ASSERT_TRUE(got) << got.error().detail();
  ASSERT_EQ(got->size(), 3u);
  const Row& a = (*got)[0];
  EXPECT_EQ(a.text(0), "a");
  EXPECT_EQ(a.int64(1), big);
  EXPECT_DOUBLE_EQ(a.real(2), 3.141592653589793);
  EXPECT_EQ(a.text(3), "héllo 'quoted' $1 \"x\"");
  EXPECT_EQ(a.bytes(4), blob);
  const Row& b = (*got)[1];
  EXPECT_EQ(b.int64(1), small);
  EXPECT_EQ(b.real(2), -1e-300);
  EXPECT_EQ(b.text(3), "");
  EXPECT_EQ(b.bytes(4), Bytes{});
  const Row& c = (*got)[2];
  for (std::size_t i = 1; i < 5; ++i) EXPECT_TRUE(c.is_null(i)) << i;
  EXPECT_EQ(c.opt_int64(1), std::nullopt);
  EXPECT_EQ(c.opt_text(3), std::nullopt);
  EXPECT_EQ(a.opt_int64(1), big);
}

TEST_P(DatabaseTest, ParametersBindByNumberAndMayRepeat) {
  auto conn = lease();
  Value p[] = {std::string("k"), std::int64_t{7}};
  ASSERT_TRUE(conn->exec("INSERT INTO things (id, n, t) VALUES ($1, $2, $1)", p));
  Value q[] = {std::int64_t{7}, std::string("k")};
  auto row = conn->query_one("SELECT t, n FROM things WHERE id = $2 AND n = $1", q);
  ASSERT_TRUE(row) << row.error().detail();
  ASSERT_TRUE(row->has_value());
  EXPECT_EQ((*row)->text(0), "k");
  EXPECT_EQ((*row)->int64(1), 7);
}

TEST_P(DatabaseTest, QueryOneAnswersNothingOrFailsOnSeveralRows) {
  auto conn = lease();
  auto none = conn->query_one("SELECT id FROM things");
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
  ASSERT_TRUE(conn->exec_script(
      "INSERT INTO things (id) VALUES ('x'); INSERT INTO things (id) VALUES ('y')"));
  auto two = conn->query_one("SELECT id FROM things");
  ASSERT_FALSE(two);
  EXPECT_EQ(two.error().errc(), Errc::internal);
}

TEST_P(DatabaseTest, UniqueViolationIsConflict) {
  auto conn = lease();
  Value p[] = {std::string("dup")};
  ASSERT_TRUE(conn->exec("INSERT INTO things (id) VALUES ($1)", p));
  auto again = conn->exec("INSERT INTO things (id) VALUES ($1)", p);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().errc(), Errc::conflict);
  EXPECT_FALSE(again.error().detail().empty());
}

TEST_P(DatabaseTest, FailureMessageNeverCarriesSql) {
  auto conn = lease();
  auto bad = conn->query("SELECT secret_column FROM no_such_table WHERE id = $1",
                         std::vector<Value>{std::string("x")});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().errc(), Errc::internal);
  EXPECT_EQ(bad.error().message().find("no_such_table"), std::string::npos);
  EXPECT_EQ(bad.error().message().find("SELECT"), std::string::npos);
  EXPECT_NE(bad.error().detail().find("no_such_table"), std::string::npos);  // the log keeps it

  Value p[] = {std::string("dup")};
  ASSERT_TRUE(conn->exec("INSERT INTO things (id) VALUES ($1)", p));
  auto dup = conn->exec("INSERT INTO things (id) VALUES ($1)", p);
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().message().find("things"), std::string::npos);
  EXPECT_EQ(dup.error().message().find("INSERT"), std::string::npos);
}

TEST_P(DatabaseTest, TransactionCommitsOnValueAndRollsBackOnError) {
  auto conn = lease();
  Status ok = in_transaction(*conn, [](Connection& c) -> Status {
    EXPECT_TRUE(c.in_transaction());
    CS_TRY(c.exec("INSERT INTO things (id) VALUES ('kept')"));
    return {};
  });
  ASSERT_TRUE(ok);
  EXPECT_FALSE(conn->in_transaction());

  Status failed = in_transaction(*conn, [](Connection& c) -> Status {
    CS_TRY(c.exec("INSERT INTO things (id) VALUES ('dropped')"));
    return cs::fail(Errc::invalid_state, "nope");
  });
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().errc(), Errc::invalid_state);
  EXPECT_FALSE(conn->in_transaction());

  EXPECT_THROW(in_transaction(*conn,
                              [](Connection& c) -> Status {
                                (void)c.exec("INSERT INTO things (id) VALUES ('thrown')");
                                throw std::runtime_error("boom");
                              }),
               std::runtime_error);

  auto rows = conn->query("SELECT id FROM things ORDER BY id");
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].text(0), "kept");
}

TEST_P(DatabaseTest, NestedTransactionIsDecidedByTheOuterOne) {
  auto conn = lease();
  Status outer = in_transaction(*conn, [](Connection& c) -> Status {
    CS_CHECK(in_transaction(c, [](Connection& inner) -> Status {
      CS_TRY(inner.exec("INSERT INTO things (id) VALUES ('inner')"));
      return {};
    }));
    return cs::fail(Errc::conflict, "outer gives up");
  });
  ASSERT_FALSE(outer);
  auto rows = conn->query("SELECT id FROM things");
  ASSERT_TRUE(rows);
  EXPECT_TRUE(rows->empty());
}

TEST_P(DatabaseTest, LeaseReturnedMidTransactionIsRolledBack) {
  {
    auto conn = lease();
    ASSERT_TRUE(conn->begin());
    ASSERT_TRUE(conn->exec("INSERT INTO things (id) VALUES ('orphan')"));
  }  // returned to the pool without commit
  auto other = open_another(1);
  auto conn = other->connect();
  ASSERT_TRUE(conn);
  auto rows = (*conn)->query("SELECT id FROM things");
  ASSERT_TRUE(rows);
  EXPECT_TRUE(rows->empty());
  // The pooled connection is usable again and not stuck in the old transaction.
  auto again = lease();
  EXPECT_FALSE(again->in_transaction());
}

TEST_P(DatabaseTest, PreparedStatementsAreReusedPerConnection) {
  auto conn = lease();
  std::size_t before = conn->prepared_statement_count();
  for (std::int64_t i = 0; i < 5; ++i) {
    Value p[] = {std::string("id") + std::to_string(i), i};
    ASSERT_TRUE(conn->exec("INSERT INTO things (id, n) VALUES ($1, $2)", p));
  }
  EXPECT_EQ(conn->prepared_statement_count(), before + 1);
  ASSERT_TRUE(conn->query("SELECT count(*) FROM things"));
  EXPECT_EQ(conn->prepared_statement_count(), before + 2);
  if (backend() == Backend::postgres) {
    // The server agrees: the statements live in this session.
    auto n = conn->query_one("SELECT count(*) FROM pg_prepared_statements");
    ASSERT_TRUE(n);
    EXPECT_EQ((*n)->int64(0), static_cast<std::int64_t>(before + 3));
  }
}

TEST_P(DatabaseTest, WrongParameterCountIsAnError) {
  auto conn = lease();
  auto r = conn->exec("INSERT INTO things (id, n) VALUES ($1, $2)",
                      std::vector<Value>{std::string("x")});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().errc(), Errc::internal);
}

TEST_P(DatabaseTest, PoolHandsOutDistinctConnectionsAndPings) {
  auto a = lease();
  auto b = lease();
  EXPECT_NE(&*a, &*b);
  EXPECT_TRUE(db().ping());
}

TEST_P(DatabaseTest, ExhaustedPoolWaitsForAReturnedConnection) {
  auto small = open_another(1);
  auto first = small->connect();
  ASSERT_TRUE(first);
  Connection* raw = &**first;
  std::thread returner([lease = std::move(*first)]() mutable { auto gone = std::move(lease); });
  auto second = small->connect();  // blocks until the thread returns the only connection
  returner.join();
  ASSERT_TRUE(second);
  EXPECT_EQ(&**second, raw);
}

CS_INSTANTIATE_BOTH_BACKENDS(DatabaseTest);

TEST(OpenDatabase, SqliteCreatesParentDirectoryAndUsesWal) {
  cs::testing::TempDir dir;
  auto path = dir.path() / "nested" / "deeper" / "db.sqlite";
  auto db = open_database({.url = "sqlite://" + path.string()});
  ASSERT_TRUE(db) << db.error().detail();
  EXPECT_TRUE(std::filesystem::exists(path));
  auto conn = (*db)->connect();
  ASSERT_TRUE(conn);
  auto mode = (*conn)->query_one("PRAGMA journal_mode");
  ASSERT_TRUE(mode);
  EXPECT_EQ((*mode)->text(0), "wal");
  auto fk = (*conn)->query_one("PRAGMA foreign_keys");
  ASSERT_TRUE(fk);
  EXPECT_EQ((*fk)->int64(0), 1);
  auto sync = (*conn)->query_one("PRAGMA synchronous");
  ASSERT_TRUE(sync);
  EXPECT_EQ((*sync)->int64(0), 2);  // FULL
}

TEST(OpenDatabase, PlainPathIsSqlite) {
  cs::testing::TempDir dir;
  auto db = open_database({.url = (dir.path() / "plain.db").string()});
  ASSERT_TRUE(db);
  EXPECT_EQ((*db)->backend(), Backend::sqlite);
}

TEST(OpenDatabase, UnknownSchemeAndUnreachableServerFailWithoutLeakingDetail) {
  auto bad = open_database({.url = "mysql://host/db"});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message().find("mysql"), std::string::npos);
  auto down =
      open_database({.url = "postgresql:///x?host=/nonexistent-cs-socket-dir&user=postgres"});
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error().errc(), Errc::unavailable);
  EXPECT_EQ(down.error().message().find("nonexistent"), std::string::npos);
}

}  // namespace
}  // namespace cs::store

namespace cs::store {
namespace {

TEST(PostgresPool, BrokenConnectionIsReplacedOnTheNextLease) {
  auto t = cs::testing::make_test_database(Backend::postgres, /*migrate=*/false);
  std::int64_t pid = 0;
  {
    auto conn = t.db->connect();
    ASSERT_TRUE(conn);
    pid = (*conn)->query_one("SELECT pg_backend_pid()").value()->int64(0);
  }
  {
    // The server drops the pooled connection (restart, admin kill, network blip). The timeout
    // makes the call wait until the backend is gone.
    auto admin = open_database({.url = t.url, .pool_size = 1});
    ASSERT_TRUE(admin);
    Value p[] = {pid};
    ASSERT_TRUE(
        (*admin)->connect().value()->query("SELECT pg_terminate_backend($1::int, 10000)", p));
  }
  {
    auto conn = t.db->connect();
    ASSERT_TRUE(conn);
    auto r = (*conn)->query("SELECT 1");  // the in-flight call notices the broken socket
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().errc(), Errc::unavailable);
  }
  auto conn = t.db->connect();
  ASSERT_TRUE(conn);
  auto again = (*conn)->query_one("SELECT pg_backend_pid()");
  ASSERT_TRUE(again) << again.error().detail();
  EXPECT_NE((*again)->int64(0), pid);
  EXPECT_TRUE(t.db->ping());
}

}  // namespace
}  // namespace cs::store
