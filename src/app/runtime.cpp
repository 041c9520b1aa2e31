#include "app/runtime.hpp"

#include <filesystem>
#include <system_error>

#include "crypto/primitives.hpp"
#include "store/migrations.hpp"

namespace cs::app {

crypto::PasswordParams password_params(const Config& config) {
  return config.password_profile == "minimal" ? crypto::PasswordParams::minimal()
                                              : crypto::PasswordParams::interactive();
}

Runtime::Runtime(Config cfg, crypto::KeyRing ring, std::unique_ptr<store::Database> database)
    : config(std::move(cfg)),
      keys(std::move(ring)),
      db(std::move(database)),
      blobs(config.data_dir / "blobs", static_cast<std::uint64_t>(config.blob_max_bytes)),
      passwords(password_params(config)),
      cipher(keys),
      audit(clock),
      directory(*db, clock, audit, passwords),
      sessions(*db, clock, keys.token_hash_key()),
      auth(*db, clock, audit, passwords, sessions),
      tokens(keys),
      apps(*db, clock, audit, tokens),
      authz(*db, clock, audit, tokens, apps, directory) {}

Result<std::unique_ptr<Runtime>> open_runtime(const Config& config) {
  crypto::init();
  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec) {
    return fail(Errc::internal, "cannot create the data directory " + config.data_dir.string() + ": " + ec.message());
  }
  std::filesystem::permissions(config.data_dir, std::filesystem::perms::owner_all, ec);  // 0700

  auto keys = config.master_keys.empty() ? crypto::KeyRing::load_or_create(config.effective_key_file())
                                         : crypto::KeyRing::from_value(config.master_keys);
  if (!keys) return fail(keys.error());

  store::DatabaseOptions options;
  options.url = config.effective_database_url();
  options.pool_size = config.database_pool_size;
  auto db = store::open_database(options);
  if (!db) return fail(db.error());
  CS_CHECK(store::migrate(**db));
  return std::make_unique<Runtime>(config, std::move(*keys), std::move(*db));
}

}  // namespace cs::app
