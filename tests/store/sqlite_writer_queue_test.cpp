// SQLite writers of one process take turns in the WriterQueue (store/sqlite/writer_queue.hpp):
// first come first served, given back at commit, rollback or the end of an autocommit write,
// never taken by reads, shared by every pool on the file, and WAL checkpoints still happen.
#include "store/sqlite/writer_queue.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "store/database.hpp"
#include "support/temp_dir.hpp"

namespace cs::store {
namespace {

using namespace std::chrono_literals;

// Polls an observable state; a bound keeps a broken build from hanging the suite.
bool eventually(const std::function<bool()>& condition) {
  auto give_up = std::chrono::steady_clock::now() + 20s;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::yield();
  }
  return true;
}

TEST(WriterQueue, HandsTheTurnOverInArrivalOrder) {
  WriterQueue queue;
  ASSERT_TRUE(queue.acquire(0ms));
  std::mutex mu;
  std::vector<int> order;
  std::vector<std::thread> writers;
  for (int i = 1; i <= 3; ++i) {
    writers.emplace_back([&, i] {
      ASSERT_TRUE(queue.acquire(60s));
      {
        std::lock_guard lock(mu);
        order.push_back(i);
      }
      queue.release();
    });
    // The next writer starts only once this one is queued.
    ASSERT_TRUE(eventually([&] { return queue.waiting() == static_cast<std::size_t>(i); }));
  }
  queue.release();
  for (auto& t : writers) t.join();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(queue.waiting(), 0u);
  EXPECT_TRUE(queue.acquire(0ms));  // free again
}

TEST(WriterQueue, AWriterThatGivesUpLeavesTheQueue) {
  WriterQueue queue;
  ASSERT_TRUE(queue.acquire(0ms));
  bool got = true;
  std::thread late([&] { got = queue.acquire(20ms); });
  late.join();
  EXPECT_FALSE(got);
  EXPECT_EQ(queue.waiting(), 0u);
  queue.release();
  // Had the quitter stayed queued, the turn would have gone to it and nobody could take it.
  EXPECT_TRUE(queue.acquire(0ms));
}

TEST(WriterQueue, OneQueuePerFile) {
  cs::testing::TempDir dir;
  auto a = WriterQueue::for_file((dir / "a.db").string());
  EXPECT_EQ(a, WriterQueue::for_file((dir / "." / "a.db").string()));
  EXPECT_NE(a, WriterQueue::for_file((dir / "b.db").string()));
}

class SqliteWriters : public ::testing::Test {
 protected:
  void SetUp() override { db_ = open(10000); }

  // A pool on the test file; `busy_timeout_ms` also bounds the wait for the writer turn.
  std::unique_ptr<Database> open(int busy_timeout_ms) {
    auto db = open_database({.url = path_.string(), .pool_size = 4, .busy_timeout_ms = busy_timeout_ms});
    EXPECT_TRUE(db) << db.error().detail();
    auto conn = (*db)->connect().value();
    EXPECT_TRUE(conn->exec_script("CREATE TABLE IF NOT EXISTS things (id TEXT PRIMARY KEY, n BIGINT)"));
    return std::move(*db);
  }
  std::int64_t count(Connection& conn) {
    return conn.query_one("SELECT COUNT(*) FROM things").value()->int64(0);
  }
  WriterQueue& queue() {
    queue_ = WriterQueue::for_file(path_.string());
    return *queue_;
  }

