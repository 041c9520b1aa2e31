// Who causes a change, for the audit log: the operator at the CLI, the system (demo seed,
// jobs), or a signed-in user, with the request's IP address and id when there is one.
#pragma once

#include <string>

namespace cs::identity {

// Request details the web layer passes along so audit entries can be tied to a request.
struct RequestContext {
  std::string ip;
  std::string request_id;
};

struct Actor {
  std::string type;  // "operator", "system" or "user"
  std::string id;    // the user id for "user"; a name ("cli", "demo-seed") otherwise
  RequestContext request;

  static Actor operator_cli(std::string who = "cli") { return {"operator", std::move(who), {}}; }
  static Actor system(std::string what = "system") { return {"system", std::move(what), {}}; }
  static Actor user(std::string user_id, RequestContext request = {}) {
    return {"user", std::move(user_id), std::move(request)};
  }
};

}  // namespace cs::identity
