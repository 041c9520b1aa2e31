#include "certification/metrics.hpp"

#include <algorithm>
#include <cmath>

#include "certification/lifecycle.hpp"

namespace cs::certification {

namespace {

bool review_clock_running(std::string_view state) {
  return state == "submitted" || state == "in_review" || state == "remedied";
}

}  // namespace

std::optional<double> percentile(std::vector<double> values, double p) {
  if (values.empty()) return std::nullopt;
  std::sort(values.begin(), values.end());
  double rank = std::clamp(p, 0.0, 100.0) / 100.0 * static_cast<double>(values.size() - 1);
  auto lo = static_cast<std::size_t>(std::floor(rank));
  auto hi = static_cast<std::size_t>(std::ceil(rank));
  return values[lo] + (values[hi] - values[lo]) * (rank - static_cast<double>(lo));
}

Result<CertificationMetrics> compute_metrics(store::Connection& conn,
                                             const BusinessCalendar& calendar, Micros now) {
  CertificationMetrics m;
  m.computed_at = now;
  for (auto s :
       {State::draft, State::submitted, State::in_review, State::changes_requested, State::remedied,
        State::engineer_approved, State::promotion_requested, State::final_review, State::certified,
        State::launched, State::withdrawn, State::rejected}) {
    m.requests_by_state[std::string(to_string(s))] = 0;
  }
  // One pass over the requests: the table holds one row per request ever opened, a size the
  // staff dashboard can afford to read whole.
  auto rows =
      CS_TRY(conn.query("SELECT r.state, r.submitted_at, r.certified_at, r.approved_at, "
                        "r.review_due_at, r.final_due_at, "
                        "r.remedy_rounds, (SELECT MIN(h.at) FROM cert_request_history h WHERE "
                        "h.request_id = r.id AND "
                        "h.action = 'submit') FROM cert_requests r"));
  std::vector<double> days;
  std::int64_t rounds_sum = 0;
  for (const auto& r : rows) {
    const std::string& state = r.text(0);
    m.requests_by_state[state] += 1;
    auto submitted = r.opt_int64(7) ? r.opt_int64(7) : r.opt_int64(1);
    auto certified = r.opt_int64(2);
    auto approved = r.opt_int64(3);
    auto review_due = r.opt_int64(4);
    auto final_due = r.opt_int64(5);
    if (submitted) {
      m.submitted_count += 1;
      std::int64_t rounds = r.int64(6);
      rounds_sum += rounds;
      m.remedy_rounds_max = std::max(m.remedy_rounds_max, rounds);
    }
    if (certified) {
      m.certified_count += 1;
      if (submitted) days.push_back(calendar.business_days_between(*submitted, *certified));
    }
    if (review_due) {
      if (review_clock_running(state)) {
        if (now > *review_due) m.review_clock_breaches += 1;
      } else if (approved && *approved > *review_due) {
        m.review_clock_breaches += 1;
      }
    }
    if (final_due) {
      if (state == "promotion_requested" || state == "final_review") {  // clocks.hpp
        if (now > *final_due) m.final_clock_breaches += 1;
      } else if (certified && *certified > *final_due) {
        m.final_clock_breaches += 1;
      }
    }
  }
  m.time_to_certify_median = percentile(days, 50);
  m.time_to_certify_p90 = percentile(days, 90);
  if (m.submitted_count > 0) {
    m.remedy_rounds_mean = static_cast<double>(rounds_sum) / static_cast<double>(m.submitted_count);
  }
  return m;
}

nlohmann::json to_json(const CertificationMetrics& m) {
  auto opt = [](const std::optional<double>& v) {
    return v ? nlohmann::json(std::round(*v * 100.0) / 100.0) : nlohmann::json(nullptr);
  };
  nlohmann::json states = nlohmann::json::object();
  for (const auto& [state, n] : m.requests_by_state) states[state] = n;
  return {
      {"requests_by_state", states},
      {"time_to_certify_business_days",
       {{"certified_requests", m.certified_count},
        {"median", opt(m.time_to_certify_median)},
        {"p90", opt(m.time_to_certify_p90)}}},
      {"clock_breaches", {{"review", m.review_clock_breaches}, {"final", m.final_clock_breaches}}},
      {"remedy_rounds",
       {{"submitted_requests", m.submitted_count},
        {"mean", opt(m.remedy_rounds_mean)},
        {"max", m.remedy_rounds_max}}},
      {"computed_at", format_rfc3339(m.computed_at)}};
}

}  // namespace cs::certification
