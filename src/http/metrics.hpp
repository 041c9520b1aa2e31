// Prometheus metrics for the HTTP layer, plus gauges other modules register (job-queue depth).
// The hot path touches only atomics of a series the server resolved once per route; the mutex
// guards registration and rendering, never a request.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace http {

// Upper bounds (seconds) of http_request_duration_seconds; +Inf is implicit.
inline constexpr std::array<double, 14> kLatencyBuckets = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

// Counters for one (route, method) pair.
struct RouteSeries {
  std::string route;
  std::string method;
  std::array<std::atomic<std::uint64_t>, 500> by_status{};  // index = status - 100
  std::array<std::atomic<std::uint64_t>, kLatencyBuckets.size() + 1> buckets{};  // last: +Inf
  std::atomic<std::uint64_t> count{0};
  std::atomic<std::uint64_t> sum_us{0};

  void observe(int status, std::chrono::microseconds latency);
};

class Metrics {
 public:
  Metrics() = default;
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // The series for (route, method), created on first use. The pointer stays valid for the
  // lifetime of Metrics. Takes a lock: resolve once and keep the pointer.
  RouteSeries* series(std::string_view route, std::string_view method);

  // A gauge evaluated at render time. `name` must be a valid Prometheus metric name.
  void add_gauge(std::string name, std::string help, std::function<double()> value);

  std::atomic<std::int64_t>& requests_in_flight() { return in_flight_; }
  std::atomic<std::int64_t>& connections_open() { return connections_; }

  // Prometheus text exposition format 0.0.4.
  std::string render() const;

 private:
  struct Gauge {
    std::string name, help;
    std::function<double()> value;
  };
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<RouteSeries>> series_;
  std::vector<Gauge> gauges_;
  std::atomic<std::int64_t> in_flight_{0};
  std::atomic<std::int64_t> connections_{0};
};

}  // namespace http
