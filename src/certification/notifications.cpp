#include "certification/notifications.hpp"

#include <mutex>
#include <set>
#include <utility>
#include <vector>

#include "certification/assignments.hpp"
#include "events/domain_event.hpp"
#include "notify/email.hpp"
#include "store/params.hpp"

namespace cs::certification {

namespace {

// Stamps what the caller decided "now" is onto the email job and the event.
class FixedClock final : public Clock {
 public:
  explicit FixedClock(Micros t) : t_(t) {}
  Micros now() const override { return t_; }

 private:
  Micros t_;
};

std::mutex links_mutex;
std::string& links_base() {
  static std::string base = "http://localhost";
  return base;
}
std::string base_url() {
  std::lock_guard lock(links_mutex);
  return links_base();
}

enum Audience : unsigned { kPartner = 1, kPartnerManagers = 2, kAssigned = 4, kAssignee = 8 };

struct NoticeSpec {
  Notice notice;
  std::string_view name;
  unsigned audience;
  std::string_view subject;  // "{app}" is replaced by the app's name
  std::string_view text;
};

constexpr NoticeSpec kSpecs[] = {
    {Notice::submitted, "submitted", kPartner | kPartnerManagers, "Certification request submitted: {app}",
     "The certification request for {app} was submitted. The automated pre-review runs now and the "
     "engineering review decides within 6 business days."},
    {Notice::assigned, "assigned", kPartner | kAssignee, "Reviewer assigned: {app}",
     "A reviewer was assigned to the certification request for {app}."},
    {Notice::finding_filed, "finding_filed", kPartner, "New finding on {app}",
     "A reviewer filed a finding on the certification request for {app}. Respond to it and attach new "
     "evidence, then resubmit."},
    {Notice::changes_requested, "changes_requested", kPartner, "Changes requested: {app}",
     "The review of {app} found issues that need changes. Respond to every open finding, then resubmit."},
    {Notice::remedied, "remedied", kPartner | kAssigned, "Resubmitted after remedy: {app}",
     "The partner resubmitted {app} after addressing the findings. The review clock restarted."},
    {Notice::engineer_approved, "engineer_approved", kPartner, "Engineering review approved: {app}",
     "The certification engineer approved {app}. Next, fill in the integration key promotion form."},
    {Notice::final_review, "final_review", kPartner | kAssigned, "Final review started: {app}",
     "The certificate for {app} went to the final approver, who has 3 business days."},
    {Notice::certified, "certified", kPartner | kPartnerManagers, "Certified: {app}",
     "{app} is certified. The completed certification envelope is on its way."},
    {Notice::launched, "launched", kPartner, "Production activated: {app}",
     "{app} is live in production: its certified configuration now reaches production accounts."},
    {Notice::rejected, "rejected", kPartner | kAssigned, "Certification request rejected: {app}",
     "The certification request for {app} was rejected."},
    {Notice::withdrawn, "withdrawn", kAssigned | kPartnerManagers, "Certification request withdrawn: {app}",
     "The partner withdrew the certification request for {app}."},
    {Notice::clock_at_risk, "clock_at_risk", kAssigned | kPartnerManagers, "Review clock at risk: {app}",
     "The service-level clock of the certification request for {app} is at risk."},
};

const NoticeSpec& spec(Notice n) {
  for (const auto& s : kSpecs) {
    if (s.notice == n) return s;
  }
  std::abort();  // every Notice has a row
}

std::string fill(std::string_view templ, const std::string& app) {
  std::string out(templ);
  for (auto pos = out.find("{app}"); pos != std::string::npos; pos = out.find("{app}", pos + app.size())) {
    out.replace(pos, 5, app);
  }
  return out;
}

struct Recipient {
  std::string email;
  std::string name;
};

Status add_rows(store::Connection& conn, std::string_view sql, std::string_view param, std::vector<Recipient>& out) {
  auto rows = CS_TRY(conn.query(sql, store::params(param)));
  for (const auto& r : rows) out.push_back({r.text(0), r.text(1)});
  return {};
}

}  // namespace

std::string_view to_string(Notice n) { return spec(n).name; }

std::string event_type(Notice n) {
  if (n == Notice::clock_at_risk) return {};
  return "certification." + std::string(spec(n).name);
}

void configure_notice_links(std::string public_base_url) {
  while (!public_base_url.empty() && public_base_url.back() == '/') public_base_url.pop_back();
  std::lock_guard lock(links_mutex);
  links_base() = std::move(public_base_url);
}

Status notify(store::Connection& conn, const Request& request, Notice notice, const nlohmann::json& detail,
              Micros now) {
  const NoticeSpec& s = spec(notice);
  FixedClock clock(now);
  auto app_row = CS_TRY(conn.query_one("SELECT name FROM apps WHERE id = $1", store::params(request.app_id)));
  std::string app_name = app_row ? app_row->text(0) : request.app_id;

  std::vector<Recipient> to;
  if (s.audience & kPartner) {
    CS_CHECK(add_rows(conn,
                      "SELECT u.email, u.name FROM partner_memberships m JOIN users u ON u.id = m.user_id "
                      "WHERE m.partner_org_id = $1 AND u.status = 'active' ORDER BY u.email",
                      request.partner_org_id, to));
  }
  if (s.audience & kPartnerManagers) {
    CS_CHECK(add_rows(conn,
                      "SELECT u.email, u.name FROM staff_roles s JOIN users u ON u.id = s.user_id "
                      "WHERE s.role = $1 AND u.status = 'active' ORDER BY u.email",
                      "partner_manager", to));
  }
  if (s.audience & kAssigned) {
    for (const auto& a : CS_TRY(current_assignments(conn, request.id))) to.push_back({a.user_email, a.user_name});
  }
  if ((s.audience & kAssignee) && detail.contains("user_id") && detail["user_id"].is_string()) {
    CS_CHECK(add_rows(conn, "SELECT email, name FROM users WHERE id = $1 AND status = 'active'",
                      detail["user_id"].get<std::string>(), to));
  }

  std::string link = base_url() + "/v1/certification/requests/" + request.id;
  std::string body = fill(s.text, app_name) + "\n\nRequest: " + request.id + " (state: " +
                     std::string(to_string(request.state)) + ")\n" + link + "\n";
  if (detail.contains("reason") && detail["reason"].is_string() && !detail["reason"].get<std::string>().empty()) {
    body += "\nReason: " + detail["reason"].get<std::string>() + "\n";
  }
  if (notice == Notice::engineer_approved) {
    body += "\nPromotion form: POST " + link + "/promotion\n";
  }
  if (detail.contains("due_at") && detail["due_at"].is_string()) {
    body += "\nDue: " + detail["due_at"].get<std::string>() + "\n";
  }
  std::set<std::string> sent;
  for (const auto& r : to) {
    if (!sent.insert(r.email).second) continue;
    notify::EmailMessage m{.to = r.email,
                           .to_name = r.name,
                           .subject = fill(s.subject, app_name),
                           .text_body = body,
                           .html_body = std::nullopt,
                           .category = "certification." + std::string(s.name)};
    CS_TRY(notify::enqueue_email(conn, m, clock));
  }

  if (auto type = event_type(notice); !type.empty()) {
    events::DomainEvent e;
    e.type = type;
    e.actor_type = "system";
    e.actor_id = "certification";
    e.data = {{"request_id", request.id},
              {"app_id", request.app_id},
              {"app_version_id", request.app_version_id},
              {"partner_org_id", request.partner_org_id},
              {"kind", std::string(to_string(request.kind))},
              {"state", std::string(to_string(request.state))}};
    for (const auto& key : {"finding_id", "severity", "requirement_id", "role", "reason", "due_at"}) {
      if (detail.contains(key)) e.data[key] = detail[key];
    }
    e.occurred_at = now;
    CS_TRY(events::publish(conn, std::move(e), clock));
  }
  return {};
}

}  // namespace cs::certification
