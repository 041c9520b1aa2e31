// The listener and the server's lifecycle: bind, accept, io threads, worker pool, TLS context,
// signals and the graceful shutdown sequence.
#include "http/server_core.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace http {
namespace {

thread_local bool t_on_io_thread = false;

using detail::asio::ip::tcp;
namespace asio = detail::asio;
using boost::system::error_code;

std::shared_ptr<spdlog::logger> access_logger() {
  if (auto logger = spdlog::get("access")) return logger;
  try {
    auto logger = spdlog::stdout_logger_mt("access");
    logger->set_pattern("%v");
    return logger;
  } catch (const spdlog::spdlog_ex&) {
    return spdlog::get("access");  // another server registered it concurrently
  }
}

asio::awaitable<void> accept_loop(detail::ServerCore& core) {
  std::size_t next = 0;
  for (;;) {
    auto& ctx = *core.contexts[next++ % core.contexts.size()];
    error_code ec;
    auto accepted =
        co_await core.acceptor->async_accept(ctx, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (core.stopping.load() || !core.acceptor->is_open()) co_return;
      // Out of descriptors and the like: back off instead of spinning on the error.
      spdlog::warn("accept failed: {}", ec.message());
      asio::steady_timer pause(co_await asio::this_coro::executor, std::chrono::milliseconds(50));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    auto open = core.metrics.connections_open().fetch_add(1, std::memory_order_relaxed) + 1;
    bool over_limit = static_cast<std::size_t>(open) > core.options.max_connections;
    detail::start_connection(core, tcp::socket(std::move(accepted)), over_limit);
  }
}

void log_exception(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    spdlog::error("http accept loop failed: {}", ex.what());
  }
}

}  // namespace

bool on_io_thread() { return t_on_io_thread; }

detail::ServerCore::~ServerCore() {
  work.clear();
  for (auto& ctx : contexts) ctx->stop();
  for (auto& t : threads) {
    if (t.joinable()) t.join();
  }
  // No pool job may outlive the io contexts: a finished job posts its completion to one, and
  // a job destroyed unrun would destroy a connection coroutine after its context is gone.
  // join() without stop() runs the queue dry (run() leaves it empty; this covers start()
  // without run()).
  if (pool) pool->join();
  pool.reset();
  signals.reset();
  acceptor.reset();
  contexts.clear();
}

Server::Server(ServerOptions options, Router& router, Metrics& metrics)
    : core_(std::make_unique<detail::ServerCore>(std::move(options), router, metrics)) {
  auto& o = core_->options;
  unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  if (o.io_threads == 0) o.io_threads = hw;
  if (o.worker_threads == 0) o.worker_threads = hw;
  if (::pipe2(core_->stop_pipe, O_CLOEXEC) != 0) {
    spdlog::critical("pipe2 failed: {}", errno);
    std::abort();
  }
  ::fcntl(core_->stop_pipe[1], F_SETFL, O_NONBLOCK);
}

Server::~Server() {
  ::close(core_->stop_pipe[0]);
  ::close(core_->stop_pipe[1]);
}

void Server::set_authenticator(Authenticator authenticator) {
  core_->authenticator = std::move(authenticator);
}

void Server::set_observer(ExchangeObserver* observer) { core_->observer = observer; }

void Server::on_stopping(std::function<void()> hook) {
  core_->stopping_hooks.push_back(std::move(hook));
}

std::uint16_t Server::port() const { return core_->bound_port; }

