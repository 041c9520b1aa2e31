// Method + path-template routing. Routes declare their limits and their auth requirement up
// front so the server can enforce both before any handler code runs.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "http/request.hpp"
#include "http/response.hpp"

namespace http {

enum class Auth { none, session, bearer, session_or_bearer };

// The default of ServerOptions::default_max_body.
inline constexpr std::size_t kDefaultMaxBody = 1024 * 1024;

struct RouteOptions {
  Auth auth = Auth::none;
  // Unset: the server-wide ServerOptions::default_max_body / default_body_timeout, so that the
  // configured limits apply to every route that does not need its own (uploads do).
  std::optional<std::size_t> max_body = std::nullopt;
  std::optional<std::chrono::milliseconds> body_timeout = std::nullopt;
  // false: the handler is cheap and never blocks (/healthz) and runs on the io thread. Such a
  // route cannot require auth: the authenticator queries the database (Server::start refuses).
  bool blocking = true;
};

using Handler = std::function<Response(Request&)>;

// Called before the handler of every route with auth != none; fills req.principal or returns
// the error (unauthenticated → 401, forbidden → 403) that is rendered as a problem.
using Authenticator = std::function<cs::Status(Request&, Auth)>;

struct Route {
  std::string method;
  std::string path_template;
  RouteOptions options;
  Handler handler;
  std::size_t index = 0;  // position in registration order; stable for the router's lifetime

  struct Segment {
    std::string text;  // literal text, or the parameter name
    bool is_param = false;
  };
  std::vector<Segment> segments;
};

struct RouteMatch {
  enum class Outcome { found, not_found, method_not_allowed };
  Outcome outcome = Outcome::not_found;
  const Route* route = nullptr;
  HeaderList params;
  std::string allow;  // for method_not_allowed: "GET, HEAD, POST"
};

class Router {
 public:
  // Templates look like "/v1/envelopes/{id}/documents/{doc}"; a parameter is a whole segment.
  // Aborts on a malformed template or a duplicate (method, template): a programming error.
  void add(std::string method, std::string path_template, RouteOptions options, Handler handler);
  void add(std::string method, std::string path_template, Handler handler) {
    add(std::move(method), std::move(path_template), RouteOptions{}, std::move(handler));
  }

  // Takes the raw (still encoded) path so that "%2F" inside a parameter does not split it;
  // parameters come back decoded. An undecodable path matches nothing.
  // HEAD matches a GET route. Among several matching templates, literal segments win over
  // parameters, leftmost first ("/apps/new" before "/apps/{id}").
  RouteMatch match(std::string_view method, std::string_view raw_path) const;
  // The same with segments already decoded by decode_path_segments().
  RouteMatch match(std::string_view method, const std::vector<std::string>& segments) const;

  const std::vector<std::unique_ptr<Route>>& routes() const { return routes_; }

 private:
  std::vector<std::unique_ptr<Route>> routes_;
};

// Splits a raw path into decoded segments. nullopt for a bad escape, NUL, invalid UTF-8, or a
// "." / ".." segment (path traversal has no business reaching a handler).
std::optional<std::vector<std::string>> decode_path_segments(std::string_view raw_path);

}  // namespace http
