// Logs are JSON lines on standard output (DESIGN.md "Observability"): application messages
// through spdlog's default logger with a JSON formatter, access lines through the logger
// named "access" (src/http writes whole JSON objects there), and lifecycle events such as
// "listening" as JSON objects of their own.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace cs::app {

void setup_logging(const std::string& level);
// Writes one JSON object line, e.g. {"event":"listening","url":...}.
void log_event(const nlohmann::json& event);
// Flushes and stops the asynchronous loggers (graceful shutdown).
void shutdown_logging();

}  // namespace cs::app
