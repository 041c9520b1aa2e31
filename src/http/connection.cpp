// One client connection: an Asio coroutine that reads requests, enforces the limits, runs the
// handler (on the worker pool unless the route says otherwise) and writes the response.
#include "http/server_core.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http.hpp>

#include "http/middleware.hpp"

namespace http::detail {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using boost::system::error_code;
using namespace std::chrono_literals;

constexpr auto kLingerTime = 1s;  // draining unread input before closing after an error
constexpr std::size_t kLingerBytes = 4 * 1024 * 1024;
// Beast bounds neither chunk extensions nor trailers, and body_limit counts only chunk data.
// The read buffer's maximum bounds what one unfinished chunk line or trailer can hold; this
// bounds the extensions of each chunk (we use none).
constexpr std::size_t kBufferSlack = 64 * 1024;
constexpr std::size_t kMaxChunkExtensions = 1024;

beast::string_view bsv(std::string_view s) { return {s.data(), s.size()}; }
std::string_view ssv(beast::string_view s) { return {s.data(), s.size()}; }

bool header_safe(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

template <class F>
asio::awaitable<Response> run_on_pool(ServerCore& core, F fn) {
  // The handler runs on a pool thread; the coroutine resumes on its own (io) executor.
  co_return co_await asio::async_initiate<const asio::use_awaitable_t<>, void(Response)>(
      [&core, fn = std::move(fn)](auto handler) mutable {
        asio::post(*core.pool, [&core, handler = std::move(handler), fn = std::move(fn)]() mutable {
          // Past the shutdown grace nobody waits for the answer: do not start the work.
          Response res =
              core.abandon_queued.load()
                  ? Response::problem(cs::Error(cs::Errc::unavailable, "shutting down"), {})
                  : fn();
          auto ex = asio::get_associated_executor(handler);
          asio::dispatch(ex, [handler = std::move(handler), res = std::move(res)]() mutable {
            handler(std::move(res));
          });
        });
      },
      asio::use_awaitable);
}

// The next piece of a streamed body, produced on the worker pool (it usually reads the database).
asio::awaitable<cs::Result<std::string>> pull_on_pool(ServerCore& core,
                                                      const std::function<cs::Result<std::string>()>& next) {
  co_return co_await asio::async_initiate<const asio::use_awaitable_t<>, void(cs::Result<std::string>)>(
      [&core, &next](auto handler) mutable {
        asio::post(*core.pool, [&core, &next, handler = std::move(handler)]() mutable {
          cs::Result<std::string> piece = cs::fail(cs::Errc::unavailable, "shutting down");
          if (!core.abandon_queued.load()) {
            try {
              piece = next();
            } catch (const std::exception& e) {
              piece = cs::fail(cs::Errc::internal, "stream failed", e.what());
            }
          }
          auto ex = asio::get_associated_executor(handler);
          asio::dispatch(ex, [handler = std::move(handler), piece = std::move(piece)]() mutable {
            handler(std::move(piece));
          });
        });
      },
      asio::use_awaitable);
}

// Why a request's framing is refused (nullptr: acceptable). Beast ignores a Transfer-Encoding
// whose last coding is not chunked and would read the body as the next request (smuggling);
// we implement no other coding, so anything but exactly "chunked" is refused (RFC 9112 §6.1).
const char* framing_error(const bhttp::request_header<>& h) {
  if (h.count(bhttp::field::host) > 1) return "more than one Host header";
  if (h.version() >= 11 && h.count(bhttp::field::host) == 0) return "a Host header is required";
  auto te = h.count(bhttp::field::transfer_encoding);
  if (te == 0) return nullptr;
  if (h.version() < 11) return "Transfer-Encoding is not allowed in HTTP/1.0";
  if (te > 1 || !iequals(ssv(h[bhttp::field::transfer_encoding]), "chunked")) {
    return "unsupported Transfer-Encoding";
  }
  return nullptr;
}

// Authentication, then the handler; any exception becomes a 500 without internals.
Response run_route(ServerCore& core, const Route& route, Request& req) {
  try {
    if (route.options.auth != Auth::none) {
      auto status = core.authenticator(req, route.options.auth);
      if (!status) return Response::problem(status.error(), req.request_id);
    }
    return route.handler(req);
  } catch (const std::exception& e) {
    spdlog::error("request_id={} route={} handler threw: {}", req.request_id, route.path_template,
                  e.what());
  } catch (...) {
    spdlog::error("request_id={} route={} handler threw a non-exception", req.request_id,
                  route.path_template);
  }
  return Response::problem(cs::Error(cs::Errc::internal, "internal server error"), req.request_id);
}

Response invoke(ServerCore& core, const Route& route, Request& req) {
  Response res = run_route(core, route, req);
  if (core.observer) {
    try {
      core.observer->after_handler(req, res);
    } catch (const std::exception& e) {
      spdlog::error("request_id={} exchange observer threw: {}", req.request_id, e.what());
    }
  }
  return res;
}

template <class Stream>
class Connection final : public ConnectionBase,
                         public std::enable_shared_from_this<Connection<Stream>> {
 public:
  Connection(ServerCore& core, Stream stream, std::string remote_ip, bool over_limit)
      : core_(core),
        stream_(std::move(stream)),
        buffer_(core.options.header_limit + kBufferSlack),
        timer_(stream_.get_executor()),
        remote_ip_(std::move(remote_ip)),
        over_limit_(over_limit) {}

  ~Connection() override {
    core_.metrics.connections_open().fetch_sub(1, std::memory_order_relaxed);
    std::lock_guard lock(core_.connections_mu);
    core_.connections.erase(this);
  }

  Stream& stream() { return stream_; }

  void close_if_idle() override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
      if (self->idle_) {
        error_code ec;
        self->socket().cancel(ec);
      }
    });
  }

  asio::awaitable<void> run() {
    // A new connection's first header must be complete within header_timeout of the accept,
    // however the client splits its silence and its trickle.
    header_deadline_ = std::chrono::steady_clock::now() + core_.options.header_timeout;
    if constexpr (kTls) {
      arm_until(header_deadline_);
      error_code ec;
      co_await stream_.async_handshake(asio::ssl::stream_base::server,
                                       asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return close_now();
    }
    if (over_limit_) {
      Response res = Response::problem(cs::Error(cs::Errc::unavailable, "too many connections"), {},
                                       {{"Retry-After", "1"}});
      const auto start = std::chrono::steady_clock::now();
      auto id = request_id_for(std::nullopt);
      auto bytes = co_await write_response(res, nullptr, id, false);
      record(nullptr, nullptr, nullptr, "OTHER", 503, start, bytes, id);
      co_return co_await close_gracefully(true);
    }
    bool first = true;
    for (;;) {
      if (buffer_.size() == 0) {
        idle_ = true;
        if (core_.stopping.load()) break;
        // A fresh connection must start talking before its header deadline; a kept-alive one
        // within the idle timeout. Either way no bytes → close without an answer.
        if (first) {
          arm_until(header_deadline_);
        } else {
          arm(core_.options.keepalive_idle_timeout);
        }
        error_code ec;
        std::size_t n = co_await stream_.async_read_some(
            buffer_.prepare(4096), asio::redirect_error(asio::use_awaitable, ec));
        idle_ = false;
        if (ec) break;
        buffer_.commit(n);
      }
      // A later request's header deadline runs from its first byte (already buffered when
      // pipelined); the idle wait before it is not part of it.
      if (!first) {
        header_deadline_ = std::chrono::steady_clock::now() + core_.options.header_timeout;
      }
      first = false;
      bool keep_alive = co_await serve_one();
      if (!keep_alive) co_return co_await close_gracefully(linger_);
      if (core_.stopping.load()) break;
    }
    co_await close_gracefully(false);
  }

 private:
  static constexpr bool kTls = !std::is_same_v<Stream, tcp::socket>;

  tcp::socket& socket() { return beast::get_lowest_layer(stream_); }

  // One deadline per phase. Expiry cancels the socket's pending operations (rather than
  // closing it) so that a 408 can still be written.
  void arm(std::chrono::steady_clock::duration d) {
    arm_until(std::chrono::steady_clock::now() + d);
  }
  void arm_until(std::chrono::steady_clock::time_point deadline) {
    timed_out_ = false;
    auto generation = ++timer_generation_;
    timer_.expires_at(deadline);
    timer_.async_wait([self = this->shared_from_this(), generation](error_code ec) {
      if (ec || generation != self->timer_generation_) return;
      self->timed_out_ = true;
      error_code ignored;
      self->socket().cancel(ignored);
    });
  }
  void disarm() {
    ++timer_generation_;
    timer_.cancel();
  }

  void close_now() {
    disarm();
    error_code ec;
    socket().close(ec);
  }

  // Returns whether the connection stays open for another request.
  asio::awaitable<bool> serve_one();

  asio::awaitable<void> reject(cs::Errc errc, std::string message, const Request* req,
                               std::string_view request_id, std::string_view method,
                               const Route* route = nullptr);

  // Leaves `res` as written (its body is moved out and back) for the observer.
  asio::awaitable<std::size_t> write_response(Response& res, const Request* req,
                                              std::string request_id, bool keep_alive);
  asio::awaitable<std::size_t> write_streamed(Response& res, const Request* req, bool keep_alive);

  void record(const Request* req, const Response* res, const Route* route, std::string_view method, int status,
              std::chrono::steady_clock::time_point start, std::size_t bytes_out,
              std::string_view request_id);

  asio::awaitable<void> close_gracefully(bool linger) {
    error_code ec;
    if constexpr (kTls) {
      arm(kLingerTime);
      co_await stream_.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
    } else {
      socket().shutdown(tcp::socket::shutdown_send, ec);
      if (linger) {
        // Read what the client is still sending so the kernel does not answer it with a
        // reset that would destroy the error response before the client reads it.
        arm(kLingerTime);
        std::size_t drained = 0;
        while (drained < kLingerBytes) {
          buffer_.clear();
          std::size_t n = co_await stream_.async_read_some(
              buffer_.prepare(64 * 1024), asio::redirect_error(asio::use_awaitable, ec));
          if (ec) break;
          drained += n;
        }
      }
    }
    close_now();
  }

  ServerCore& core_;
  Stream stream_;
  beast::flat_buffer buffer_;
  asio::steady_timer timer_;
  std::uint64_t timer_generation_ = 0;
  bool timed_out_ = false;
  bool idle_ = false;
  bool linger_ = false;
  bool cut_ = false;  // a streamed body failed midway: the connection must close
  std::chrono::steady_clock::time_point header_deadline_;
  std::string remote_ip_;
  bool over_limit_;
};

