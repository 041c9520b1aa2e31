// The exchange observer (the API call log's hook into the server) and streamed (chunked) bodies.
#include <mutex>
#include <vector>

#include <gtest/gtest.h>

#include "tests/http/test_client.hpp"

namespace http::testing {
namespace {

struct Seen {
  std::string method, path, route, request_id, note, body;
  int status = 0;
  std::size_t bytes_in = 0, bytes_out = 0;
  bool thread_was_io = true;
};

class RecordingObserver final : public ExchangeObserver {
 public:
  void after_handler(Request& req, Response& res) override {
    after_on_io_ = on_io_thread();
    req.attribution = std::string("seen-by-after");
    res.set_header("X-Observed", "yes");
  }
  void completed(const Exchange& e) override {
    Seen s;
    s.method = e.request.method;
    s.path = e.request.path;
    s.route = e.route ? e.route->path_template : "";
    s.request_id = e.request.request_id;
    if (auto* note = std::any_cast<std::string>(&e.request.attribution)) s.note = *note;
    s.body = e.response.body;
    s.status = e.response.status;
    s.bytes_in = e.bytes_in;
    s.bytes_out = e.bytes_out;
    s.thread_was_io = on_io_thread();
    std::lock_guard lock(mu_);
    seen_.push_back(std::move(s));
  }
  std::vector<Seen> seen() {
    std::lock_guard lock(mu_);
    return seen_;
  }
  bool after_on_io_ = true;

 private:
  std::mutex mu_;
  std::vector<Seen> seen_;
};

class ObserverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    s_.router.add("GET", "/v1/things/{id}", [](Request& r) { return Response::text(200, "thing " + std::string(r.param("id"))); });
    s_.router.add("POST", "/v1/things", [](Request& r) { return Response::text(201, r.body); });
    s_.router.add("GET", "/stream", [](Request&) {
      Response res;
      res.headers.emplace_back("Content-Type", "text/plain");
      auto n = std::make_shared<int>(0);
      res.stream = [n]() -> cs::Result<std::string> {
        if (*n == 3) return std::string();
        return "piece-" + std::to_string((*n)++) + "\n";
      };
      return res;
    });
    s_.router.add("GET", "/stream-fails", [](Request&) {
      Response res;
      auto n = std::make_shared<int>(0);
      res.stream = [n]() -> cs::Result<std::string> {
        if ((*n)++ == 0) return std::string("first\n");
        return cs::fail(cs::Errc::internal, "database went away");
      };
      return res;
    });
    s_.server = std::make_unique<Server>(test_options(), s_.router, s_.metrics);
    s_.server->set_observer(&observer_);
    ASSERT_TRUE(s_.server->start());
    s_.thread = std::thread([this] { s_.server->run(); });
  }

  RecordingObserver observer_;
  TestServer s_;
};

// Decodes a chunked body; `complete` tells whether the terminating zero-size chunk arrived.
std::string dechunk(std::string_view data, bool& complete) {
  std::string out;
  complete = false;
  while (!data.empty()) {
    auto eol = data.find("\r\n");
    if (eol == std::string_view::npos) return out;
    auto size = std::stoul(std::string(data.substr(0, eol)), nullptr, 16);
    data.remove_prefix(eol + 2);
    if (size == 0) {
      complete = true;
      return out;
    }
    if (data.size() < size + 2) return out;
    out += data.substr(0, size);
    data.remove_prefix(size + 2);
  }
  return out;
}

// Everything the server sends on one connection until it closes.
std::string read_to_eof(std::uint16_t port, const std::string& request) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  EXPECT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL), static_cast<ssize_t>(request.size()));
  std::string all;
  char buf[4096];
  for (;;) {
    auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    all.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return all;
}

TEST_F(ObserverTest, SeesEveryParsedExchangeOnceWithRouteSizesAndAttribution) {
  TestClient c(s_.port());
  auto r = c.request("GET", "/v1/things/t1", {{"X-Request-Id", "req-one"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header("X-Observed"), "yes");  // after_handler may add headers
  auto p = c.request("POST", "/v1/things", {}, "hello body");
  ASSERT_TRUE(p);
  auto missing = c.request("GET", "/nowhere");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->header("X-Observed"));  // no route: after_handler is not called
  s_.stop();

  auto seen = observer_.seen();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].route, "/v1/things/{id}");
  EXPECT_EQ(seen[0].request_id, "req-one");
  EXPECT_EQ(seen[0].note, "seen-by-after");
  EXPECT_EQ(seen[0].status, 200);
  EXPECT_EQ(seen[0].body, "thing t1");  // the response as written is still readable
  EXPECT_GT(seen[0].bytes_out, std::string("thing t1").size());
  EXPECT_TRUE(seen[0].thread_was_io);
  EXPECT_FALSE(observer_.after_on_io_);  // blocking routes: after_handler runs on a worker
  EXPECT_EQ(seen[1].method, "POST");
  EXPECT_EQ(seen[1].bytes_in, 10u);
  EXPECT_EQ(seen[1].status, 201);
  EXPECT_EQ(seen[2].route, "");
  EXPECT_EQ(seen[2].status, 404);
  EXPECT_EQ(seen[2].note, "");
}

TEST_F(ObserverTest, StreamedBodyIsChunkedAndComplete) {
  auto all = read_to_eof(s_.port(), "GET /stream HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  auto split = all.find("\r\n\r\n");
  ASSERT_NE(split, std::string::npos);
  auto head = all.substr(0, split);
  EXPECT_NE(head.find("HTTP/1.1 200"), std::string::npos);
  EXPECT_NE(head.find("Transfer-Encoding: chunked"), std::string::npos);
  EXPECT_EQ(head.find("Content-Length"), std::string::npos);
  bool complete = false;
  EXPECT_EQ(dechunk(std::string_view(all).substr(split + 4), complete), "piece-0\npiece-1\npiece-2\n");
  EXPECT_TRUE(complete);
}

TEST_F(ObserverTest, StreamedBodyOnKeepAliveLeavesTheConnectionUsable) {
  auto all = read_to_eof(s_.port(),
                         "GET /stream HTTP/1.1\r\nHost: t\r\n\r\n"
                         "GET /v1/things/x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  auto split = all.find("\r\n\r\n");
  ASSERT_NE(split, std::string::npos);
  auto terminator = all.find("\r\n0\r\n\r\n", split);
  ASSERT_NE(terminator, std::string::npos);
  // The second request was answered on the same connection, right after the last chunk.
  EXPECT_EQ(all.find("HTTP/1.1 200", terminator), terminator + 7);
  EXPECT_NE(all.find("thing x"), std::string::npos);
}

TEST_F(ObserverTest, AStreamThatFailsMidwayCutsTheConnectionWithoutTheLastChunk) {
  auto all = read_to_eof(s_.port(), "GET /stream-fails HTTP/1.1\r\nHost: t\r\n\r\n");
  auto split = all.find("\r\n\r\n");
  ASSERT_NE(split, std::string::npos);
  EXPECT_NE(all.substr(0, split).find("HTTP/1.1 200"), std::string::npos);
  bool complete = true;
  EXPECT_EQ(dechunk(std::string_view(all).substr(split + 4), complete), "first\n");
  EXPECT_FALSE(complete);  // the client can tell the export is incomplete
}

TEST_F(ObserverTest, HeadOfAStreamedRouteSendsNoChunks) {
  auto all = read_to_eof(s_.port(), "HEAD /stream HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  auto split = all.find("\r\n\r\n");
  ASSERT_NE(split, std::string::npos);
  EXPECT_EQ(all.size(), split + 4);
}

}  // namespace
}  // namespace http::testing
