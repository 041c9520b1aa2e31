// Shared by the directory and requirements-catalogue routes (api_directory_routes.cpp) and pages
// (directory_pages.cpp), issue 6 §1 and §7.
#pragma once

#include <set>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "certification/catalogue.hpp"
#include "core/error.hpp"
#include "directory/app_directory.hpp"
#include "http/request.hpp"
#include "http/router.hpp"

namespace cs::web {

struct WebContext;

// "send,track" -> {"send", "track"}; an unknown function is Errc::invalid_request.
Result<std::set<std::string>> parse_function_list(std::string_view text);
// The catalogue `?version=` names (default: the current one); Errc::not_found when unknown.
Result<const certification::Catalogue*> requested_catalogue(const http::Request& req);
nlohmann::json directory_entry_json(const directory::DirectoryEntry& e);

// GET /v1/certification/requirements, /v1/directory/apps, /v1/directory/apps/{id},
// GET/PUT /v1/apps/{id}/listing.
void register_directory_routes(http::Router& router, WebContext& ctx);
// GET /certification/requirements, /directory, /directory/apps/{id}: public HTML pages.
void register_directory_pages(http::Router& router, WebContext& ctx);

}  // namespace cs::web
