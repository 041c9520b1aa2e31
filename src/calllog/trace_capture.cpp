#include "calllog/trace_capture.hpp"

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "core/ids.hpp"
#include "identity/audit_record.hpp"
#include "store/params.hpp"

namespace cs::calllog {
namespace {

constexpr std::string_view kCaptureColumns =
    "id, app_id, partner_org_id, created_by, started_at, expires_at, max_requests, captured, "
    "stopped_at";

TraceCapture capture_from_row(const store::Row& r) {
  TraceCapture c;
  c.id = r.text(0);
  c.app_id = r.text(1);
  c.partner_org_id = r.text(2);
  c.created_by = r.text(3);
  c.started_at = r.int64(4);
  c.expires_at = r.int64(5);
  c.max_requests = r.int64(6);
  c.captured = r.int64(7);
  c.stopped_at = r.opt_int64(8);
  return c;
}

std::string headers_json(const TraceHeaders& headers) {
  auto out = nlohmann::json::array();
  for (const auto& [name, value] : headers) out.push_back({name, value});
  return out.dump();
}

TraceHeaders headers_from_json(const std::string& text) {
  TraceHeaders out;
  auto parsed = nlohmann::json::parse(text, nullptr, false);
  if (!parsed.is_array()) return out;
  for (const auto& pair : parsed) {
    if (pair.is_array() && pair.size() == 2 && pair[0].is_string() && pair[1].is_string()) {
      out.emplace_back(pair[0].get<std::string>(), pair[1].get<std::string>());
    }
  }
  return out;
}

std::string content_type(const TraceHeaders& headers) {
  for (const auto& [name, value] : headers) {
    if (name.size() == 12) {
      std::string lower = name;
      for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (lower == "content-type") return value;
    }
  }
  return {};
}

std::size_t weight(const CapturedExchange& e) {
  std::size_t n = e.request_body.size() + e.response_body.size() + e.target.size() + 256;
  for (const auto& [k, v] : e.request_headers) n += k.size() + v.size();
  for (const auto& [k, v] : e.response_headers) n += k.size() + v.size();
  return n;
}

}  // namespace

TraceCaptures::TraceCaptures(store::Database& db, const Clock& clock, audit::AuditLog& audit,
                             TraceCaptureOptions options)
    : db_(db), clock_(clock), audit_(audit), options_(options) {}

TraceCaptures::~TraceCaptures() { stop(); }

Status TraceCaptures::start() {
  CS_CHECK(refresh());
  std::lock_guard lock(mu_);
  if (running_) return {};
  stopping_ = false;
  running_ = true;
  thread_ = std::thread([this] { run(); });
  return {};
}

void TraceCaptures::stop() {
  {
    std::lock_guard lock(mu_);
    if (!running_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mu_);
  running_ = false;
}

Result<TraceCapture> TraceCaptures::begin(const std::string& app_id,
                                          const std::string& partner_org_id, std::int64_t minutes,
                                          std::int64_t max_requests, const identity::Actor& actor) {
  if (minutes < 1 || minutes > kMaxCaptureMinutes) {
    return fail(Error(Errc::validation_failed, "duration_minutes must be from 1 to 1440 (24 hours)")
                    .with_field("duration_minutes"));
  }
  if (max_requests < 1 || max_requests > kMaxCaptureRequests) {
    return fail(Error(Errc::validation_failed, "max_requests must be from 1 to 1000")
                    .with_field("max_requests"));
  }
  Micros now = clock_.now();
  TraceCapture c;
  c.id = new_id("trc");
  c.app_id = app_id;
  c.partner_org_id = partner_org_id;
  c.created_by = actor.id;
  c.started_at = now;
  c.expires_at = now + minutes * 60 * kMicrosPerSecond;
  c.max_requests = max_requests;
  CS_CHECK(store::transact(db_, [&](store::Connection& conn) -> Status {
    // Serialises starts for one app on both backends (SQLite's write lock, PostgreSQL's row
    // lock), so two concurrent starts cannot both find no active capture.
    auto locked = CS_TRY(
        conn.exec("UPDATE apps SET updated_at = updated_at WHERE id = $1", store::params(app_id)));
    if (locked == 0) return fail(Errc::not_found, "No such app");
    auto running =
        CS_TRY(conn.query_one("SELECT id FROM trace_captures WHERE app_id = $1 AND stopped_at IS "
                              "NULL AND expires_at > $2 "
                              "AND captured < max_requests",
                              store::params(app_id, now)));
    if (running) {
      return fail(
          Errc::conflict,
          "A trace capture is already running for this app; stop it before starting another",
          "active capture " + running->text(0));
    }
    CS_CHECK(conn.exec(
        "INSERT INTO trace_captures (id, app_id, partner_org_id, created_by, started_at, "
        "expires_at, "
        "max_requests, captured, stopped_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, NULL)",
        store::params(c.id, app_id, partner_org_id, actor.id, now, c.expires_at, max_requests)));
    return identity::record(
        audit_, conn, actor,
        {.action = "trace_capture.started",
         .target_type = "app",
         .target_id = app_id,
         .partner_org_id = partner_org_id,
         .details = {
             {"capture_id", c.id}, {"duration_minutes", minutes}, {"max_requests", max_requests}}});
  }));
  set_slot(c);
  return c;
}

Result<TraceCapture> TraceCaptures::end(const std::string& app_id, const identity::Actor& actor) {
  Micros now = clock_.now();
  auto stopped = CS_TRY(store::transact(db_, [&](store::Connection& conn) -> Result<TraceCapture> {
    auto row =
        CS_TRY(conn.query_one("UPDATE trace_captures SET stopped_at = $2 WHERE app_id = $1 AND "
                              "stopped_at IS NULL AND expires_at > $2 "
                              "AND captured < max_requests RETURNING " +
                                  std::string(kCaptureColumns),
                              store::params(app_id, now)));
    if (!row) return fail(Errc::not_found, "This app has no running trace capture");
    auto c = capture_from_row(*row);
    CS_CHECK(identity::record(audit_, conn, actor,
                              {.action = "trace_capture.stopped",
                               .target_type = "app",
                               .target_id = app_id,
                               .partner_org_id = c.partner_org_id,
                               .details = {{"capture_id", c.id}, {"captured", c.captured}}}));
    return c;
  }));
  clear_slot(app_id);
  return stopped;
}

Result<std::optional<TraceCapture>> TraceCaptures::active(const std::string& app_id) {
  auto lease = CS_TRY(db_.connect());
  auto row = CS_TRY(
      lease->query_one("SELECT " + std::string(kCaptureColumns) +
                           " FROM trace_captures WHERE app_id = $1 AND stopped_at IS NULL AND "
                           "expires_at > $2 AND captured < max_requests",
                       store::params(app_id, clock_.now())));
  if (!row) return std::optional<TraceCapture>();
  return std::optional<TraceCapture>(capture_from_row(*row));
}

Result<std::vector<TraceCapture>> TraceCaptures::list(const std::string& app_id) {
  auto lease = CS_TRY(db_.connect());
  auto rows = CS_TRY(
      lease->query("SELECT " + std::string(kCaptureColumns) +
                       " FROM trace_captures WHERE app_id = $1 ORDER BY started_at DESC, id DESC",
                   store::params(app_id)));
  std::vector<TraceCapture> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(capture_from_row(r));
  return out;
}

Result<TraceCapture> TraceCaptures::get(const std::string& app_id, const std::string& capture_id) {
  auto lease = CS_TRY(db_.connect());
  auto row = CS_TRY(lease->query_one("SELECT " + std::string(kCaptureColumns) +
                                         " FROM trace_captures WHERE id = $1 AND app_id = $2",
                                     store::params(capture_id, app_id)));
  if (!row) return fail(Errc::not_found, "No such trace capture");
  return capture_from_row(*row);
}

Result<std::vector<TraceEntry>> TraceCaptures::entries(const std::string& capture_id,
                                                       std::int64_t after_seq, std::size_t limit) {
  auto lease = CS_TRY(db_.connect());
  auto rows =
      CS_TRY(lease->query("SELECT id, capture_id, seq, at, request_id, method, url, status, "
                          "latency_us, request_headers, request_body, "
                          "response_headers, response_body FROM trace_entries WHERE capture_id = "
                          "$1 AND seq > $2 ORDER BY seq LIMIT $3",
                          store::params(capture_id, after_seq, static_cast<std::int64_t>(limit))));
  std::vector<TraceEntry> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    TraceEntry e;
    e.id = r.text(0);
    e.capture_id = r.text(1);
    e.seq = r.int64(2);
    e.at = r.int64(3);
    e.request_id = r.text(4);
    e.method = r.text(5);
    e.url = r.text(6);
    e.status = static_cast<int>(r.int64(7));
    e.latency_us = r.int64(8);
    e.request_headers = headers_from_json(r.text(9));
    e.request_body = r.text(10);
    e.response_headers = headers_from_json(r.text(11));
    e.response_body = r.text(12);
    out.push_back(std::move(e));
  }
  return out;
}

std::optional<std::string> TraceCaptures::capture_for(const std::string& app_id, Micros at) {
  if (!any_active_.load(std::memory_order_relaxed)) return std::nullopt;
  std::lock_guard lock(slots_mu_);
  auto it = slots_.find(app_id);
  if (it == slots_.end() || at >= it->second.expires_at || it->second.remaining <= 0)
    return std::nullopt;
  --it->second.remaining;
  return it->second.capture_id;
}

bool TraceCaptures::submit(CapturedExchange exchange) {
  std::size_t w = weight(exchange);
  {
    std::lock_guard lock(mu_);
    if (queued_bytes_ + w > options_.queue_bytes) {
      dropped_.fetch_add(1);
      spdlog::warn("request_id={} trace capture {}: queue full, exchange not captured",
                   exchange.request_id, exchange.capture_id);
      return false;
    }
    queued_bytes_ += w;
    ++accepted_;
    queue_.push_back(std::move(exchange));
  }
  wake_.notify_one();
  return true;
}

void TraceCaptures::flush() {
  std::unique_lock lock(mu_);
  auto target = accepted_;
  if (!running_) {
    // No writer (tests that drive the service directly): process inline.
    while (!queue_.empty()) {
      auto e = std::move(queue_.front());
      queue_.pop_front();
      queued_bytes_ -= weight(e);
      lock.unlock();
      if (auto s = write(e); !s)
        spdlog::error("trace capture {}: not stored: {}", e.capture_id, s.error().detail());
      lock.lock();
      ++processed_;
    }
    return;
  }
  done_.wait(lock, [&] { return processed_ >= target; });
}

Status TraceCaptures::refresh() {
  auto lease = CS_TRY(db_.connect());
  auto rows = CS_TRY(
      lease->query("SELECT " + std::string(kCaptureColumns) +
                       " FROM trace_captures WHERE stopped_at IS NULL AND expires_at > $1 AND "
                       "captured < max_requests",
                   store::params(clock_.now())));
  std::unordered_map<std::string, Slot> slots;
  for (const auto& r : rows) {
    auto c = capture_from_row(r);
    slots[c.app_id] = Slot{c.id, c.expires_at, c.max_requests - c.captured};
  }
  publish(std::move(slots));
  return {};
}

void TraceCaptures::publish(std::unordered_map<std::string, Slot> slots) {
  std::lock_guard lock(slots_mu_);
  slots_ = std::move(slots);
  any_active_.store(!slots_.empty());
}

void TraceCaptures::set_slot(const TraceCapture& c) {
  std::lock_guard lock(slots_mu_);
  slots_[c.app_id] = Slot{c.id, c.expires_at, c.max_requests - c.captured};
  any_active_.store(true);
}

void TraceCaptures::clear_slot(const std::string& app_id) {
  std::lock_guard lock(slots_mu_);
  slots_.erase(app_id);
  any_active_.store(!slots_.empty());
}

Status TraceCaptures::write(const CapturedExchange& e) {
  TraceEntry t;
  t.id = new_id("tre");
  t.url = redact_target(e.target);
  auto request_headers = redact_headers(e.request_headers);
  auto response_headers = redact_headers(e.response_headers);
  auto request_body = redact_body(content_type(e.request_headers), e.request_body);
  auto response_body = e.response_streamed
                           ? std::string("[streamed response body not captured]")
                           : redact_body(content_type(e.response_headers), e.response_body);
  bool stored = false;
  CS_CHECK(store::transact(db_, [&](store::Connection& conn) -> Status {
    // The database has the last word on the count: several servers share one capture.
    auto seq =
        CS_TRY(conn.query_one("UPDATE trace_captures SET captured = captured + 1 WHERE id = $1 AND "
                              "stopped_at IS NULL AND "
                              "expires_at > $2 AND captured < max_requests RETURNING captured",
                              store::params(e.capture_id, e.at)));
    if (!seq) return {};
    CS_CHECK(conn.exec(
        "INSERT INTO trace_entries (id, capture_id, seq, at, request_id, method, url, status, "
        "latency_us, request_headers, request_body, response_headers, response_body) VALUES "
        "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        store::params(t.id, e.capture_id, seq->int64(0), e.at, e.request_id, e.method, t.url,
                      e.status, e.latency_us, headers_json(request_headers), request_body,
                      headers_json(response_headers), response_body)));
    stored = true;
    return {};
  }));
  if (stored) written_.fetch_add(1);
  return {};
}

void TraceCaptures::run() {
  auto next_refresh = std::chrono::steady_clock::now() + options_.refresh_interval;
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait_until(lock, next_refresh, [&] { return stopping_ || !queue_.empty(); });
    while (!queue_.empty()) {
      auto e = std::move(queue_.front());
      queue_.pop_front();
      queued_bytes_ -= weight(e);
      lock.unlock();
      if (auto s = write(e); !s) {
        spdlog::error("request_id={} trace capture {}: not stored: {}", e.request_id, e.capture_id,
                      s.error().detail());
      }
      lock.lock();
      ++processed_;
      done_.notify_all();
    }
    if (stopping_) break;
    if (std::chrono::steady_clock::now() >= next_refresh) {
      lock.unlock();
      // Captures started on other servers, and the end of expired or full ones.
      if (auto s = refresh(); !s)
        spdlog::warn("trace capture: refresh failed: {}", s.error().detail());
      lock.lock();
      next_refresh = std::chrono::steady_clock::now() + options_.refresh_interval;
    }
  }
  done_.notify_all();
}

}  // namespace cs::calllog