template <class Stream>
asio::awaitable<bool> Connection<Stream>::serve_one() {
  const auto start = std::chrono::steady_clock::now();
  bhttp::request_parser<bhttp::empty_body> head;
  head.header_limit(static_cast<std::uint32_t>(core_.options.header_limit));
  // The route's limit is applied after matching; Beast must not apply its 1 MB default first.
  head.body_limit(std::numeric_limits<std::uint64_t>::max());

  arm_until(header_deadline_);
  error_code ec;
  co_await bhttp::async_read_header(stream_, buffer_, head,
                                    asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    linger_ = true;
    auto id = request_id_for(std::nullopt);
    if (timed_out_) {
      co_await reject(cs::Errc::request_timeout, "request headers not received in time", nullptr,
                      id, "OTHER");
    } else if (ec == bhttp::error::header_limit) {
      co_await reject(cs::Errc::headers_too_large, "request headers are too large", nullptr, id,
                      "OTHER");
    } else if (ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message &&
               ec != asio::error::eof && ec != asio::error::connection_reset &&
               ec != asio::error::operation_aborted) {
      co_await reject(cs::Errc::invalid_request, "malformed HTTP request", nullptr, id, "OTHER");
    } else {
      linger_ = false;
    }
    co_return false;
  }

  core_.metrics.requests_in_flight().fetch_add(1, std::memory_order_relaxed);
  struct InFlight {
    Metrics& m;
    ~InFlight() { m.requests_in_flight().fetch_sub(1, std::memory_order_relaxed); }
  } in_flight{core_.metrics};

  const auto& h = head.get();
  Request req;
  req.method = std::string(ssv(h.method_string()));
  req.target = std::string(ssv(h.target()));
  req.remote_ip = remote_ip_;
  req.tls = kTls;
  req.received_at = cs::SystemClock().now();
  req.headers.reserve(16);
  for (const auto& field : h) {
    req.headers.emplace_back(std::string(ssv(field.name_string())),
                             std::string(ssv(field.value())));
  }
  req.request_id = request_id_for(req.header("X-Request-Id"));
  if (!core_.options.trusted_proxies.empty()) {
    // Several X-Forwarded-For fields mean the same as one joined with commas (RFC 9110 §5.3).
    std::string forwarded;
    for (const auto& [name, value] : req.headers) {
      if (!iequals(name, "X-Forwarded-For")) continue;
      if (!forwarded.empty()) forwarded += ',';
      forwarded += value;
    }
    req.remote_ip = client_ip(remote_ip_, forwarded, core_.options.trusted_proxies);
  }
  bool keep_alive = h.keep_alive();
  if (const char* why = framing_error(h)) {
    linger_ = true;
    co_await reject(cs::Errc::invalid_request, why, &req, req.request_id, req.method);
    co_return false;
  }

  std::string_view target = req.target;
  auto qpos = target.find('?');
  std::string_view raw_path = target.substr(0, qpos);
  if (qpos != std::string_view::npos) req.query = std::string(target.substr(qpos + 1));
  auto segments = decode_path_segments(raw_path);
  auto decoded = segments ? percent_decode(raw_path, false) : std::nullopt;
  if (!decoded) {
    linger_ = true;
    co_await reject(cs::Errc::invalid_request, "invalid request path", &req, req.request_id,
                    req.method);
    co_return false;
  }
  req.path = std::move(*decoded);

  RouteMatch match = core_.router.match(req.method, *segments);
  const Route* route = match.route;
  std::size_t limit = core_.options.default_max_body;
  auto body_timeout = core_.options.default_body_timeout;
  if (route && route->options.max_body) limit = *route->options.max_body;
  if (route && route->options.body_timeout) body_timeout = *route->options.body_timeout;

  bhttp::request_parser<bhttp::string_body> parser{std::move(head)};
  parser.body_limit(limit);
  auto on_chunk_header = [](std::uint64_t, beast::string_view extensions, error_code& e) {
    if (extensions.size() > kMaxChunkExtensions) e = bhttp::error::bad_chunk_extension;
  };
  parser.on_chunk_header(on_chunk_header);
  if (auto length = parser.content_length(); length && *length > limit) {
    linger_ = true;
    co_await reject(cs::Errc::payload_too_large, "request body is too large", &req, req.request_id,
                    req.method, route);
    co_return false;
  }
  if (!parser.is_done()) {
    if (auto expect = req.header("Expect"); expect && iequals(*expect, "100-continue")) {
      bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, 11};
      arm(core_.options.write_timeout);
      co_await bhttp::async_write(stream_, cont, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return false;
    }
    arm(body_timeout);
    co_await bhttp::async_read(stream_, buffer_, parser,
                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      linger_ = true;
      if (timed_out_) {
        co_await reject(cs::Errc::request_timeout, "request body not received in time", &req,
                        req.request_id, req.method, route);
      } else if (ec == bhttp::error::body_limit) {
        co_await reject(cs::Errc::payload_too_large, "request body is too large", &req,
                        req.request_id, req.method, route);
      } else if (ec != bhttp::error::partial_message && ec != asio::error::eof &&
                 ec != asio::error::connection_reset) {
        co_await reject(cs::Errc::invalid_request, "malformed HTTP request", &req, req.request_id,
                        req.method);
      } else {
        linger_ = false;
      }
      co_return false;
    }
  }
  disarm();
  req.body = std::move(parser.get().body());

  Response res;
  if (match.outcome == RouteMatch::Outcome::not_found) {
    res = Response::problem(cs::Error(cs::Errc::not_found, "no such resource"), req.request_id);
  } else if (match.outcome == RouteMatch::Outcome::method_not_allowed) {
    res = Response::problem(cs::Error(cs::Errc::method_not_allowed, "method not allowed"),
                            req.request_id, {{"Allow", match.allow}});
  } else {
    req.params = std::move(match.params);
    req.route_template = route->path_template;
    if (route->options.blocking) {
      res = co_await run_on_pool(core_, [this, route, &req] { return invoke(core_, *route, req); });
    } else {
      res = invoke(core_, *route, req);
    }
  }
  if (core_.stopping.load()) keep_alive = false;
  int status = res.status;
  std::size_t bytes_out = co_await write_response(res, &req, req.request_id, keep_alive);
  record(&req, &res, route, req.method, status, start, bytes_out, req.request_id);
  co_return keep_alive && bytes_out > 0 && !cut_;
}

