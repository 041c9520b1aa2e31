// Message framing a client can abuse: chunk extensions and trailers that never end, transfer
// codings that would smuggle a second request, and a missing Host.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/http/test_client.hpp"

namespace http::testing {
namespace {

constexpr std::string_view kChunkedHead =
    "POST /size HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";

class FramingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    s_.router.add("GET", "/hello", [](Request&) { return Response::text(200, "hello"); });
    s_.router.add("POST", "/size",
                  [](Request& r) { return Response::text(200, std::to_string(r.body.size())); });
    ASSERT_TRUE(s_.start());
  }
  static std::string code(const RawResponse& r) {
    return nlohmann::json::parse(r.body)["code"].get<std::string>();
  }
  // One request on a fresh connection; expects exactly one 400 and then the close.
  void expect_refused(const std::string& raw) {
    TestClient c(s_.port());
    c.send(raw);
    auto r = c.read_response();
    ASSERT_TRUE(r) << raw.substr(0, 200);
    ASSERT_EQ(r->status, 400) << raw.substr(0, 200);
    EXPECT_EQ(code(*r), "invalid_request");
    EXPECT_TRUE(c.closed_by_server()) << "a second response or an open connection";
  }
  void expect_server_still_answers() {
    TestClient c(s_.port());
    auto r = c.request("GET", "/hello");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
  TestServer s_;
};

TEST_F(FramingTest, WellFormedChunkedBodyIsAccepted) {
  TestClient c(s_.port());
  // Coding names are case-insensitive; a short chunk extension is allowed (and ignored).
  c.send(
      "POST /size HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: Chunked\r\n\r\n"
      "3;name=value\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "5");
}

TEST_F(FramingTest, EndlessChunkExtensionIsRefusedAndClosed) {
  // Unbounded before: the server buffered the unfinished chunk line until memory ran out.
  expect_refused(std::string(kChunkedHead) + "1;" + std::string(256 * 1024, 'a'));
  expect_server_still_answers();
}

TEST_F(FramingTest, LongCompleteChunkExtensionIsRefused) {
  expect_refused(std::string(kChunkedHead) + "1;x=" + std::string(2000, 'y') +
                 "\r\na\r\n0\r\n\r\n");
  expect_server_still_answers();
}

TEST_F(FramingTest, EndlessTrailerIsRefusedAndClosed) {
  expect_refused(std::string(kChunkedHead) +
                 "1\r\na\r\n0\r\nX-Trailer: " + std::string(256 * 1024, 'b'));
  expect_server_still_answers();
}

TEST_F(FramingTest, UnknownTransferCodingDoesNotSmuggleASecondRequest) {
  // Beast ignores a coding list that does not end in chunked: the "body" would be read as
  // the next request and answered too.
  expect_refused(
      "POST /size HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n"
      "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
}

TEST_F(FramingTest, CodingsBeforeChunkedAreRefused) {
  expect_refused(
      std::string("POST /size HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n") +
      "1\r\na\r\n0\r\n\r\n");
}

TEST_F(FramingTest, SeveralTransferEncodingHeadersAreRefused) {
  expect_refused(
      "POST /size HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n"
      "\r\n1\r\na\r\n0\r\n\r\n");
}

TEST_F(FramingTest, TransferEncodingInHttp10IsRefused) {
  expect_refused(
      "POST /size HTTP/1.0\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n");
}

TEST_F(FramingTest, Http11WithoutHostIsRefused) { expect_refused("GET /hello HTTP/1.1\r\n\r\n"); }

TEST_F(FramingTest, SeveralHostHeadersAreRefused) {
  expect_refused("GET /hello HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
}

TEST_F(FramingTest, Http10WithoutHostIsServed) {
  TestClient c(s_.port());
  c.send("GET /hello HTTP/1.0\r\n\r\n");
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello");
}

}  // namespace
}  // namespace http::testing