  cs::testing::TempDir dir_;
  std::filesystem::path path_ = dir_ / "writers.db";
  std::unique_ptr<Database> db_;
  std::shared_ptr<WriterQueue> queue_;
};

TEST_F(SqliteWriters, AWriterWaitsInTheQueueUntilTheTransactionAheadCommits) {
  auto first = db_->connect().value();
  ASSERT_TRUE(first->begin());
  ASSERT_TRUE(first->exec("INSERT INTO things (id) VALUES ('first')"));
  Result<std::int64_t> second_insert = 0;
  std::thread second([&] {
    auto conn = db_->connect().value();
    second_insert = conn->exec("INSERT INTO things (id) VALUES ('second')");  // autocommit
  });
  ASSERT_TRUE(eventually([&] { return queue().waiting() == 1; }));
  ASSERT_TRUE(first->commit());
  second.join();
  ASSERT_TRUE(second_insert) << second_insert.error().detail();
  EXPECT_EQ(count(*first), 2);
}

TEST_F(SqliteWriters, ReadsNeverQueue) {
  auto db = open(/*busy_timeout_ms=*/100);
  auto writer = db->connect().value();
  auto reader = db->connect().value();
  ASSERT_TRUE(writer->begin());
  ASSERT_TRUE(writer->exec("INSERT INTO things (id) VALUES ('uncommitted')"));
  // Same thread: had the read waited for the turn, it would time out.
  auto rows = reader->query("SELECT id FROM things");
  ASSERT_TRUE(rows) << rows.error().detail();
  EXPECT_TRUE(rows->empty());
  ASSERT_TRUE(writer->rollback());
}

TEST_F(SqliteWriters, TheTurnIsGivenBackWhenTheConnectionIsInAutocommitAgain) {
  // One thread, two connections: every step below would time out if the previous one had kept
  // the turn.
  auto db = open(/*busy_timeout_ms=*/100);
  auto a = db->connect().value();
  auto b = db->connect().value();

  ASSERT_TRUE(a->begin());
  ASSERT_TRUE(a->exec("INSERT INTO things (id) VALUES ('committed')"));
  ASSERT_TRUE(a->commit());
  ASSERT_TRUE(b->exec("INSERT INTO things (id) VALUES ('after commit')"));

  ASSERT_TRUE(a->begin());
  ASSERT_TRUE(a->exec("INSERT INTO things (id) VALUES ('rolled back')"));
  ASSERT_TRUE(a->rollback());
  ASSERT_TRUE(b->exec("INSERT INTO things (id) VALUES ('after rollback')"));

  // A failed autocommit write (unique violation) gives it back too.
  auto dup = a->exec("INSERT INTO things (id) VALUES ('committed')");
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().errc(), Errc::conflict);
  ASSERT_TRUE(b->exec("INSERT INTO things (id) VALUES ('after failure')"));

  // A failed statement inside a transaction keeps it until the transaction ends.
  ASSERT_TRUE(a->begin());
  ASSERT_FALSE(a->exec("INSERT INTO things (id) VALUES ('committed')"));
  auto blocked = b->exec("INSERT INTO things (id) VALUES ('while a is open')");
  ASSERT_FALSE(blocked);
  EXPECT_EQ(blocked.error().errc(), Errc::unavailable);
  ASSERT_TRUE(a->rollback());

  // Transactions opened by statement text take and give back the turn the same way.
  ASSERT_TRUE(a->exec("BEGIN"));
  ASSERT_TRUE(a->exec("INSERT INTO things (id) VALUES ('by text')"));
  ASSERT_TRUE(a->exec("COMMIT"));
  ASSERT_TRUE(b->exec("INSERT INTO things (id) VALUES ('after text')"));
  ASSERT_TRUE(a->exec_script("BEGIN; INSERT INTO things (id) VALUES ('script'); COMMIT;"));
  ASSERT_TRUE(b->exec("INSERT INTO things (id) VALUES ('after script')"));

  EXPECT_EQ(count(*a), 8);
  EXPECT_EQ(queue().waiting(), 0u);
}

TEST_F(SqliteWriters, ALeaseReturnedMidTransactionGivesTheTurnBack) {
  auto db = open(/*busy_timeout_ms=*/100);
  {
    auto conn = db->connect().value();
    ASSERT_TRUE(conn->begin());
    ASSERT_TRUE(conn->exec("INSERT INTO things (id) VALUES ('orphan')"));
  }
  auto conn = db->connect().value();
  ASSERT_TRUE(conn->begin()) << "the returned lease still held the turn";
  ASSERT_TRUE(conn->commit());
  EXPECT_EQ(count(*conn), 0);
}

TEST_F(SqliteWriters, PoolsOnTheSameFileShareTheQueue) {
  auto other = open(10000);
  auto first = db_->connect().value();
  ASSERT_TRUE(first->begin());
  Status second_begin;
  std::thread second([&] {
    auto conn = other->connect().value();
    second_begin = conn->begin();
    if (second_begin) second_begin = conn->commit();
  });
  ASSERT_TRUE(eventually([&] { return queue().waiting() == 1; }));
  ASSERT_TRUE(first->commit());
  second.join();
  EXPECT_TRUE(second_begin) << second_begin.error().detail();
}

