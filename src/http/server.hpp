// The HTTP/1.1 server: connections, limits, timeouts, TLS, worker pool, graceful shutdown.
// Beast and Asio stay behind the pimpl: including this header costs nothing.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "http/metrics.hpp"
#include "http/router.hpp"

namespace http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;             // 0 = ephemeral; see Server::port()
  unsigned io_threads = 0;               // 0 = hardware concurrency
  unsigned worker_threads = 0;           // 0 = hardware concurrency
  std::size_t header_limit = 16 * 1024;  // → 431
  // Whole header, not per byte → 408. On a new connection it runs from the accept (TLS
  // handshake included); on a kept-alive one from the first byte of the next request.
  std::chrono::milliseconds header_timeout{5'000};
  std::chrono::milliseconds keepalive_idle_timeout{30'000};  // closed silently
  std::chrono::milliseconds write_timeout{30'000};           // a client that stops reading
  // For routes whose RouteOptions leave max_body / body_timeout unset.
  std::size_t default_max_body = kDefaultMaxBody;          // → 413
  std::chrono::milliseconds default_body_timeout{10'000};  // whole body → 408
  std::size_t max_connections = 10'000;                    // over it: 503 and close
  std::chrono::milliseconds shutdown_grace{10'000};        // bound on finishing in-flight work
  std::optional<std::string> tls_cert_file;                // PEM chain; both set = HTTPS
  std::optional<std::string> tls_key_file;
  // Addresses of reverse proxies whose X-Forwarded-For is believed (see client_ip()).
  std::vector<std::string> trusted_proxies;
  bool access_log = true;       // JSON lines through the spdlog logger named "access"
  bool handle_signals = false;  // SIGTERM/SIGINT → request_stop()
};

// One finished exchange: a request that was read and matched (or refused) and its response.
struct Exchange {
  const Request& request;
  const Response& response;  // as written, security headers included; for a streamed body, `body` is empty
  const Route* route;        // nullptr when no route matched
  std::chrono::microseconds latency;  // from the first byte of the request to the end of the write
  std::size_t bytes_in = 0;           // request body
  std::size_t bytes_out = 0;          // bytes written (status line, headers, body); 0 when the write failed
};

// Sees every exchange whose request was parsed (not the 431/400 refusals of unreadable requests).
// The API call log hangs off this; the server knows nothing about what it records.
class ExchangeObserver {
 public:
  virtual ~ExchangeObserver() = default;
  // Right after the route's handler returned (or the authenticator refused, or the handler
  // threw), on the thread that ran it: a worker for blocking routes, so it may touch the
  // database. May change the response (headers). Not called for unmatched routes.
  virtual void after_handler(Request& req, Response& res) = 0;
  // After the response was written (or the write failed), on an io thread: must not block.
  virtual void completed(const Exchange& exchange) = 0;
};

namespace detail {
struct ServerCore;
}

class Server {
 public:
  // `router` and `metrics` must outlive the server; routes must not be added after start().
  Server(ServerOptions options, Router& router, Metrics& metrics);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Required before start() when any route has auth != none (start() fails otherwise; it also
  // fails for a route with auth != none and blocking = false).
  void set_authenticator(Authenticator authenticator);
  // Optional; must outlive the server. Set before start().
  void set_observer(ExchangeObserver* observer);
  // Run, in registration order, after in-flight requests finished and before run() returns.
  void on_stopping(std::function<void()> hook);

  // Binds and listens; an error when the address is taken or the TLS files do not load.
  cs::Status start();
  std::uint16_t port() const;
  // Serves until request_stop() (or a signal with handle_signals) and the shutdown finished:
  // stop accepting, close idle keep-alive connections, let in-flight requests finish (at most
  // shutdown_grace; a handler not yet started when the grace runs out is not run, one already
  // running is waited for), run the on_stopping hooks.
  void run();
  // Thread-safe and async-signal-safe (writes one byte to a pipe).
  void request_stop();

 private:
  std::unique_ptr<detail::ServerCore> core_;
};

// True on the server's io threads. Blocking code (database, Argon2) may assert it is false.
bool on_io_thread();

}  // namespace http
