#include "app/logging.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <spdlog/async.h>
#include <spdlog/formatter.h>
#include <spdlog/sinks/sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "core/clock.hpp"

namespace cs::app {
namespace {

// {"ts":..., "level":..., "logger":..., "msg":...}: the message is escaped, so any text is safe.
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(msg.time.time_since_epoch()).count();
    nlohmann::json line = {{"ts", format_rfc3339(micros)},
                           {"level", std::string(spdlog::level::to_string_view(msg.level).data(),
                                                 spdlog::level::to_string_view(msg.level).size())},
                           {"logger", std::string(msg.logger_name.data(), msg.logger_name.size())},
                           {"msg", std::string(msg.payload.data(), msg.payload.size())}};
    auto text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    dest.append(text.data(), text.data() + text.size());
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonFormatter>(); }
};

// The access log: one line per request (DESIGN.md "Observability"). The request's thread
// appends the line to a buffer, and a thread of this sink writes the buffer to stdout in
// batches: after kBatchDelay, or at once past kBatchBytes. Handing each line to the async
// queue cost a wake-up of its thread and a write(2) per request. Past kMaxBytes (stdout not
// keeping up) the request thread writes the batch itself, so a slow reader slows requests
// down rather than losing lines or growing memory without bound.
class BatchedStdoutSink final : public spdlog::sinks::sink {
 public:
  BatchedStdoutSink() : thread_([this] { run(); }) {}
  ~BatchedStdoutSink() override {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_one();
    thread_.join();
    write_out();
  }

  // The payload is the whole line (src/http builds it); no pattern applies.
  void log(const spdlog::details::log_msg& msg) override {
    bool wake = false, overfull = false;
    {
      std::lock_guard lock(mu_);
      wake = buffer_.empty();
      buffer_.append(msg.payload.data(), msg.payload.size());
      buffer_.push_back('\n');
      wake = wake || buffer_.size() >= kBatchBytes;
      overfull = buffer_.size() >= kMaxBytes;
    }
    if (overfull) {
      write_out();
    } else if (wake) {
      cv_.notify_one();
    }
  }
  void flush() override { write_out(); }
  void set_pattern(const std::string&) override {}
  void set_formatter(std::unique_ptr<spdlog::formatter>) override {}

 private:
  static constexpr std::size_t kBatchBytes = 64 * 1024;
  static constexpr std::size_t kMaxBytes = 4 * 1024 * 1024;
  static constexpr auto kBatchDelay = std::chrono::milliseconds(50);

  void run() {
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] { return stopping_ || !buffer_.empty(); });
      if (stopping_) return;
      cv_.wait_for(lock, kBatchDelay, [&] { return stopping_ || buffer_.size() >= kBatchBytes; });
      lock.unlock();
      write_out();
      lock.lock();
    }
  }

  // Batches leave in the order they were filled: the swap happens under write_mu_.
  void write_out() {
    std::lock_guard writing(write_mu_);
    {
      std::lock_guard lock(mu_);
      if (buffer_.empty()) return;
      out_.swap(buffer_);
    }
    // One locked stdio call per batch: lines never interleave with the other loggers' lines.
    std::fwrite(out_.data(), 1, out_.size(), stdout);
    std::fflush(stdout);
    out_.clear();
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::string buffer_;  // guarded by mu_
  bool stopping_ = false;
  std::mutex write_mu_;
  std::string out_;  // guarded by write_mu_
  std::thread thread_;
};

}  // namespace

void setup_logging(const std::string& level) {
  // One queue and one thread write every log line, so request threads never wait on stdout;
  // with the default "block" policy a full queue slows requests rather than losing lines.
  // Formatters belong to sinks in spdlog, so each logger has a sink of its own; console sinks
  // share one mutex and the single queue thread writes them, so lines never interleave.
  spdlog::init_thread_pool(16384, 1);
  auto app = std::make_shared<spdlog::async_logger>(
      "countersign", std::make_shared<spdlog::sinks::stdout_sink_mt>(), spdlog::thread_pool());
  app->set_formatter(std::make_unique<JsonFormatter>());
  app->set_level(spdlog::level::from_str(level));
  spdlog::set_default_logger(app);

  auto events = std::make_shared<spdlog::async_logger>(
      "event", std::make_shared<spdlog::sinks::stdout_sink_mt>(), spdlog::thread_pool());
  events->set_pattern("%v");
  events->set_level(spdlog::level::info);
  spdlog::register_logger(events);
  // Synchronous logger: the sink itself batches (see BatchedStdoutSink).
  auto access = std::make_shared<spdlog::logger>("access", std::make_shared<BatchedStdoutSink>());
  access->set_level(spdlog::level::info);
  spdlog::register_logger(access);
}

void log_event(const nlohmann::json& event) {
  auto logger = spdlog::get("event");
  auto text = event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (logger) {
    logger->info(text);
    logger->flush();
  } else {
    std::fputs((text + "\n").c_str(), stdout);
    std::fflush(stdout);
  }
}

void shutdown_logging() {
  if (auto access = spdlog::get("access")) access->flush();
  spdlog::shutdown();
}

}  // namespace cs::app
