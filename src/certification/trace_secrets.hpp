// Internal to the trace analysis (trace_scan.hpp): the live-secret scanner (TRC-2) for one side
// of one exchange. The rules it applies are documented in trace_scan.hpp.
#pragma once

#include <cstddef>
#include <string_view>

#include "certification/trace_formats.hpp"
#include "certification/trace_scan.hpp"
#include "core/error.hpp"

namespace cs::certification::detail {

// Adds the secrets found in `msg` (and, for a request, in its `url`) to report.secrets. Fails
// only when a body nests deeper than kMaxTraceNesting.
Status scan_message(TraceReport& report, const TraceMessage& msg, std::string_view url, std::size_t entry,
                    TraceSide side);

// Text helpers shared by the trace parsers and the scanner (ASCII case folding, whitespace trim).
std::string lower(std::string_view s);
std::string_view trim(std::string_view s);

}  // namespace cs::certification::detail
