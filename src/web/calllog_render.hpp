// JSON and CSV forms of call-log data for the /v1/apps/{id}/calls routes and exports.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "calllog/call_query.hpp"
#include "calllog/call_record.hpp"
#include "calllog/review.hpp"

namespace cs::web {

nlohmann::json call_json(const calllog::CallRecord& c);
nlohmann::json day_summary_json(const calllog::DaySummary& d);
nlohmann::json happy_path_json(const calllog::HappyPath& h);
nlohmann::json behaviour_json(const calllog::BehaviourReport& r);

// RFC 4180 CSV, one call per line. Cells that a spreadsheet would run as a formula (user agents
// are client-controlled) are prefixed with an apostrophe.
std::string calllog_csv_header();
std::string calllog_csv_row(const calllog::CallRecord& c);

}  // namespace cs::web
