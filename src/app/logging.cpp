#include "app/logging.hpp"

#include <chrono>
#include <memory>

#include <spdlog/async.h>
#include <spdlog/formatter.h>
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

  for (const char* raw : {"access", "event"}) {
    auto logger = std::make_shared<spdlog::async_logger>(
        raw, std::make_shared<spdlog::sinks::stdout_sink_mt>(), spdlog::thread_pool());
    logger->set_pattern("%v");
    logger->set_level(spdlog::level::info);
    spdlog::register_logger(logger);
  }
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

void shutdown_logging() { spdlog::shutdown(); }

}  // namespace cs::app