template <class Stream>
asio::awaitable<void> Connection<Stream>::reject(cs::Errc errc, std::string message,
                                                 const Request* req, std::string_view request_id,
                                                 std::string_view method, const Route* route) {
  const auto start = std::chrono::steady_clock::now();
  Response res = Response::problem(cs::Error(errc, std::move(message)), request_id);
  int status = res.status;
  auto bytes = co_await write_response(res, req, std::string(request_id), false);
  record(req, &res, route, method, status, start, bytes, request_id);
}

template <class Stream>
asio::awaitable<std::size_t> Connection<Stream>::write_response(Response& res, const Request* req,
                                                                std::string request_id,
                                                                bool keep_alive) {
  apply_security_headers(res, request_id, kTls);
  if (res.stream) co_return co_await write_streamed(res, req, keep_alive);
  bhttp::response<bhttp::string_body> out;
  out.version(11);
  out.result(static_cast<unsigned>(res.status));
  out.set(bhttp::field::server, "countersign");
  for (const auto& [name, value] : res.headers) {
    if (name.empty() || !header_safe(name) || !header_safe(value)) {
      spdlog::error("request_id={} dropped response header with CR/LF/NUL", request_id);
      continue;
    }
    out.insert(bsv(name), bsv(value));
  }
  out.keep_alive(keep_alive);
  out.body() = std::move(res.body);
  out.prepare_payload();
  if (req && req->method == "HEAD") {
    auto length = out.body().size();
    out.body().clear();
    out.content_length(length);
  }
  arm(core_.options.write_timeout);
  error_code ec;
  std::size_t n =
      co_await bhttp::async_write(stream_, out, asio::redirect_error(asio::use_awaitable, ec));
  disarm();
  if (!(req && req->method == "HEAD")) res.body = std::move(out.body());
  co_return ec ? 0 : n;
}

