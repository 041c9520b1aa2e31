// Recording (issue 5 §1): every submitted call is written exactly once, a full queue drops and
// counts, stop() drains everything queued. On both backends.
#include <set>
#include <thread>

#include "calllog/call_query.hpp"
#include "calllog_fixture.hpp"

namespace cs::testing {
namespace {

class RecorderTest : public BothBackends {};

TEST_P(RecorderTest, EveryCallFromManyThreadsIsWrittenExactlyOnceWithItsFields) {
  calllog::Recorder recorder(db(), {.capacity = 100'000});
  recorder.start();
  constexpr int kThreads = 4, kPerThread = 700;
  std::vector<std::thread> threads;
  std::vector<std::vector<std::string>> ids(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto c = make_call(kMarch2 + t * kHour + i, 200 + (i % 3) * 100);
        ids[t].push_back(c.id);
        EXPECT_TRUE(recorder.submit(std::move(c)));
      }
    });
  }
  for (auto& th : threads) th.join();
  recorder.flush();
  EXPECT_EQ(recorder.written(), static_cast<std::uint64_t>(kThreads * kPerThread));
  EXPECT_EQ(recorder.dropped(), 0u);
  EXPECT_EQ(count_calls(db()), kThreads * kPerThread);
  auto lease = db().connect();
  auto distinct = (*lease)->query_one("SELECT count(DISTINCT id) FROM api_calls");
  EXPECT_EQ((*distinct)->int64(0), kThreads * kPerThread);

  // Every field survives the round trip.
  auto sample = make_call(kMarch2 + 10 * kHour, 404, "/v1/envelopes/{id}/recipients", "app_two");
  sample.auth = false;
  sample.polling_violation = true;
  sample.bytes_in = 17;
  sample.user_agent = "ua \"quoted\", with comma";
  ASSERT_TRUE(recorder.submit(sample));
  recorder.stop();
  auto page = calllog::list_calls(db(), {"app_two", kMarch2, kMarch2 + 24 * kHour, {}, {}, {}}, std::nullopt, 10);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->calls.size(), 1u);
  const auto& got = page->calls[0];
  EXPECT_EQ(got.id, sample.id);
  EXPECT_EQ(got.at, sample.at);
  EXPECT_EQ(got.request_id, sample.request_id);
  EXPECT_EQ(got.app_version_id, "apv_1");
  EXPECT_EQ(got.partner_org_id, "org_1");
  EXPECT_EQ(got.account_id, "acc_1");
  EXPECT_EQ(got.user_id, "usr_1");
  EXPECT_EQ(got.route, "/v1/envelopes/{id}/recipients");
  EXPECT_EQ(got.resource_id, "env_1");
  EXPECT_EQ(got.status, 404);
  EXPECT_EQ(got.error_code, "not_found");
  EXPECT_EQ(got.latency_us, 1000);
  EXPECT_EQ(got.bytes_in, 17);
  EXPECT_EQ(got.bytes_out, 321);
  EXPECT_EQ(got.client_ip, "192.0.2.7");
  EXPECT_EQ(got.user_agent, sample.user_agent);
  EXPECT_TRUE(got.polling_violation);
  EXPECT_FALSE(got.auth);
}

TEST_P(RecorderTest, StopWritesEverythingQueuedBeforeItReturns) {
  calllog::Recorder recorder(db(), {.capacity = 100'000});
  recorder.start();
  for (int i = 0; i < 20'000; ++i) ASSERT_TRUE(recorder.submit(make_call(kMarch2 + i)));
  recorder.stop();  // no flush(): stop alone must drain
  EXPECT_EQ(recorder.written(), 20'000u);
  EXPECT_EQ(count_calls(db()), 20'000);
}

TEST_P(RecorderTest, AFullQueueDropsAndCountsInsteadOfBlocking) {
  calllog::Recorder recorder(db(), {.capacity = 10});
  // The writer is not running yet, so nothing leaves the queue.
  int accepted = 0;
  for (int i = 0; i < 15; ++i) accepted += recorder.submit(make_call(kMarch2 + i)) ? 1 : 0;
  EXPECT_EQ(accepted, 10);
  EXPECT_EQ(recorder.dropped(), 5u);
  EXPECT_EQ(recorder.queued(), 10u);
  recorder.start();
  recorder.stop();
  EXPECT_EQ(recorder.written(), 10u);
  EXPECT_EQ(count_calls(db()), 10);
}

TEST_P(RecorderTest, BatchesOfEverySizeAreWritten) {
  // 256 + 32 + 8 + 1 row statements: 300 = 256 + 32 + 8 + 1 + 1 + 1 + 1.
  std::vector<calllog::CallRecord> calls;
  for (int i = 0; i < 300; ++i) calls.push_back(make_call(kMarch2 + i));
  insert_calls(db(), calls);
  EXPECT_EQ(count_calls(db()), 300);
}

CS_INSTANTIATE_BOTH_BACKENDS(RecorderTest);

}  // namespace
}  // namespace cs::testing
