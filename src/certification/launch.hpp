// Launch (issue 6 §2 "certified -> launched"; DESIGN.md "Launch").
//
// Launch follows certification on its own: the certify transition enqueues the durable job
// `certification.launch` in its transaction, and the job
//   1. makes the request's app version `certified` (AppService::set_certification_status): the
//      access rule then lets the app reach every production account whose user consents, and
//      for a recertification the pending version replaces the old certified configuration in
//      production only now;
//   2. moves the request to `launched` and, in the same transaction, sends the two notices: the
//      completed certification envelope (to the partner's admins, linking the signed
//      certificate) and, separately, the production-activation email (Notice::launched).
// Production rate limits need no step here: the call log applies limits per account
// environment (a production account's calls count against the production limits).
//
// No staff action is needed because every judgement was made before: the final approver's
// signature is the decision. Every step is idempotent, so a retried job never sends twice.
#pragma once

#include <mutex>
#include <string>
#include <string_view>

#include "certification/request.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "identity/actor.hpp"
#include "store/database.hpp"
#include "store/job_queue.hpp"

namespace cs::audit {
class AuditLog;
}
namespace cs::oauth {
class AppService;
}

namespace cs::certification {

class RequestService;

inline constexpr std::string_view kLaunchJobKind = "certification.launch";  // {"request_id"}

// Where partners download the signed certificate (cert-finish's route).
std::string certificate_path(std::string_view request_id);

class Launch {
 public:
  Launch(store::Database& db, const Clock& clock, RequestService& requests, oauth::AppService& apps)
      : db_(db), clock_(clock), requests_(requests), apps_(apps) {}

  // Registers the RequestService hook that enqueues the launch job on certify.
  void attach();
  // Links in the certificate email; known once the server has bound its port.
  void set_public_url(std::string url);

  Status handle_job(const store::Job& job);
  // certified -> launched (answers the request as launched; a launched request is answered as
  // it is). invalid_transition from any other state.
  Result<Request> launch(std::string_view request_id, const identity::Actor& actor);

 private:
  store::Database& db_;
  const Clock& clock_;
  RequestService& requests_;
  oauth::AppService& apps_;
  std::mutex mu_;
  std::string public_url_ = "http://localhost";
};

}  // namespace cs::certification
