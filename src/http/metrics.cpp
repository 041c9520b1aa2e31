#include "http/metrics.hpp"

#include <fmt/format.h>

namespace http {
namespace {

std::string escape_label(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

}  // namespace

void RouteSeries::observe(int status, std::chrono::microseconds latency) {
  if (status >= 100 && status < 600) {
    by_status[static_cast<std::size_t>(status - 100)].fetch_add(1, std::memory_order_relaxed);
  }
  double seconds = static_cast<double>(latency.count()) / 1e6;
  std::size_t i = 0;
  while (i < kLatencyBuckets.size() && seconds > kLatencyBuckets[i]) ++i;
  buckets[i].fetch_add(1, std::memory_order_relaxed);
  count.fetch_add(1, std::memory_order_relaxed);
  sum_us.fetch_add(static_cast<std::uint64_t>(latency.count()), std::memory_order_relaxed);
}

RouteSeries* Metrics::series(std::string_view route, std::string_view method) {
  std::lock_guard lock(mu_);
  for (const auto& s : series_) {
    if (s->route == route && s->method == method) return s.get();
  }
  auto s = std::make_unique<RouteSeries>();
  s->route = std::string(route);
  s->method = std::string(method);
  series_.push_back(std::move(s));
  return series_.back().get();
}

void Metrics::add_gauge(std::string name, std::string help, std::function<double()> value) {
  std::lock_guard lock(mu_);
  gauges_.push_back(Gauge{std::move(name), std::move(help), std::move(value)});
}

std::string Metrics::render() const {
  std::lock_guard lock(mu_);
  std::string out;
  out += "# HELP http_requests_total HTTP requests by route template, method and status.\n";
  out += "# TYPE http_requests_total counter\n";
  for (const auto& s : series_) {
    auto route = escape_label(s->route);
    for (std::size_t i = 0; i < s->by_status.size(); ++i) {
      auto n = s->by_status[i].load(std::memory_order_relaxed);
      if (n == 0) continue;
      out += fmt::format("http_requests_total{{route=\"{}\",method=\"{}\",status=\"{}\"}} {}\n",
                         route, s->method, i + 100, n);
    }
  }
  out += "# HELP http_request_duration_seconds Time from request headers to response written.\n";
  out += "# TYPE http_request_duration_seconds histogram\n";
  for (const auto& s : series_) {
    auto count = s->count.load(std::memory_order_relaxed);
    if (count == 0) continue;
    auto labels = fmt::format("route=\"{}\",method=\"{}\"", escape_label(s->route), s->method);
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
      cumulative += s->buckets[i].load(std::memory_order_relaxed);
      out += fmt::format("http_request_duration_seconds_bucket{{{},le=\"{}\"}} {}\n", labels,
                         kLatencyBuckets[i], cumulative);
    }
    cumulative += s->buckets.back().load(std::memory_order_relaxed);
    out += fmt::format("http_request_duration_seconds_bucket{{{},le=\"+Inf\"}} {}\n", labels,
                       cumulative);
    out += fmt::format("http_request_duration_seconds_sum{{{}}} {}\n", labels,
                       static_cast<double>(s->sum_us.load(std::memory_order_relaxed)) / 1e6);
    out += fmt::format("http_request_duration_seconds_count{{{}}} {}\n", labels, cumulative);
  }
  out += "# HELP http_requests_in_flight Requests being processed.\n";
  out += "# TYPE http_requests_in_flight gauge\n";
  out += fmt::format("http_requests_in_flight {}\n", in_flight_.load());
  out += "# HELP http_connections_open Open client connections.\n";
  out += "# TYPE http_connections_open gauge\n";
  out += fmt::format("http_connections_open {}\n", connections_.load());
  for (const auto& g : gauges_) {
    out += fmt::format("# HELP {} {}\n# TYPE {} gauge\n{} {}\n", g.name, g.help, g.name, g.name,
                       g.value());
  }
  return out;
}

}  // namespace http
