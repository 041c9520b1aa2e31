// Connection::copy_rows, the bulk load of append-only tables: COPY ... FROM STDIN in text format
// on PostgreSQL (every byte that format treats specially must survive), one INSERT per row in a
// transaction on SQLite. Both: every row arrives once, all or nothing.
#include <gtest/gtest.h>

#include <array>
#include <limits>
#include <string>
#include <vector>

#include "store/database.hpp"
#include "support/test_database.hpp"

namespace cs::store {
namespace {

using cs::testing::BothBackends;

constexpr std::array<std::string_view, 5> kColumns = {"id", "n", "r", "t", "b"};

class CopyRowsTest : public BothBackends {
 protected:
  void SetUp() override {
    BothBackends::SetUp();
    auto conn = lease();
    ASSERT_TRUE(conn->exec_script(
        "CREATE TABLE loaded (id TEXT PRIMARY KEY, n BIGINT, r DOUBLE PRECISION, t TEXT, b " +
        std::string(backend() == Backend::sqlite ? "BLOB" : "BYTEA") + ")"));
  }

  std::int64_t count(const std::string& where = "1 = 1") {
    auto row = lease()->query_one("SELECT count(*) FROM loaded WHERE " + where);
    EXPECT_TRUE(row && *row);
    return row && *row ? (*row)->int64(0) : -1;
  }

  std::optional<std::string> text_of(const std::string& id) {
    Value p[] = {id};
    auto row = lease()->query_one("SELECT t FROM loaded WHERE id = $1", p);
    EXPECT_TRUE(row && *row) << id;
    return row && *row ? (*row)->opt_text(0) : std::nullopt;
  }
};

// Everything COPY's text format escapes or could misread, and text it must leave alone.
const std::vector<std::pair<std::string, std::string>> kTexts = {
    {"tab", "a\tb\t"},
    {"newline", "line one\nline two\n"},
    {"crlf", "carriage\r\nreturn\r"},
    {"backslash", "C:\\path\\to\\file \\\\ end\\"},
    {"backslash_n", "\\N"},  // the text "\N", not NULL
    {"end_marker", "\\."},   // the old end-of-data line, as data
    {"end_marker_line", "x\n\\.\ny"},
    {"escapes_as_text", "\\t\\n\\r\\x41\\101"},
    {"utf8", "Zoë, Ærøskøbing, 東京, Ελληνικά, emoji 🖋️✅"},
    {"quotes", "'single' \"double\" `back` $1 ; -- comment"},
    {"control", std::string("bell\a form\f vtab\v del\x7f")},
    {"empty", ""},
    {"spaces", "  leading and trailing  "},
};

TEST_P(CopyRowsTest, TextSurvivesEveryByteTheFormatTreatsSpecially) {
  std::vector<Value> values;
  for (const auto& [id, text] : kTexts) {
    values.insert(values.end(), {id, std::int64_t{1}, null, text, null});
  }
  auto conn = lease();
  auto loaded = conn->copy_rows("loaded", kColumns, values);
  ASSERT_TRUE(loaded) << loaded.error().detail();
  EXPECT_EQ(*loaded, static_cast<std::int64_t>(kTexts.size()));
  for (const auto& [id, text] : kTexts) {
    EXPECT_EQ(text_of(id), std::optional<std::string>(text)) << id;
  }
  EXPECT_EQ(count("t IS NULL"), 0);  // "\N" and "" stayed text
}

TEST_P(CopyRowsTest, VeryLongTextArrivesWhole) {
  // A user agent of 1 MiB with escapes spread through it: spans several of COPY's send chunks.
  std::string agent;
  for (int i = 0; agent.size() < (1u << 20); ++i)
    agent += "Mozilla/5.0 (X11; \\Linux\t" + std::to_string(i) + ")\n";
  std::vector<Value> values = {std::string("long"),
                               std::int64_t{1},
                               null,
                               agent,
                               null,
                               std::string("after"),
                               std::int64_t{2},
                               null,
                               std::string("next row"),
                               null};
  auto loaded = lease()->copy_rows("loaded", kColumns, values);
  ASSERT_TRUE(loaded) << loaded.error().detail();
  EXPECT_EQ(*loaded, 2);
  EXPECT_EQ(text_of("long"), agent);
  EXPECT_EQ(text_of("after"), "next row");
}

TEST_P(CopyRowsTest, EveryValueTypeAndNullRoundTrips) {
  const std::int64_t big = std::numeric_limits<std::int64_t>::max();
  const std::int64_t small = std::numeric_limits<std::int64_t>::min();
  Bytes blob{{0x00, 0xff, '\\', '\t', '\n', 'N', 0x00}};
  std::vector<Value> values = {
      std::string("a"),
      big,
      3.141592653589793,
      std::string("x"),
      blob,
      std::string("b"),
      small,
      -1e-300,
      std::string(""),
      Bytes{},
      std::string("c"),
      null,
      null,
      null,
      null,
  };
  auto conn = lease();
  ASSERT_TRUE(conn->copy_rows("loaded", kColumns, values));
  auto rows = conn->query("SELECT id, n, r, t, b FROM loaded ORDER BY id");
  ASSERT_TRUE(rows) << rows.error().detail();
  ASSERT_EQ(rows->size(), 3u);
  const Row& a = (*rows)[0];
  EXPECT_EQ(a.int64(1), big);
  EXPECT_DOUBLE_EQ(a.real(2), 3.141592653589793);
  EXPECT_EQ(a.bytes(4), blob);
  const Row& b = (*rows)[1];
  EXPECT_EQ(b.int64(1), small);
  EXPECT_EQ(b.real(2), -1e-300);
  EXPECT_EQ(b.text(3), "");
  EXPECT_EQ(b.bytes(4), Bytes{});
  const Row& c = (*rows)[2];
  for (std::size_t i = 1; i < 5; ++i) EXPECT_TRUE(c.is_null(i)) << i;
}

TEST_P(CopyRowsTest, TextWithNulStoresWhatExecStores) {
  const std::string with_nul("before\0after", 12);
  auto conn = lease();
  Value by_exec[] = {std::string("exec"), with_nul};
  ASSERT_TRUE(conn->exec("INSERT INTO loaded (id, t) VALUES ($1, $2)", by_exec));
  std::vector<Value> values = {std::string("copy"), null, null, with_nul, null};
  ASSERT_TRUE(conn->copy_rows("loaded", kColumns, values));
  EXPECT_EQ(text_of("copy"), text_of("exec"));
}

TEST_P(CopyRowsTest, ManyRowsArriveExactlyOnce) {
  constexpr std::int64_t kRows = 30'000;  // several send chunks on PostgreSQL
  std::vector<Value> values;
  values.reserve(kRows * kColumns.size());
  for (std::int64_t i = 0; i < kRows; ++i) {
    values.insert(values.end(),
                  {"row" + std::to_string(i), i, null, "payload\t" + std::to_string(i), null});
  }
  auto conn = lease();
  auto loaded = conn->copy_rows("loaded", kColumns, values);
  ASSERT_TRUE(loaded) << loaded.error().detail();
  EXPECT_EQ(*loaded, kRows);
  auto row =
      conn->query_one("SELECT count(*), count(DISTINCT id), sum(n), min(n), max(n) FROM loaded");
  ASSERT_TRUE(row && *row);
  EXPECT_EQ((*row)->int64(0), kRows);
  EXPECT_EQ((*row)->int64(1), kRows);
  EXPECT_EQ((*row)->int64(2), kRows * (kRows - 1) / 2);
  EXPECT_EQ((*row)->int64(3), 0);
  EXPECT_EQ((*row)->int64(4), kRows - 1);
  EXPECT_EQ(count("t = 'payload\t' || CAST(n AS TEXT)"), kRows);
}

TEST_P(CopyRowsTest, AFailingLoadWritesNothingAndTheConnectionStaysUsable) {
  auto conn = lease();
  // The last row repeats the first one's key: the whole load is refused.
  std::vector<Value> values = {std::string("k1"), std::int64_t{1}, null, std::string("a"), null,
                               std::string("k2"), std::int64_t{2}, null, std::string("b"), null,
                               std::string("k1"), std::int64_t{3}, null, std::string("c"), null};
  auto loaded = conn->copy_rows("loaded", kColumns, values);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().errc(), Errc::conflict);
  EXPECT_EQ(loaded.error().message().find("loaded"), std::string::npos);  // no SQL in the message
  EXPECT_FALSE(conn->in_transaction());
  EXPECT_EQ(count(), 0);