template <class Stream>
asio::awaitable<std::size_t> Connection<Stream>::write_streamed(Response& res, const Request* req,
                                                                bool keep_alive) {
  bhttp::response<bhttp::empty_body> out;
  out.version(11);
  out.result(static_cast<unsigned>(res.status));
  out.set(bhttp::field::server, "countersign");
  for (const auto& [name, value] : res.headers) {
    if (name.empty() || !header_safe(name) || !header_safe(value)) continue;
    out.insert(bsv(name), bsv(value));
  }
  out.keep_alive(keep_alive);
  out.chunked(true);
  bhttp::response_serializer<bhttp::empty_body> serializer{out};
  arm(core_.options.write_timeout);
  error_code ec;
  std::size_t total = co_await bhttp::async_write_header(
      stream_, serializer, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    disarm();
    co_return 0;
  }
  if (req && req->method == "HEAD") {
    // A HEAD answer ends with its header: no chunks, not even the last one.
    disarm();
    co_return total;
  }
  for (;;) {
    disarm();
    auto piece = co_await pull_on_pool(core_, res.stream);
    if (!piece) {
      spdlog::error("streamed response failed: {} {}", piece.error().message(), piece.error().detail());
      cut_ = true;
      co_return total;
    }
    arm(core_.options.write_timeout);
    if (piece->empty()) {
      total += co_await asio::async_write(stream_, bhttp::make_chunk_last(),
                                          asio::redirect_error(asio::use_awaitable, ec));
      disarm();
      co_return ec ? 0 : total;
    }
    total += co_await asio::async_write(stream_, bhttp::make_chunk(asio::buffer(*piece)),
                                        asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      disarm();
      cut_ = true;
      co_return 0;
    }
  }
}

