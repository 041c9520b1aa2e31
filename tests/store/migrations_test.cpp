#include "store/migrations.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "support/test_database.hpp"

namespace cs::store {
namespace {

class MigrationsTest : public cs::testing::BothBackends {
 protected:
  bool migrate_on_setup() const override { return false; }

  std::int64_t count(std::string_view sql) {
    auto conn = lease();
    auto row = conn->query_one(sql);
    EXPECT_TRUE(row) << row.error().detail();
    return row && *row ? (*row)->int64(0) : -1;
  }
  bool table_exists(std::string_view name) {
    auto conn = lease();
    Value p[] = {std::string(name)};
    auto row =
        conn->query_one(backend() == Backend::sqlite
                            ? "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $1"
                            : "SELECT 1 FROM information_schema.tables WHERE table_name = $1",
                        p);
    EXPECT_TRUE(row);
    return row && row->has_value();
  }
};

const Migration kFirst{1, "first", "CREATE TABLE first_t (id TEXT PRIMARY KEY);"};
const Migration kSecond{2, "second",
                        "CREATE TABLE second_t (id {{AUTOINCREMENT_PK}}, data {{BLOB}} NOT NULL);\n"
                        "CREATE INDEX second_t_data ON second_t (data);"};

TEST_P(MigrationsTest, EmbeddedSetStartsWithTheJobTable) {
  auto all = embedded_migrations();
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all[0].version, 1);
  EXPECT_EQ(all[0].name, "jobs");
  for (std::size_t i = 1; i < all.size(); ++i) EXPECT_LT(all[i - 1].version, all[i].version);

  auto before = migration_status(db());
  ASSERT_TRUE(before) << before.error().detail();
  EXPECT_EQ(before->current, 0);
  EXPECT_EQ(before->latest, all.back().version);
  EXPECT_EQ(before->pending, static_cast<int>(all.size()));

  ASSERT_TRUE(migrate(db()));
  auto after = migration_status(db());
  ASSERT_TRUE(after);
  EXPECT_EQ(after->current, all.back().version);
  EXPECT_EQ(after->pending, 0);
  EXPECT_TRUE(table_exists("jobs"));
}

TEST_P(MigrationsTest, AppliesOnceRecordsAndIsIdempotent) {
  Migration set[] = {kFirst, kSecond};
  auto st = migrate(db(), set);
  ASSERT_TRUE(st) << st.error().detail();
  ASSERT_TRUE(migrate(db(), set));  // second run: nothing to do, no error

  auto conn = lease();
  auto rows = conn->query(
      "SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version");
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].int64(0), 1);
  EXPECT_EQ((*rows)[0].text(1), "first");
  EXPECT_EQ((*rows)[1].text(1), "second");
  EXPECT_EQ((*rows)[0].text(2).size(), 64u);
  EXPECT_NE((*rows)[0].text(2), (*rows)[1].text(2));
  EXPECT_GT((*rows)[0].int64(3), 0);

  // Dialect tokens became a working auto-increment key and a binary column.
  Value p[] = {Bytes{{1, 2, 3}}};
  auto id1 = conn->query_one("INSERT INTO second_t (data) VALUES ($1) RETURNING id", p);
  ASSERT_TRUE(id1) << id1.error().detail();
  auto id2 = conn->query_one("INSERT INTO second_t (data) VALUES ($1) RETURNING id", p);
  ASSERT_TRUE(id2);
  EXPECT_LT((*id1)->int64(0), (*id2)->int64(0));
}

TEST_P(MigrationsTest, AppliesOnlyPendingOnes) {
  Migration first_only[] = {kFirst};
  ASSERT_TRUE(migrate(db(), first_only));
  Migration both[] = {kSecond, kFirst};  // order in the span does not matter
  auto st = migration_status(db(), both);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->current, 1);
  EXPECT_EQ(st->latest, 2);
  EXPECT_EQ(st->pending, 1);
  ASSERT_TRUE(migrate(db(), both));
  EXPECT_TRUE(table_exists("second_t"));
  EXPECT_EQ(count("SELECT count(*) FROM schema_migrations"), 2);
}

TEST_P(MigrationsTest, RefusesWhenAnAppliedMigrationChanged) {
  Migration original[] = {kFirst};
  ASSERT_TRUE(migrate(db(), original));
  Migration tampered[] = {{1, "first", "CREATE TABLE first_t (id TEXT PRIMARY KEY, extra TEXT);"},
                          kSecond};
  auto st = migrate(db(), tampered);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().errc(), Errc::internal);
  EXPECT_NE(st.error().detail().find("checksum"), std::string::npos);
  EXPECT_NE(st.error().detail().find("0001_first"), std::string::npos) << st.error().detail();
  EXPECT_FALSE(table_exists("second_t"));  // nothing after the refusal ran
}

TEST_P(MigrationsTest, FailedMigrationRollsBackAndStaysPending) {
  Migration set[] = {
      kFirst, {2, "broken", "CREATE TABLE partial_t (x BIGINT);\nSELECT * FROM no_such_table;"}};
  auto st = migrate(db(), set);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().errc(), Errc::internal);
  EXPECT_EQ(st.error().message().find("no_such_table"), std::string::npos);
  EXPECT_NE(st.error().detail().find("0002_broken"), std::string::npos);
  EXPECT_TRUE(table_exists("first_t"));
  EXPECT_FALSE(table_exists("partial_t"));
  auto status = migration_status(db(), set);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->current, 1);
  EXPECT_EQ(status->pending, 1);
}

TEST_P(MigrationsTest, DuplicateVersionsAreRefused) {
  Migration set[] = {kFirst, {1, "again", "SELECT 1;"}};
  auto st = migrate(db(), set);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().detail().find("share version 1"), std::string::npos);
}

TEST_P(MigrationsTest, TwoServersMigratingTogetherApplyEachOnce) {
  auto other = open_another();
  Migration set[] = {kFirst, kSecond};
  Status a, b;
  std::thread t([&] { a = migrate(db(), set); });
  b = migrate(*other, set);
  t.join();
  EXPECT_TRUE(a) << a.error().detail();
  EXPECT_TRUE(b) << b.error().detail();
  EXPECT_EQ(count("SELECT count(*) FROM schema_migrations"), 2);
}

CS_INSTANTIATE_BOTH_BACKENDS(MigrationsTest);

TEST(MigrationSql, DialectTokensArePerBackend) {
  std::string_view sql = "CREATE TABLE t (id {{AUTOINCREMENT_PK}}, a {{BLOB}}, b {{BLOB}});";
  EXPECT_EQ(render_migration_sql(sql, Backend::sqlite),
            "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, a BLOB, b BLOB);");
  EXPECT_EQ(
      render_migration_sql(sql, Backend::postgres),
      "CREATE TABLE t (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, a BYTEA, b BYTEA);");
}

}  // namespace
}  // namespace cs::store