  std::vector<Value> good = {std::string("k9"), std::int64_t{9}, null, std::string("ok"), null};
  auto again = conn->copy_rows("loaded", kColumns, good);
  ASSERT_TRUE(again) << again.error().detail();
  EXPECT_EQ(count(), 1);
}

TEST_P(CopyRowsTest, JoinsTheOpenTransaction) {
  auto conn = lease();
  std::vector<Value> values = {std::string("t1"), std::int64_t{1}, null, std::string("x"), null};
  Status rolled_back = in_transaction(*conn, [&](Connection& c) -> Status {
    CS_TRY(c.copy_rows("loaded", kColumns, values));
    EXPECT_TRUE(c.in_transaction());
    return cs::fail(Errc::invalid_state, "changed my mind");
  });
  ASSERT_FALSE(rolled_back);
  EXPECT_EQ(count(), 0);

  Status committed = in_transaction(*conn, [&](Connection& c) -> Status {
    CS_TRY(c.copy_rows("loaded", kColumns, values));
    CS_TRY(c.exec("UPDATE loaded SET n = 5"));
    return {};
  });
  ASSERT_TRUE(committed) << committed.error().detail();
  EXPECT_EQ(count("n = 5"), 1);
}

TEST_P(CopyRowsTest, RefusesAValueCountThatIsNotWholeRows) {
  std::vector<Value> values = {std::string("x"), std::int64_t{1}, null, std::string("y")};
  auto conn = lease();
  auto loaded = conn->copy_rows("loaded", kColumns, values);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().errc(), Errc::internal);
  EXPECT_EQ(count(), 0);
  auto none = conn->copy_rows("loaded", kColumns, std::vector<Value>{});
  ASSERT_TRUE(none);
  EXPECT_EQ(*none, 0);
}

CS_INSTANTIATE_BOTH_BACKENDS(CopyRowsTest);

}  // namespace
}  // namespace cs::store