template <class Stream>
void Connection<Stream>::record(const Request* req, const Response* res, const Route* route, std::string_view method,
                                int status, std::chrono::steady_clock::time_point start,
                                std::size_t bytes_out, std::string_view request_id) {
  auto latency = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - start);
  RouteSeries* series = route ? core_.route_series[route->index] : core_.unmatched(method);
  series->observe(status, latency);
  if (core_.observer && req && res) {
    core_.observer->completed(
        Exchange{*req, *res, route, latency, req->body.size(), bytes_out});
  }
  if (!core_.options.access_log) return;
  AccessLogEntry e;
  e.request_id = request_id;
  e.method = req ? std::string_view(req->method) : std::string_view{};
  e.path = req ? std::string_view(req->path) : std::string_view{};
  e.route = route ? std::string_view(route->path_template) : std::string_view{};
  e.remote_ip = req ? std::string_view(req->remote_ip) : std::string_view(remote_ip_);
  e.user_agent = req ? req->header("User-Agent").value_or("") : std::string_view{};
  e.status = status;
  e.latency = latency;
  e.bytes_in = req ? req->body.size() : 0;
  e.bytes_out = bytes_out;
  core_.access_log->info(access_log_line(e));
}

void log_exception(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    spdlog::error("http connection ended with an exception: {}", ex.what());
  } catch (...) {
    spdlog::error("http connection ended with an unknown exception");
  }
}

