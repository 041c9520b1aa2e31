#include "certification/launch.hpp"

#include <nlohmann/json.hpp>

#include "certification/request_service.hpp"
#include "notify/email.hpp"
#include "oauth/app_service.hpp"
#include "store/params.hpp"

namespace cs::certification {

std::string certificate_path(std::string_view request_id) {
  return "/v1/certification/requests/" + std::string(request_id) + "/final-review/certificate";
}

void Launch::attach() {
  requests_.on_transition([clock = &clock_](store::Connection& conn, const Request& after,
                                            Action action, const identity::Actor&) -> Status {
    if (action != Action::certify || after.state != State::certified) return {};
    CS_TRY(store::enqueue(
        conn, {std::string(kLaunchJobKind), nlohmann::json{{"request_id", after.id}}.dump()},
        *clock));
    return {};
  });
}

void Launch::set_public_url(std::string url) {
  std::lock_guard lock(mu_);
  public_url_ = std::move(url);
}

Status Launch::handle_job(const store::Job& job) {
  auto p = nlohmann::json::parse(job.payload, nullptr, false);
  if (p.is_discarded() || !p.is_object() || !p.contains("request_id") ||
      !p["request_id"].is_string()) {
    return fail(Errc::internal, "Malformed job",
                "bad certification.launch payload: " + job.payload);
  }
  auto launched = launch(p["request_id"].get<std::string>(), identity::Actor::system("launch"));
  if (!launched) return fail(launched.error());
  return {};
}

Result<Request> Launch::launch(std::string_view request_id, const identity::Actor& actor) {
  Request request;
  {
    auto lease = CS_TRY(db_.connect());
    request = CS_TRY(load_request(*lease, request_id));
  }
  if (request.state == State::launched) return request;
  if (request.state != State::certified) {
    return fail(Errc::invalid_transition, "Only a certified request can be launched",
                std::string(to_string(request.state)));
  }
  // Production settings first: a crash after this commit leaves a certified request whose
  // retried job finds the version certified already (set_certification_status is idempotent).
  CS_CHECK(apps_.set_certification_status(request.app_version_id,
                                          oauth::CertificationStatus::certified, actor));
  std::string base;
  {
    std::lock_guard lock(mu_);
    base = public_url_;
  }
  return store::transact(db_, [&](store::Connection& conn) -> Result<Request> {
    Request locked = CS_TRY(load_request(conn, request_id, true));
    if (locked.state == State::launched) return locked;
    Request after = CS_TRY(requests_.transition(conn, locked.id, Action::launch, actor,
                                                "Production settings applied"));
    // The completed certification envelope, to the partner's admins: the first of the two
    // launch notices (the production-activation email is Notice::launched, sent by the
    // transition above).
    auto app =
        CS_TRY(conn.query_one("SELECT name FROM apps WHERE id = $1", store::params(after.app_id)));
    std::string app_name = app ? app->text(0) : after.app_id;
    auto admins = CS_TRY(conn.query(
        "SELECT u.email, u.name FROM partner_memberships m JOIN users u ON u.id = m.user_id WHERE "
        "m.partner_org_id = $1 AND m.role = 'partner_admin' AND u.status = 'active' ORDER BY "
        "u.email",
        store::params(after.partner_org_id)));
    for (const auto& a : admins) {
      notify::EmailMessage m;
      m.to = a.text(0);
      m.to_name = a.text(1);
      m.category = "certification_certificate";
      m.subject = "Certification completed: " + app_name;
      m.text_body = "The certification envelope of " + app_name + " (request " + after.id +
                    ") is complete: the final approver signed its certificate.\n\nDownload the "
                    "signed certificate "
                    "(sign in as a member of your partner organisation):\n" +
                    base + certificate_path(after.id) +
                    "\n\nA separate email confirms that the app is now active in production.\n";
      CS_TRY(notify::enqueue_email(conn, m, clock_));
    }
    return after;
  });
}

}  // namespace cs::certification
