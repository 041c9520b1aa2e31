// The baseline of the README's benchmark: a bare Beast HTTP/1.1 keep-alive "hello" server with
// the same threading model as http::Server (one io_context per thread, one coroutine per
// connection) and none of its middleware, limits or routing.
//
//   bench_hello_server --port 8081 --threads 2
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp needs std::exchange

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

asio::awaitable<void> serve(tcp::socket socket) {
  boost::beast::flat_buffer buffer;
  for (;;) {
    error_code ec;
    bhttp::request<bhttp::string_body> req;
    co_await bhttp::async_read(socket, buffer, req, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    bhttp::response<bhttp::string_body> res{bhttp::status::ok, req.version()};
    res.set(bhttp::field::content_type, "text/plain");
    res.body() = "hello";
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    co_await bhttp::async_write(socket, res, asio::redirect_error(asio::use_awaitable, ec));
    if (ec || !res.keep_alive()) break;
  }
  error_code ignored;
  socket.shutdown(tcp::socket::shutdown_send, ignored);
}

asio::awaitable<void> accept(tcp::acceptor& acceptor,
                             std::vector<std::unique_ptr<asio::io_context>>& contexts) {
  std::size_t next = 0;
  for (;;) {
    error_code ec;
    auto& ctx = *contexts[next++ % contexts.size()];
    auto socket =
        co_await acceptor.async_accept(ctx, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) continue;
    socket.set_option(tcp::no_delay(true), ec);
    asio::co_spawn(ctx, serve(tcp::socket(std::move(socket))), asio::detached);
  }
}

void log_exception(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    std::fprintf(stderr, "accept loop failed: %s\n", ex.what());
  }
}

}  // namespace

int main(int argc, char** argv) {
  unsigned short port = 8081;
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view flag = argv[i];
    if (flag == "--port") {
      port = static_cast<unsigned short>(std::atoi(argv[i + 1]));
    } else if (flag == "--threads") {
      threads = static_cast<unsigned>(std::max(1, std::atoi(argv[i + 1])));
    } else {
      std::fprintf(stderr, "usage: %s [--port N] [--threads N]\n", argv[0]);
      return 2;
    }
  }

  std::vector<std::unique_ptr<asio::io_context>> contexts;
  for (unsigned i = 0; i < threads; ++i) contexts.push_back(std::make_unique<asio::io_context>(1));
  tcp::acceptor acceptor(*contexts[0], {asio::ip::make_address("127.0.0.1"), port});
  std::printf("bench_hello_server listening on 127.0.0.1:%u with %u thread(s)\n",
              acceptor.local_endpoint().port(), threads);
  std::fflush(stdout);

  asio::signal_set signals(*contexts[0], SIGINT, SIGTERM);
  signals.async_wait([&](const error_code&, int) {
    for (auto& ctx : contexts) ctx->stop();
  });
  asio::co_spawn(*contexts[0], accept(acceptor, contexts), log_exception);

  std::vector<std::thread> pool;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work;
  for (auto& ctx : contexts) {
    work.push_back(asio::make_work_guard(*ctx));
    pool.emplace_back([ctx = ctx.get()] { ctx->run(); });
  }
  for (auto& t : pool) t.join();
  return 0;
}