template <class Stream>
void launch(ServerCore& core, Stream stream, std::string remote_ip, bool over_limit) {
  auto conn = std::make_shared<Connection<Stream>>(core, std::move(stream), std::move(remote_ip),
                                                   over_limit);
  ConnectionBase* key = conn.get();
  {
    std::lock_guard lock(core.connections_mu);
    core.connections.emplace(key, conn);
  }
  auto ex = beast::get_lowest_layer(conn->stream()).get_executor();
  asio::co_spawn(
      ex, [conn]() -> asio::awaitable<void> { co_await conn->run(); }, log_exception);
}

}  // namespace

void start_connection(ServerCore& core, tcp::socket socket, bool over_limit) {
  error_code ec;
  auto endpoint = socket.remote_endpoint(ec);
  std::string remote_ip = ec ? std::string() : endpoint.address().to_string();
  socket.set_option(tcp::no_delay(true), ec);
  if (core.tls) {
    launch(core, asio::ssl::stream<tcp::socket>(std::move(socket), *core.tls), std::move(remote_ip),
           over_limit);
  } else {
    launch(core, std::move(socket), std::move(remote_ip), over_limit);
  }
}

RouteSeries* ServerCore::unmatched(std::string_view method) const {
  for (std::size_t i = 0; i + 1 < kKnownMethods.size(); ++i) {
    if (method == kKnownMethods[i]) return unmatched_series[i];
  }
  return unmatched_series.back();
}

}  // namespace http::detail
