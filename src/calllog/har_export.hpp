// Exports of a trace capture (issue 5 §3): HAR 1.2
// (http://www.softwareishard.com/blog/har-12-spec/) and Countersign's JSON trace form, both
// accepted by the certification trace check (certification/trace_scan.hpp). Built piece by piece so
// that an export is streamed: the prologue, one rendered entry per stored entry (comma-separated),
// the epilogue.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "calllog/trace_capture.hpp"

namespace cs::calllog {

enum class TraceExportFormat { har, json };

// `base_url` (the server's public URL) makes the entries' URLs absolute, as HAR requires.
std::string export_prologue(TraceExportFormat format, const TraceCapture& capture,
                            std::string_view creator_version, Micros now);
std::string export_epilogue(TraceExportFormat format);
nlohmann::json har_entry(const TraceEntry& entry, std::string_view base_url);
nlohmann::json json_entry(const TraceEntry& entry, std::string_view base_url);

// The capture as the API shows it.
nlohmann::json capture_json(const TraceCapture& capture, Micros now);

// RFC 9110 reason phrase ("" for unknown codes).
std::string_view reason_phrase(int status);

}  // namespace cs::calllog
