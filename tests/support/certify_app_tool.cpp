// Test-only: marks a partner app's current version with a certification status through the
// service method (oauth::AppService::set_certification_status), for browser and integration
// tests of the access rule. Built under tests/, never installed: by design the product has no
// CLI or API shortcut that certifies an app (the certification program does that).
//
//   cs_test_certify_app --data-dir DIR [--database URL] --client-id ik_... [--status certified]
#include <cstdio>
#include <string>

#include "app/config.hpp"
#include "app/runtime.hpp"

int main(int argc, char** argv) {
  cs::app::Config config;
  config.password_profile = "minimal";
  std::string client_id, status = "certified";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--data-dir") config.data_dir = value;
    else if (flag == "--database") config.database_url = value;
    else if (flag == "--client-id") client_id = value;
    else if (flag == "--status") status = value;
  }
  auto parsed = cs::oauth::parse_certification_status(status);
  if (client_id.empty() || !parsed) {
    std::fprintf(stderr, "usage: %s --data-dir DIR [--database URL] --client-id ID [--status S]\n", argv[0]);
    return 2;
  }
  auto rt = cs::app::open_runtime(config);
  if (!rt) {
    std::fprintf(stderr, "%s\n", rt.error().message().c_str());
    return 1;
  }
  auto app = (*rt)->apps.find_by_client_id(client_id);
  if (!app) {
    std::fprintf(stderr, "%s\n", app.error().message().c_str());
    return 1;
  }
  auto set = (*rt)->apps.set_certification_status(app->current.id, *parsed,
                                                  cs::identity::Actor::system("test-certify-app"));
  if (!set) {
    std::fprintf(stderr, "%s (%s)\n", set.error().message().c_str(), set.error().detail().c_str());
    return 1;
  }
  std::printf("{\"app_version_id\":\"%s\",\"status\":\"%s\"}\n", app->current.id.c_str(), status.c_str());
  return 0;
}
