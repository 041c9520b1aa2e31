// The OpenAPI document stays true: it documents exactly the routes the server registers.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <set>

#include "audit/audit_log.hpp"
#include "crypto/keyring.hpp"
#include "crypto/password.hpp"
#include "identity/auth_service.hpp"
#include "identity/directory.hpp"
#include "identity/session_service.hpp"
#include "oauth/app_service.hpp"
#include "oauth/authorization_server.hpp"
#include "support/test_database.hpp"
#include "web/templates.hpp"
#include "web/web_context.hpp"

namespace cs::web {
namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

TEST(OpenApi, DocumentsExactlyTheRegisteredRoutes) {
  auto test_db = cs::testing::make_test_database(store::Backend::sqlite);
  SystemClock clock;
  auto keys = crypto::KeyRing::generate(clock);
  audit::AuditLog audit(clock);
  crypto::PasswordHasher hasher(crypto::PasswordParams::minimal());
  identity::Directory directory(*test_db.db, clock, audit, hasher);
  identity::SessionService sessions(*test_db.db, clock, keys.token_hash_key());
  identity::AuthService auth(*test_db.db, clock, audit, hasher, sessions);
  crypto::TokenHasher tokens(keys);
  oauth::AppService apps(*test_db.db, clock, audit, tokens);
  oauth::AuthorizationServer authz(*test_db.db, clock, audit, tokens, apps, directory);
  http::Metrics metrics;
  WebContext ctx{*test_db.db, metrics, directory, auth, sessions, apps, authz, "http://127.0.0.1:8080", false};
  http::Router router;
  register_ops_routes(router, ctx);
  register_page_routes(router, ctx);
  register_oauth_endpoints(router, ctx);
  register_api_routes(router, ctx);
  register_oauth_pages(router, ctx);

  std::set<std::string> registered;
  for (const auto& r : router.routes()) registered.insert(lower(r->method) + " " + r->path_template);

  auto doc = nlohmann::json::parse(openapi_document());
  EXPECT_EQ(doc["openapi"].get<std::string>().rfind("3.1", 0), 0u);
  std::set<std::string> documented;
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [method, operation] : item.items()) {
      documented.insert(method + " " + path);
      EXPECT_TRUE(operation.contains("responses")) << method << " " << path;
      EXPECT_TRUE(operation.contains("operationId")) << method << " " << path;
    }
  }
  EXPECT_EQ(documented, registered);
  EXPECT_TRUE(doc["components"]["schemas"].contains("Problem"));
}

}  // namespace
}  // namespace cs::web
