#include "http/router.hpp"

#include <algorithm>
#include <cstdlib>

#include <spdlog/spdlog.h>

namespace http {
namespace {

std::vector<std::string_view> split(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.empty() || path.front() != '/') return out;
  path.remove_prefix(1);
  for (;;) {
    auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

// Lower is more specific: literal segments beat parameters, the leftmost difference decides.
bool more_specific(const Route& a, const Route& b) {
  for (std::size_t i = 0; i < a.segments.size() && i < b.segments.size(); ++i) {
    if (a.segments[i].is_param != b.segments[i].is_param) return !a.segments[i].is_param;
  }
  return false;
}

}  // namespace

std::optional<std::vector<std::string>> decode_path_segments(std::string_view raw_path) {
  if (raw_path.empty() || raw_path.front() != '/') return std::nullopt;
  std::vector<std::string> out;
  for (auto raw : split(raw_path)) {
    auto seg = percent_decode(raw, false);
    if (!seg || *seg == "." || *seg == "..") return std::nullopt;
    out.push_back(std::move(*seg));
  }
  return out;
}

void Router::add(std::string method, std::string path_template, RouteOptions options,
                 Handler handler) {
  auto route = std::make_unique<Route>();
  for (auto seg : split(path_template)) {
    Route::Segment s;
    if (seg.size() >= 2 && seg.front() == '{' && seg.back() == '}') {
      s.is_param = true;
      s.text = std::string(seg.substr(1, seg.size() - 2));
    } else if (seg.find_first_of("{}") != std::string_view::npos) {
      spdlog::critical("malformed route template {}", path_template);
      std::abort();
    } else {
      s.text = std::string(seg);
    }
    route->segments.push_back(std::move(s));
  }
  if (route->segments.empty()) {
    spdlog::critical("route template must start with '/': {}", path_template);
    std::abort();
  }
  for (const auto& r : routes_) {
    if (r->method == method && r->path_template == path_template) {
      spdlog::critical("duplicate route {} {}", method, path_template);
      std::abort();
    }
  }
  route->method = std::move(method);
  route->path_template = std::move(path_template);
  route->options = options;
  route->handler = std::move(handler);
  route->index = routes_.size();
  routes_.push_back(std::move(route));
}

RouteMatch Router::match(std::string_view method, std::string_view raw_path) const {
  auto decoded = decode_path_segments(raw_path);
  if (!decoded) return RouteMatch{};
  return match(method, *decoded);
}

RouteMatch Router::match(std::string_view method, const std::vector<std::string>& segs) const {
  RouteMatch result;

  const Route* best = nullptr;
  std::vector<std::string_view> allowed;
  for (const auto& r : routes_) {
    if (r->segments.size() != segs.size()) continue;
    bool ok = true;
    for (std::size_t i = 0; i < segs.size() && ok; ++i) {
      const auto& s = r->segments[i];
      ok = s.is_param ? !segs[i].empty() : s.text == segs[i];
    }
    if (!ok) continue;
    allowed.push_back(r->method);
    if (r->method == "GET") allowed.push_back("HEAD");
    bool method_ok = r->method == method || (method == "HEAD" && r->method == "GET");
    if (method_ok && (!best || more_specific(*r, *best))) best = r.get();
  }
  if (best) {
    result.outcome = RouteMatch::Outcome::found;
    result.route = best;
    for (std::size_t i = 0; i < segs.size(); ++i) {
      if (best->segments[i].is_param) result.params.emplace_back(best->segments[i].text, segs[i]);
    }
    return result;
  }
  if (allowed.empty()) return result;
  std::sort(allowed.begin(), allowed.end());
  allowed.erase(std::unique(allowed.begin(), allowed.end()), allowed.end());
  result.outcome = RouteMatch::Outcome::method_not_allowed;
  for (auto m : allowed) {
    if (!result.allow.empty()) result.allow += ", ";
    result.allow += m;
  }
  return result;
}

}  // namespace http
