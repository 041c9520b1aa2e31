// GET /v1/certification/metrics (issue 6 §5): how the program performs, for staff.
//
// Definitions (the README states the same):
//  * time to certify: business days (team calendar) from a request's first submission to its
//    certification, over every request that was certified (certified or launched);
//  * median and p90 interpolate linearly between the closest ranks;
//  * a review-clock breach: the review clock's due instant passed before the engineer approved
//    (or, still running, before now); a final-clock breach: the final approver's due instant
//    passed before certification (or, still in final review, before now). A restarted review
//    clock is judged by its latest due instant;
//  * remedy rounds: mean and max over every request that was ever submitted.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/business_calendar.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "store/database.hpp"

namespace cs::certification {

struct CertificationMetrics {
  std::map<std::string, std::int64_t> requests_by_state;  // every state, zero included
  std::int64_t certified_count = 0;
  std::optional<double> time_to_certify_median;  // business days; nullopt without data
  std::optional<double> time_to_certify_p90;
  std::int64_t review_clock_breaches = 0;
  std::int64_t final_clock_breaches = 0;
  std::int64_t submitted_count = 0;
  std::optional<double> remedy_rounds_mean;
  std::int64_t remedy_rounds_max = 0;
  Micros computed_at = 0;
};

// The p-th percentile (0..100) of `values` with linear interpolation between the closest
// ranks; nullopt for no values.
std::optional<double> percentile(std::vector<double> values, double p);

Result<CertificationMetrics> compute_metrics(store::Connection& conn,
                                             const BusinessCalendar& calendar, Micros now);

nlohmann::json to_json(const CertificationMetrics& m);

}  // namespace cs::certification