cs::Status Server::start() {
  auto& c = *core_;
  if (c.started) return {};
  for (const auto& route : c.router.routes()) {
    if (route->options.auth == Auth::none) continue;
    if (!c.authenticator) {
      return cs::fail(cs::Errc::internal, "server misconfigured",
                      "route " + route->method + " " + route->path_template +
                          " requires auth but no authenticator is set");
    }
    // The authenticator looks sessions and tokens up in the database: never on an io thread.
    if (!route->options.blocking) {
      return cs::fail(cs::Errc::internal, "server misconfigured",
                      "route " + route->method + " " + route->path_template +
                          " requires auth and so cannot be blocking = false");
    }
  }
  if (c.options.tls_cert_file.has_value() != c.options.tls_key_file.has_value()) {
    return cs::fail(cs::Errc::internal, "server misconfigured",
                    "TLS needs both a certificate and a key file");
  }
  if (c.options.tls_cert_file) {
    try {
      asio::ssl::context tls(asio::ssl::context::tls_server);
      tls.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                      asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                      asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
      tls.use_certificate_chain_file(*c.options.tls_cert_file);
      tls.use_private_key_file(*c.options.tls_key_file, asio::ssl::context::pem);
      c.tls.emplace(std::move(tls));
    } catch (const boost::system::system_error& e) {
      return cs::fail(cs::Errc::internal, "cannot load the TLS certificate or key",
                      std::string(e.what()));
    }
  }

  for (unsigned i = 0; i < c.options.io_threads; ++i) {
    c.contexts.push_back(std::make_unique<asio::io_context>(1));
  }
  error_code ec;
  auto address = asio::ip::make_address(c.options.host, ec);
  if (ec) {
    tcp::resolver resolver(*c.contexts[0]);
    auto results = resolver.resolve(c.options.host, "", ec);
    if (ec || results.empty()) {
      return cs::fail(cs::Errc::unavailable, "cannot resolve listen address " + c.options.host,
                      ec.message());
    }
    address = results.begin()->endpoint().address();
  }
  tcp::endpoint endpoint(address, c.options.port);
  auto acceptor = std::make_unique<tcp::acceptor>(*c.contexts[0]);
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor->bind(endpoint, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return cs::fail(cs::Errc::unavailable,
                    "cannot listen on " + c.options.host + ":" + std::to_string(c.options.port),
                    ec.message());
  }
  c.bound_port = acceptor->local_endpoint().port();
  c.acceptor = std::move(acceptor);

  for (const auto& route : c.router.routes()) {
    c.route_series.push_back(c.metrics.series(route->path_template, route->method));
  }
  for (std::size_t i = 0; i < detail::kKnownMethods.size(); ++i) {
    c.unmatched_series[i] = c.metrics.series("unmatched", detail::kKnownMethods[i]);
  }
  if (c.options.access_log) c.access_log = access_logger();
  c.pool = std::make_unique<asio::thread_pool>(c.options.worker_threads);

  if (c.options.handle_signals) {
    c.signals = std::make_unique<asio::signal_set>(*c.contexts[0], SIGINT, SIGTERM);
    c.signals->async_wait([this](const error_code& e, int signal) {
      if (e) return;
      spdlog::info("signal {} received: shutting down", signal);
      request_stop();
    });
  }
  asio::co_spawn(*c.contexts[0], accept_loop(c), log_exception);
  c.started = true;
  return {};
}

void Server::request_stop() {
  char byte = 1;
  // write(2) is async-signal-safe; a full pipe already holds a stop request.
  [[maybe_unused]] auto n = ::write(core_->stop_pipe[1], &byte, 1);
}

void Server::run() {
  auto& c = *core_;
  if (!c.started) {
    auto status = start();
    if (!status) {
      spdlog::critical("http server cannot start: {} ({})", status.error().message(),
                       status.error().detail());
      std::abort();
    }
  }
  for (auto& ctx : c.contexts) {
    c.work.push_back(asio::make_work_guard(*ctx));
    c.threads.emplace_back([ctx = ctx.get()] {
      t_on_io_thread = true;
      ctx->run();
    });
  }

  char byte;
  while (::read(c.stop_pipe[0], &byte, 1) < 0 && errno == EINTR) {
  }

  // 1. Stop accepting: new connections are refused from here on.
  c.stopping.store(true);
  asio::post(*c.contexts[0], [&c] {
    error_code ec;
    c.acceptor->close(ec);
    if (c.signals) c.signals->cancel(ec);
  });
  // 2. Close idle keep-alive connections; busy ones close after their current response.
  {
    // Collect under the lock, act and release outside it: a copy taken here may turn out to be
    // the last owner, and ~Connection takes connections_mu itself (it would self-deadlock).
    std::vector<std::shared_ptr<detail::ConnectionBase>> live;
    {
      std::lock_guard lock(c.connections_mu);
      live.reserve(c.connections.size());
      for (auto& [key, weak] : c.connections) {
        if (auto conn = weak.lock()) live.push_back(std::move(conn));
      }
    }
    for (auto& conn : live) conn->close_if_idle();
  }
  // 3. Let in-flight requests finish, bounded by shutdown_grace.
  auto deadline = std::chrono::steady_clock::now() + c.options.shutdown_grace;
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard lock(c.connections_mu);
      if (c.connections.empty()) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // 4. Grace over: handlers still queued are skipped, running ones are waited for.
  c.abandon_queued.store(true);
  {
    std::lock_guard lock(c.connections_mu);
    if (!c.connections.empty()) {
      spdlog::warn("shutdown grace over: dropping {} connection(s)", c.connections.size());
    }
  }
  // 5. Stop the io threads, then drain the pool. join() without stop(): a stopped pool keeps
  // its queued jobs until ~thread_pool, which could then run after the io contexts are gone.
  // Finished jobs post their completion to the stopped contexts; ~ServerCore destroys those.
  c.work.clear();
  for (auto& ctx : c.contexts) ctx->stop();
  for (auto& t : c.threads) t.join();
  c.threads.clear();
  c.pool->join();
  // 6. Hooks, once no handler runs any more (the application flushes its queues after run()
  // returns).
  for (auto& hook : c.stopping_hooks) hook();
}

}  // namespace http
