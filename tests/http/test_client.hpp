// A small blocking HTTP/1.1 client over raw sockets, so tests can also send what no real
// client would: garbage, oversized headers, bytes trickled one at a time.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "http/metrics.hpp"
#include "http/request.hpp"
#include "http/router.hpp"
#include "http/server.hpp"

namespace http::testing {

struct RawResponse {
  int status = 0;
  HeaderList headers;
  std::string body;
  std::optional<std::string> header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (iequals(k, name)) return v;
    }
    return std::nullopt;
  }
};

inline std::optional<RawResponse> parse_head(std::string_view head) {
  RawResponse r;
  auto line_end = head.find("\r\n");
  auto status_line = head.substr(0, line_end);
  if (!status_line.starts_with("HTTP/1.1 ") || status_line.size() < 12) return std::nullopt;
  r.status = std::stoi(std::string(status_line.substr(9, 3)));
  std::string_view rest = head.substr(line_end + 2);
  while (!rest.empty()) {
    auto end = rest.find("\r\n");
    auto line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 2);
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    auto value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    r.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  }
  return r;
}

class TestClient {
 public:
  explicit TestClient(std::uint16_t port, int timeout_seconds = 10) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{timeout_seconds, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~TestClient() { ::close(fd_); }
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;

  bool connected() const { return connected_; }

  bool send(std::string_view data) {
    while (!data.empty()) {
      auto n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // nullopt when the connection closed (or timed out) before a full response arrived.
  std::optional<RawResponse> read_response(bool head_request = false) {
    std::size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) return std::nullopt;
    }
    auto r = parse_head(std::string_view(buffer_).substr(0, end));
    buffer_.erase(0, end + 4);
    if (!r) return std::nullopt;
    std::size_t length = 0;
    if (auto cl = r->header("Content-Length"); cl && !head_request) length = std::stoul(*cl);
    while (buffer_.size() < length) {
      if (!fill()) return std::nullopt;
    }
    r->body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return r;
  }

  // True when the server closed the connection (EOF or reset) with nothing more to read.
  bool closed_by_server() {
    char c;
    auto n = ::recv(fd_, &c, 1, 0);
    return n == 0 || (n < 0 && errno == ECONNRESET);
  }

  // True when a byte is ready to read or the peer closed.
  bool readable_now() {
    char c;
    auto n = ::recv(fd_, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
  }

  std::optional<RawResponse> request(std::string_view method, std::string_view target,
                                     const HeaderList& headers = {}, std::string_view body = {}) {
    std::string req = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: t\r\n";
    for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
    if (!body.empty() || method == "POST" || method == "PUT") {
      req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    }
    req += "\r\n";
    req += body;
    if (!send(req)) return std::nullopt;
    return read_response(method == "HEAD");
  }

 private:
  bool fill() {
    char chunk[65536];
    auto n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string buffer_;
};

inline ServerOptions test_options() {
  ServerOptions o;
  o.host = "127.0.0.1";
  o.port = 0;
  o.io_threads = 1;
  o.worker_threads = 2;
  o.access_log = false;
  return o;
}

// A server on an ephemeral loopback port, run on a background thread.
struct TestServer {
  Router router;
  Metrics metrics;
  std::unique_ptr<Server> server;
  std::thread thread;

  cs::Status start(ServerOptions options = test_options(), Authenticator auth = {}) {
    server = std::make_unique<Server>(std::move(options), router, metrics);
    if (auth) server->set_authenticator(std::move(auth));
    auto status = server->start();
    if (!status) return status;
    thread = std::thread([this] { server->run(); });
    return {};
  }
  std::uint16_t port() const { return server->port(); }
  void stop() {
    if (thread.joinable()) {
      server->request_stop();
      thread.join();
    }
  }
  ~TestServer() { stop(); }
};

}  // namespace http::testing
