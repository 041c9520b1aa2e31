// Graceful shutdown with a request in flight, and HTTPS with a throwaway self-signed cert.
#include <filesystem>
#include <future>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/http/test_client.hpp"

namespace http::testing {
namespace {

using namespace std::chrono_literals;

TEST(ShutdownTest, InFlightRequestCompletesNewConnectionsRefusedRunReturns) {
  TestServer s;
  std::promise<void> started;
  std::promise<void> release;
  auto release_future = release.get_future().share();
  s.router.add("GET", "/slow", [&](Request&) {
    started.set_value();
    release_future.wait();
    return Response::text(200, "finished");
  });
  s.router.add("GET", "/hello", [](Request&) { return Response::text(200, "hello"); });
  bool hook_ran = false;
  ASSERT_TRUE(s.start());
  s.server->on_stopping([&] { hook_ran = true; });
  const auto port = s.port();

  TestClient idle(port);  // an idle keep-alive connection is closed by the shutdown
  ASSERT_TRUE(idle.request("GET", "/hello"));

  TestClient busy(port);
  ASSERT_TRUE(busy.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n"));
  started.get_future().wait();
  s.server->request_stop();

  bool refused = false;
  for (int i = 0; i < 200 && !refused; ++i) {
    TestClient probe(port, 1);
    refused = !probe.connected() || probe.closed_by_server();
    if (!refused) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(refused);
  EXPECT_TRUE(idle.closed_by_server());

  release.set_value();
  auto r = busy.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "finished");
  EXPECT_EQ(r->header("Connection"), "close");
  s.thread.join();  // run() returned
  EXPECT_TRUE(hook_ran);
}

TEST(ShutdownTest, GraceRunningOutWithQueuedHandlersSkipsThemAndTearsDownCleanly) {
  // Once a use-after-free: jobs left in the stopped worker pool were destroyed after the io
  // contexts and the connection registry. Run this binary under valgrind to see it.
  TestServer s;
  std::atomic<int> started{0};
  s.router.add("GET", "/slow", [&](Request&) {
    ++started;
    std::this_thread::sleep_for(200ms);
    return Response::text(200, "finished");
  });
  auto o = test_options();
  o.io_threads = 2;
  o.worker_threads = 2;
  o.shutdown_grace = 0ms;
  ASSERT_TRUE(s.start(o));

  constexpr int kClients = 40;
  std::vector<std::unique_ptr<TestClient>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<TestClient>(s.port()));
    ASSERT_TRUE(clients.back()->send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n"));
  }
  // All 40 parsed and handed to the 2 workers: most of them wait in the pool's queue.
  for (int i = 0; i < 1000 && s.metrics.requests_in_flight().load() < kClients; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_EQ(s.metrics.requests_in_flight().load(), kClients);

  s.server->request_stop();
  s.thread.join();  // run() returned
  // The handlers that were running finished; the queued ones never started.
  EXPECT_LT(started.load(), kClients);
  s.server.reset();
  EXPECT_EQ(s.metrics.connections_open().load(), 0);
  EXPECT_EQ(s.metrics.requests_in_flight().load(), 0);
  for (auto& c : clients) EXPECT_FALSE(c->read_response());  // dropped without an answer
}

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char tmpl[] = "/tmp/cs_http_tls_XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

std::string https_request(std::uint16_t port, const std::string& request) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    SSL* ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    if (SSL_connect(ssl) == 1 &&
        SSL_write(ssl, request.data(), static_cast<int>(request.size())) > 0) {
      char buf[4096];
      int n;
      while ((n = SSL_read(ssl, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
    }
    SSL_free(ssl);
    SSL_CTX_free(ctx);
  }
  ::close(fd);
  return out;
}

TEST(TlsTest, HttpsRequestCarriesHsts) {
  TempDir dir;
  auto cert = dir.path / "cert.pem";
  auto key = dir.path / "key.pem";
  std::string cmd =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost -keyout " +
      key.string() + " -out " + cert.string() + " >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);

  TestServer s;
  s.router.add("GET", "/hello",
               [](Request& r) { return Response::text(200, r.tls ? "secure" : "plain"); });
  auto o = test_options();
  o.tls_cert_file = cert.string();
  o.tls_key_file = key.string();
  ASSERT_TRUE(s.start(o));

  auto raw = https_request(s.port(), "GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  auto head_end = raw.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos) << raw;
  auto r = parse_head(std::string_view(raw).substr(0, head_end));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(raw.substr(head_end + 4), "secure");
  EXPECT_THAT(r->header("Strict-Transport-Security").value_or(""),
              ::testing::HasSubstr("max-age="));
}

TEST(TlsTest, MissingKeyFileFailsToStart) {
  TestServer s;
  auto o = test_options();
  o.tls_cert_file = "/nonexistent/cert.pem";
  o.tls_key_file = "/nonexistent/key.pem";
  EXPECT_FALSE(s.start(o));
}

}  // namespace
}  // namespace http::testing
