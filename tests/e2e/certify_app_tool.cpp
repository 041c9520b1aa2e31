// TEST-ONLY: marks an app's current version certified through AppService::set_certification_status,
// the service method the certification issue will drive. Issue 3 forbids a product CLI or API
// shortcut that certifies an app, so this lives under tests/ and is never installed or linked
// into `countersign`. The browser test (oauth.test.mjs, case f) runs it against the data
// directory of the server under test.
//
//   cs_e2e_certify_app --data-dir DIR --app-id app_... [--status
//   certified|in_certification|uncertified]
//
// Prints {"app_id","version_id","status"} on success; exits 1 with a message otherwise.
#include <cstdio>
#include <iostream>
#include <string>
#include <string_view>

#include "app/config.hpp"
#include "app/runtime.hpp"
#include "crypto/tokens.hpp"
#include "identity/actor.hpp"
#include "oauth/app_service.hpp"

int main(int argc, char** argv) {
  std::string data_dir, app_id, status_text = "certified";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view flag = argv[i];
    if (flag == "--data-dir")
      data_dir = argv[i + 1];
    else if (flag == "--app-id")
      app_id = argv[i + 1];
    else if (flag == "--status")
      status_text = argv[i + 1];
  }
  auto status = cs::oauth::parse_certification_status(status_text);
  if (data_dir.empty() || app_id.empty() || !status) {
    std::cerr << "usage: cs_e2e_certify_app --data-dir DIR --app-id APP_ID [--status STATUS]\n";
    return 1;
  }
  cs::app::Config config;
  config.data_dir = data_dir;
  config.password_profile = "minimal";
  auto rt = cs::app::open_runtime(config);
  if (!rt) {
    std::cerr << "cannot open runtime: " << rt.error().message() << "\n";
    return 1;
  }
  cs::crypto::TokenHasher hasher((*rt)->keys);
  cs::oauth::AppService apps(*(*rt)->db, (*rt)->clock, (*rt)->audit, hasher);
  auto app = apps.find_by_id(app_id);
  if (!app) {
    std::cerr << "no such app: " << app_id << "\n";
    return 1;
  }
  auto set = apps.set_certification_status(app->current.id, *status,
                                           cs::identity::Actor::system("e2e-test"));
  if (!set) {
    std::cerr << "set_certification_status failed: " << set.error().message() << " "
              << set.error().detail() << "\n";
    return 1;
  }
  std::cout << R"({"app_id":")" << app->id << R"(","version_id":")" << app->current.id
            << R"(","status":")" << cs::oauth::to_string(*status) << "\"}\n";
  return 0;
}
