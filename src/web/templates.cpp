#include "web/templates.hpp"

#include <cstdlib>
#include <map>

#include <spdlog/spdlog.h>

#include "web/embedded_assets.hpp"

namespace cs::web {
namespace {

std::optional<std::string_view> find_file(std::string_view name) {
  for (const auto& f : embedded_files()) {
    if (f.name == name) return f.text;
  }
  return std::nullopt;
}

const std::map<std::string, std::string>& partials() {
  static const std::map<std::string, std::string> kPartials = [] {
    std::map<std::string, std::string> p;
    for (const char* name : {"head", "foot"}) {
      auto text = find_file(std::string("templates/_") + name + ".mustache");
      if (!text) std::abort();
      p.emplace(name, std::string(*text));
    }
    return p;
  }();
  return kPartials;
}

}  // namespace

std::string render_page(std::string_view name, const mstch::map& context) {
  auto text = find_file("templates/" + std::string(name) + ".mustache");
  if (!text) {
    spdlog::critical("unknown template {}", name);
    std::abort();
  }
  return mstch::render(std::string(*text), context, partials());
}

std::optional<StaticAsset> static_asset(std::string_view name) {
  if (name.find('/') != std::string_view::npos) return std::nullopt;
  auto text = find_file("static/" + std::string(name));
  if (!text) return std::nullopt;
  std::string_view type = "application/octet-stream";
  if (name.ends_with(".css")) type = "text/css; charset=utf-8";
  if (name.ends_with(".js")) type = "text/javascript; charset=utf-8";
  if (name.ends_with(".svg")) type = "image/svg+xml";
  return StaticAsset{type, *text};
}

std::string_view openapi_document() {
  auto text = find_file("api/openapi.json");
  if (!text) std::abort();
  return *text;
}

}  // namespace cs::web
