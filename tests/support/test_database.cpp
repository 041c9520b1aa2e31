#include "support/test_database.hpp"

#include <stdexcept>

#include "store/migrations.hpp"

namespace cs::testing {

std::string backend_name(store::Backend backend) {
  return backend == store::Backend::sqlite ? "sqlite" : "postgres";
}

TestDatabase make_test_database(store::Backend backend, bool migrate) {
  TestDatabase t;
  t.backend = backend;
  if (backend == store::Backend::sqlite) {
    t.dir = std::make_unique<TempDir>();
    t.url = "sqlite://" + (t.dir->path() / "test.db").string();
  } else {
    t.url = PgCluster::shared().create_fresh_database();
  }
  auto db = store::open_database({.url = t.url, .pool_size = 8, .busy_timeout_ms = 10000});
  if (!db) throw std::runtime_error("open_database(" + t.url + "): " + db.error().detail());
  t.db = std::move(*db);
  if (migrate) {
    auto st = store::migrate(*t.db);
    if (!st) throw std::runtime_error("migrate: " + st.error().detail());
  }
  return t;
}

void BothBackends::SetUp() { test_db_ = make_test_database(GetParam(), migrate_on_setup()); }

void BothBackends::TearDown() {
  test_db_.db.reset();  // close connections before the SQLite directory goes away
  test_db_.dir.reset();
}

store::ConnectionLease BothBackends::lease() {
  auto c = db().connect();
  if (!c) throw std::runtime_error("connect: " + c.error().detail());
  return std::move(*c);
}

std::unique_ptr<store::Database> BothBackends::open_another(int pool_size) {
  auto db = store::open_database({.url = url(), .pool_size = pool_size, .busy_timeout_ms = 10000});
  if (!db) throw std::runtime_error("open_database(" + url() + "): " + db.error().detail());
  return std::move(*db);
}

}  // namespace cs::testing
