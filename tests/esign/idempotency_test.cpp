// Idempotency-Key (src/web/idempotency.hpp) on both backends: replay, reuse with another body,
// a duplicate in flight, 5xx not stored, the 24 h window and bad keys.
#include <nlohmann/json.hpp>

#include "support/test_database.hpp"
#include "web/idempotency.hpp"

namespace cs::web {
namespace {

class IdempotencyTest : public cs::testing::BothBackends {
 protected:
  http::Request request(std::string key, std::string body) {
    http::Request r;
    r.method = "POST";
    r.path = "/v1/envelopes";
    r.body = std::move(body);
    r.received_at = now_;
    if (!key.empty()) r.headers.push_back({"Idempotency-Key", std::move(key)});
    return r;
  }
  http::Response run(const http::Request& r, int status = 201) {
    return idempotent(db(), r, "app:app_1:acc_1", [&] {
      ++calls_;
      return http::Response::json(status, {{"n", calls_}});
    });
  }
  int calls_ = 0;
  Micros now_ = 1'767'225'600'000'000;
};

TEST_P(IdempotencyTest, SameKeyAndBodyReplaysTheFirstResponse) {
  auto first = run(request("k1", "{\"a\":1}"));
  auto second = run(request("k1", "{\"a\":1}"));
  EXPECT_EQ(calls_, 1);
  EXPECT_EQ(second.status, 201);
  EXPECT_EQ(second.body, first.body);
  EXPECT_EQ(second.header("Idempotent-Replayed"), "true");
  EXPECT_EQ(second.header("Content-Type"), first.header("Content-Type"));
  EXPECT_FALSE(first.header("Idempotent-Replayed"));
}

TEST_P(IdempotencyTest, SameKeyWithAnotherBodyIs422) {
  run(request("k1", "{\"a\":1}"));
  auto other = run(request("k1", "{\"a\":2}"));
  EXPECT_EQ(other.status, 422);
  EXPECT_NE(other.body.find("idempotency_key_reused"), std::string::npos);
  EXPECT_EQ(calls_, 1);
}

TEST_P(IdempotencyTest, ScopesAreSeparate) {
  run(request("k1", "{}"));
  auto r = request("k1", "{}");
  idempotent(db(), r, "app:app_2:acc_1", [&] {
    ++calls_;
    return http::Response::json(201, {});
  });
  EXPECT_EQ(calls_, 2);
}

TEST_P(IdempotencyTest, DuplicateWhileInFlightIs409) {
  auto r = request("k1", "{}");
  http::Response inner;
  idempotent(db(), r, "app:app_1:acc_1", [&] {
    inner = run(request("k1", "{}"));
    return http::Response::json(201, {});
  });
  EXPECT_EQ(inner.status, 409);
}

TEST_P(IdempotencyTest, ServerErrorsAreNotStored) {
  EXPECT_EQ(run(request("k1", "{}"), 500).status, 500);
  EXPECT_EQ(run(request("k1", "{}"), 201).status, 201);
  EXPECT_EQ(calls_, 2);
}

TEST_P(IdempotencyTest, KeysExpireAfter24Hours) {
  run(request("k1", "{}"));
  now_ += kIdempotencyWindow + 1;
  auto later = run(request("k1", "{\"other\":true}"));
  EXPECT_EQ(later.status, 201);
  EXPECT_EQ(calls_, 2);
  run(request("k2", "{}"));
  EXPECT_EQ(purge_idempotency_keys(db(), now_ + kIdempotencyWindow + 1).value(), 2);
}

TEST_P(IdempotencyTest, BadKeysAre400AndNoHeaderJustRuns) {
  EXPECT_EQ(run(request(std::string(256, 'k'), "{}")).status, 400);
  EXPECT_EQ(run(request("tab\there", "{}")).status, 400);
  EXPECT_EQ(calls_, 0);
  run(request("", "{}"));
  run(request("", "{}"));
  EXPECT_EQ(calls_, 2);
}

CS_INSTANTIATE_BOTH_BACKENDS(IdempotencyTest);

}  // namespace
}  // namespace cs::web