TEST_F(SqliteWriters, ConcurrentReadModifyWriteTransactionsAllApply) {
  {
    auto conn = db_->connect().value();
    ASSERT_TRUE(conn->exec("INSERT INTO things (id, n) VALUES ('counter', 0)"));
  }
  constexpr int kThreads = 4, kEach = 50;
  std::atomic<int> failures = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        auto done = transact(*db_, [](Connection& c) -> Status {
          auto n = CS_TRY(c.query_one("SELECT n FROM things WHERE id = 'counter'"));
          Value p[] = {(*n).int64(0) + 1};
          CS_TRY(c.exec("UPDATE things SET n = $1 WHERE id = 'counter'", p));
          return {};
        });
        if (!done) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto conn = db_->connect().value();
  EXPECT_EQ(conn->query_one("SELECT n FROM things WHERE id = 'counter'").value()->int64(0),
            kThreads * kEach);
}

TEST_F(SqliteWriters, TheWalIsStillCheckpointed) {
  auto conn = db_->connect().value();
  ASSERT_TRUE(conn->exec_script("PRAGMA synchronous=OFF"));  // this test is about size, not fsync
  ASSERT_TRUE(conn->exec_script("CREATE TABLE blobs (id TEXT PRIMARY KEY, b BLOB)"));
  auto wal = std::filesystem::path(path_.string() + "-wal");
  // 300 commits of 100 KiB: about 7,500 WAL pages (30 MiB) if nothing were checkpointed. With
  // a checkpoint once the WAL holds 1,000 pages, later commits reuse the file from its start.
  std::string blob(100 * 1024, 'x');
  for (int i = 0; i < 300; ++i) {
    Value p[] = {std::to_string(i), Bytes{std::vector<std::uint8_t>(blob.begin(), blob.end())}};
    ASSERT_TRUE(conn->exec("INSERT INTO blobs (id, b) VALUES ($1, $2)", p));
  }
  EXPECT_LT(std::filesystem::file_size(wal), 10u * 1024 * 1024);
}

}  // namespace
}  // namespace cs::store

namespace cs::store {
namespace {

// Group commit (store/sqlite/deferred_sync_vfs.hpp): a durable commit still syncs the WAL, once,
// after the writer turn; a relaxed one (synchronous=NORMAL) does not.
TEST(SqliteGroupCommit, DurableCommitsSyncTheWalAndRelaxedOnesDoNot) {
  cs::testing::TempDir dir;
  auto path = (dir / "sync.db").string();
  auto db = open_database({.url = path, .pool_size = 2}).value();
  auto queue = WriterQueue::for_file(path);
  auto conn = db->connect().value();
  ASSERT_TRUE(conn->exec_script("CREATE TABLE t (x BIGINT)"));

  auto before = queue->syncs();
  ASSERT_TRUE(conn->exec("INSERT INTO t (x) VALUES (1)"));  // autocommit, durable
  EXPECT_EQ(queue->syncs(), before + 1);
  ASSERT_TRUE(conn->begin());
  ASSERT_TRUE(conn->exec("INSERT INTO t (x) VALUES (2)"));
  EXPECT_EQ(queue->syncs(), before + 1);  // nothing synced before the commit
  ASSERT_TRUE(conn->commit());
  EXPECT_EQ(queue->syncs(), before + 2);

  ASSERT_TRUE(conn->exec_script("PRAGMA synchronous=NORMAL"));
  ASSERT_TRUE(conn->exec("INSERT INTO t (x) VALUES (3)"));
  EXPECT_EQ(queue->syncs(), before + 2);
  ASSERT_TRUE(conn->exec_script("PRAGMA synchronous=FULL"));
  ASSERT_TRUE(conn->exec("INSERT INTO t (x) VALUES (4)"));
  EXPECT_EQ(queue->syncs(), before + 3);
  EXPECT_EQ(conn->query_one("SELECT COUNT(*) FROM t").value()->int64(0), 4);
}

TEST(WriterQueue, ASyncThatBeganAfterACommitCoversIt) {
  WriterQueue queue;
  auto first = queue.note_commit();
  auto second = queue.note_commit();
  int performed = 0;
  auto sync = [&] { ++performed; return 0; };
  EXPECT_EQ(queue.sync_through(first, sync), 0);  // covers both: both were written before
  EXPECT_EQ(queue.sync_through(second, sync), 0);
  EXPECT_EQ(performed, 1);
  auto third = queue.note_commit();
  EXPECT_EQ(queue.sync_through(third, [] { return 10; }), 10);  // a failed sync covers nothing
  EXPECT_EQ(queue.sync_through(third, sync), 0);
  EXPECT_EQ(performed, 2);
}

}  // namespace
}  // namespace cs::store
