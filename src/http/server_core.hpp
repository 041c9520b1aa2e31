// Internal to src/http: the state shared by the listener (server.cpp) and the connections
// (connection.cpp). The only header that pulls in Asio/Beast; include it from those two only.
#pragma once

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp needs std::exchange (CRAFT.md)

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include <spdlog/logger.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/thread_pool.hpp>

#include "http/server.hpp"

namespace http::detail {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

class ConnectionBase {
 public:
  virtual ~ConnectionBase() = default;
  // Called from any thread during shutdown: closes the connection if it is waiting for the
  // next request; a connection in the middle of a request finishes it first.
  virtual void close_if_idle() = 0;
};

// Methods whose unmatched requests get their own metrics series; everything else is "OTHER"
// so that a client cannot grow the label set.
inline constexpr std::array<const char*, 8> kKnownMethods = {"GET",   "HEAD",   "POST",    "PUT",
                                                             "PATCH", "DELETE", "OPTIONS", "OTHER"};

struct ServerCore {
  ServerCore(ServerOptions o, Router& r, Metrics& m)
      : options(std::move(o)), router(r), metrics(m) {}
  // Drains the worker pool, then tears the io contexts down: destroying them destroys the
  // suspended connection coroutines, whose destructors still use the members below.
  ~ServerCore();

  // Declared first so they are destroyed last: every ~Connection erases itself from the map,
  // including those run while the io contexts are destroyed.
  std::mutex connections_mu;
  std::unordered_map<ConnectionBase*, std::weak_ptr<ConnectionBase>> connections;

  ServerOptions options;
  Router& router;
  Metrics& metrics;
  Authenticator authenticator;
  ExchangeObserver* observer = nullptr;
  std::vector<std::function<void()>> stopping_hooks;

  std::vector<std::unique_ptr<asio::io_context>> contexts;  // one per io thread
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::thread> threads;
  std::unique_ptr<asio::thread_pool> pool;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::unique_ptr<asio::signal_set> signals;
  std::optional<asio::ssl::context> tls;
  std::shared_ptr<spdlog::logger> access_log;
  std::vector<RouteSeries*> route_series;  // by Route::index
  std::array<RouteSeries*, kKnownMethods.size()> unmatched_series{};
  std::uint16_t bound_port = 0;
  bool started = false;

  std::atomic<bool> stopping{false};
  // Set when the shutdown grace ran out: pool jobs not yet started skip their handler.
  std::atomic<bool> abandon_queued{false};
  int stop_pipe[2] = {-1, -1};

  RouteSeries* unmatched(std::string_view method) const;
};

// Takes ownership of an accepted socket and serves it on the socket's executor.
void start_connection(ServerCore& core, tcp::socket socket, bool over_limit);

}  // namespace http::detail
