// Hot OAuth paths on SQLite (a temp file, the embedded default): the refresh grant (DESIGN.md
// budget: >= 10,000 tokens/s on 2 cores) and verify_bearer (every authenticated /v1 call).
//
//   cmake --build <build> --target bench_oauth && <build>/bench/bench_oauth
//   CS_BENCH_DIR=/dev/shm <build>/bench/bench_oauth   # without the disk's fsync latency
//
// SQLite commits with synchronous=FULL, so on a disk every refresh grant (a write
// transaction) waits for one fsync of the WAL: the disk's fsync latency bounds grants/s.
//
// Each benchmark thread runs its own refresh-token chain, as separate clients would.
#include <benchmark/benchmark.h>

#include <unistd.h>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

#include "audit/audit_log.hpp"
#include "core/clock.hpp"
#include "crypto/keyring.hpp"
#include "crypto/password.hpp"
#include "crypto/tokens.hpp"
#include "identity/directory.hpp"
#include "oauth/app_service.hpp"
#include "oauth/authorization_server.hpp"
#include "oauth/detail/pkce.hpp"
#include "store/database.hpp"
#include "store/migrations.hpp"

namespace {

using namespace cs;

template <class T>
T must(Result<T> r, const char* what) {
  if (!r) {
    std::fprintf(stderr, "bench setup: %s: %s / %s\n", what, r.error().message().c_str(),
                 r.error().detail().c_str());
    std::abort();
  }
  return std::move(*r);
}

// One database and one app for the whole run.
struct World {
  std::filesystem::path dir;
  std::unique_ptr<store::Database> db;
  SystemClock clock;
  audit::AuditLog audit{clock};
  crypto::PasswordHasher passwords{crypto::PasswordParams::minimal()};
  crypto::KeyRing keys = crypto::KeyRing::generate(clock);
  crypto::TokenHasher hasher{keys};
  std::unique_ptr<identity::Directory> directory;
  std::unique_ptr<oauth::AppService> apps;
  std::unique_ptr<oauth::AuthorizationServer> server;
  oauth::CreatedApp app;
  std::string admin_id, account_id;
  std::string redirect = "https://partner.example/callback";
  std::string verifier = std::string(64, 'v');
  std::mutex setup_mutex;

  World() {
    // CS_BENCH_DIR=/dev/shm measures the CPU cost without the disk's fsync (see BENCHMARKS.md).
    const char* base = std::getenv("CS_BENCH_DIR");
    std::string tmpl = std::string(base ? base : "/tmp") + "/cs_oauth_bench_XXXXXX";
    dir = ::mkdtemp(tmpl.data());
    store::DatabaseOptions opts;
    opts.url = (dir / "bench.db").string();
    opts.pool_size = 8;
    db = must(store::open_database(opts), "open");
    if (!store::migrate(*db)) std::abort();
    directory = std::make_unique<identity::Directory>(*db, clock, audit, passwords);
    apps = std::make_unique<oauth::AppService>(*db, clock, audit, hasher);
    server =
        std::make_unique<oauth::AuthorizationServer>(*db, clock, audit, hasher, *apps, *directory);
    auto op = identity::Actor::operator_cli();
    auto org = must(directory->create_partner_org({"Bench Partner", false}, op), "org");
    auto dev = must(
        directory->create_user({"dev@bench.example", "Dev", "correct horse battery"}, op), "dev");
    auto admin =
        must(directory->create_user({"admin@bench.example", "Admin", "correct horse battery"}, op),
             "admin");
    admin_id = admin.id;
    account_id = must(directory->create_account(
                          {"Bench Sandbox", identity::Environment::sandbox, std::nullopt}, op),
                      "acc")
                     .id;
    must(
        directory->grant_partner_role(org.id, dev.id, identity::PartnerRole::partner_developer, op),
        "role");
    must(directory->grant_account_role(account_id, admin_id, identity::AccountRole::admin, op),
         "role");
    oauth::NewApp in;
    in.name = "Bench App";
    in.redirect_uris = {redirect};
    in.scopes = {"account:read", "offline_access"};
    in.partner_org_id = org.id;
    app = must(apps->create(must(directory->load_principal(dev.id), "p"), in, {}), "app");
  }
  ~World() {
    server.reset();
    apps.reset();
    directory.reset();
    db.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }

  oauth::ClientCredentials credentials() const {
    return {app.app.client_id, app.client_secret, "client_secret_basic"};
  }

  // A fresh connection (code + exchange): its tokens.
  oauth::TokenResponse connect() {
    std::lock_guard lock(setup_mutex);
    oauth::AuthorizeParams p;
    p.query = {{"response_type", {"code"}},
               {"client_id", {app.app.client_id}},
               {"redirect_uri", {redirect}},
               {"scope", {"account:read offline_access"}},
               {"code_challenge", {oauth::detail::s256_challenge(verifier)}},
               {"code_challenge_method", {"S256"}}};
    auto req = server->check_authorize(p);
    if (!req) std::abort();
    auto principal = must(directory->load_principal(admin_id), "principal");
    auto url = must(server->approve(principal, *req, account_id, {}), "approve");
    auto pos = url.find("code=") + 5;
    oauth::TokenRequest t;
    t.grant_type = "authorization_code";
    t.code = url.substr(pos, url.find('&', pos) - pos);
    t.redirect_uri = redirect;
    t.code_verifier = verifier;
    t.client = credentials();
    return must(server->token(t, {}), "exchange");
  }
};

World& world() {
  static World w;
  return w;
}

void BM_RefreshGrant(benchmark::State& state) {
  World& w = world();
  auto tokens = w.connect();
  oauth::TokenRequest r;
  r.grant_type = "refresh_token";
  r.client = w.credentials();
  r.refresh_token = tokens.refresh_token;
  for (auto _ : state) {
    auto next = w.server->token(r, {});
    if (!next) {
      state.SkipWithError(next.error().detail().c_str());
      break;
    }
    r.refresh_token = std::move(next->refresh_token);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RefreshGrant)->Threads(1)->Threads(2)->UseRealTime()->MinTime(2.0);

void BM_VerifyBearer(benchmark::State& state) {
  World& w = world();
  auto tokens = w.connect();
  for (auto _ : state) {
    auto ctx = w.server->verify_bearer(tokens.access_token, "account:read");
    if (!ctx) {
      state.SkipWithError(ctx.error().detail().c_str());
      break;
    }
    benchmark::DoNotOptimize(ctx->grant_id);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_VerifyBearer)->Threads(1)->Threads(2)->UseRealTime()->MinTime(2.0);

}  // namespace

BENCHMARK_MAIN();
