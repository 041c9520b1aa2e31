// The account settings page (Security Settings and the account's connected apps) and the
// signed-in user's own connections (issue 3 §2 "Connections", §4).
#pragma once

#include "http/router.hpp"

namespace cs::web {

struct WebContext;

// GET /accounts/{id}/settings, POST /accounts/{id}/settings/security,
// POST /accounts/{id}/connections/{grant_id}/revoke, GET /connections,
// POST /connections/{grant_id}/revoke.
void register_account_pages(http::Router& router, WebContext& ctx);

}  // namespace cs::web
