#include "events/webhook_repository.hpp"

#include <nlohmann/json.hpp>

#include "store/params.hpp"

namespace cs::events::detail {

namespace {

constexpr std::string_view kSubscriptionColumns =
    "id, account_id, app_id, url, events, description, enabled, disabled_reason, previous_secret_expires_at, "
    "created_by_user_id, created_at, updated_at";

constexpr std::string_view kDeliveryColumns =
    "id, subscription_id, event_id, event_type, status, automatic_attempts, next_attempt_at, last_attempt_at, "
    "last_status_code, last_error, created_at, updated_at";

std::vector<std::string> events_from_text(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  std::vector<std::string> out;
  if (!j.is_array()) return out;
  for (const auto& v : j) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

Subscription subscription_from_row(const store::Row& r) {
  Subscription s;
  s.id = r.text(0);
  s.account_id = r.text(1);
  s.app_id = r.text(2);
  s.url = r.text(3);
  s.events = events_from_text(r.text(4));
  s.description = r.text(5);
  s.enabled = r.int64(6) != 0;
  s.disabled_reason = r.opt_text(7);
  s.previous_secret_expires_at = r.opt_int64(8);
  s.created_by_user_id = r.text(9);
  s.created_at = r.int64(10);
  s.updated_at = r.int64(11);
  return s;
}

Delivery delivery_from_row(const store::Row& r) {
  Delivery d;
  d.id = r.text(0);
  d.subscription_id = r.text(1);
  d.event_id = r.text(2);
  d.event_type = r.text(3);
  d.status = r.text(4);
  d.automatic_attempts = r.int64(5);
  d.next_attempt_at = r.opt_int64(6);
  d.last_attempt_at = r.opt_int64(7);
  d.last_status_code = r.opt_int64(8);
  d.last_error = r.opt_text(9);
  d.created_at = r.int64(10);
  d.updated_at = r.int64(11);
  return d;
}

// Fills each delivery's attempts with one query for the whole page.
Status load_attempts(store::Connection& conn, std::vector<Delivery>& deliveries) {
  if (deliveries.empty()) return {};
  std::string sql =
      "SELECT delivery_id, kind, attempted_at, status_code, latency_ms, error, response_body FROM webhook_attempts "
      "WHERE delivery_id IN (";
  std::vector<store::Value> p;
  for (std::size_t i = 0; i < deliveries.size(); ++i) {
    sql += (i ? ", $" : "$") + std::to_string(i + 1);
    p.emplace_back(deliveries[i].id);
  }
  sql += ") ORDER BY seq";
  auto rows = CS_TRY(conn.query(sql, p));
  for (const auto& r : rows) {
    DeliveryAttempt a{r.text(1), r.int64(2), r.opt_int64(3), r.int64(4), r.opt_text(5), r.text(6)};
    for (auto& d : deliveries) {
      if (d.id == r.text(0)) d.attempts.push_back(std::move(a));
    }
  }
  return {};
}

}  // namespace

std::string events_to_text(const std::vector<std::string>& events) { return nlohmann::json(events).dump(); }

Result<std::optional<Subscription>> find_subscription(store::Connection& conn, std::string_view id,
                                                      const std::optional<Tenant>& tenant) {
  std::string sql = "SELECT " + std::string(kSubscriptionColumns) + " FROM webhook_subscriptions WHERE id = $1";
  std::optional<store::Row> row;
  if (tenant) {
    sql += " AND account_id = $2 AND app_id = $3";
    row = CS_TRY(conn.query_one(sql, store::params(id, tenant->account_id, tenant->app_id)));
  } else {
    row = CS_TRY(conn.query_one(sql, store::params(id)));
  }
  if (!row) return std::optional<Subscription>();
  return std::optional<Subscription>(subscription_from_row(*row));
}

Result<std::vector<Subscription>> list_subscriptions(store::Connection& conn, const Tenant& tenant) {
  auto rows = CS_TRY(conn.query("SELECT " + std::string(kSubscriptionColumns) +
                                    " FROM webhook_subscriptions WHERE account_id = $1 AND app_id = $2 "
                                    "ORDER BY created_at, id",
                                store::params(tenant.account_id, tenant.app_id)));
  std::vector<Subscription> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(subscription_from_row(r));
  return out;
}

Result<std::int64_t> count_subscriptions(store::Connection& conn, const Tenant& tenant) {
  auto row = CS_TRY(conn.query_one("SELECT count(*) FROM webhook_subscriptions WHERE account_id = $1 AND app_id = $2",
                                   store::params(tenant.account_id, tenant.app_id)));
  return row ? row->int64(0) : 0;
}

Result<std::optional<StoredSecrets>> find_secrets(store::Connection& conn, std::string_view subscription_id) {
  auto row = CS_TRY(conn.query_one(
      "SELECT secret, previous_secret, previous_secret_expires_at FROM webhook_subscriptions WHERE id = $1",
      store::params(subscription_id)));
  if (!row) return std::optional<StoredSecrets>();
  return std::optional<StoredSecrets>(StoredSecrets{row->text(0), row->opt_text(1), row->opt_int64(2)});
}

Result<std::optional<Delivery>> find_delivery(store::Connection& conn, std::string_view subscription_id,
                                              std::string_view delivery_id) {
  auto row = CS_TRY(conn.query_one("SELECT " + std::string(kDeliveryColumns) +
                                       " FROM webhook_deliveries WHERE id = $1 AND subscription_id = $2",
                                   store::params(delivery_id, subscription_id)));
  if (!row) return std::optional<Delivery>();
  std::vector<Delivery> one{delivery_from_row(*row)};
  CS_CHECK(load_attempts(conn, one));
  return std::optional<Delivery>(std::move(one.front()));
}

Result<std::optional<DeliveryWork>> find_delivery_work(store::Connection& conn, std::string_view delivery_id) {
  auto row = CS_TRY(conn.query_one("SELECT " + std::string(kDeliveryColumns) +
                                       ", payload, next_job_id FROM webhook_deliveries WHERE id = $1",
                                   store::params(delivery_id)));
  if (!row) return std::optional<DeliveryWork>();
  return std::optional<DeliveryWork>(DeliveryWork{delivery_from_row(*row), row->text(12), row->opt_text(13)});
}

Result<DeliveryPage> list_deliveries(store::Connection& conn, std::string_view subscription_id,
                                     const DeliveryQuery& query) {
  // Keyset pagination on seq, newest first: stable while new deliveries arrive.
  std::vector<store::Value> p{std::string(subscription_id)};
  std::string sql = "SELECT " + std::string(kDeliveryColumns) + " FROM webhook_deliveries WHERE subscription_id = $1";
  if (query.cursor) {
    auto at = CS_TRY(conn.query_one("SELECT seq FROM webhook_deliveries WHERE id = $1 AND subscription_id = $2",
                                    store::params(*query.cursor, subscription_id)));
    if (!at) return fail(Error(Errc::invalid_request, "The cursor is not valid").with_field("cursor"));
    p.emplace_back(at->int64(0));
    sql += " AND seq < $" + std::to_string(p.size());
  }
  if (query.status) {
    p.emplace_back(*query.status);
    sql += " AND status = $" + std::to_string(p.size());
  }
  p.emplace_back(std::int64_t{query.limit + 1});
  sql += " ORDER BY seq DESC LIMIT $" + std::to_string(p.size());
  auto rows = CS_TRY(conn.query(sql, p));
  DeliveryPage page;
  for (const auto& r : rows) {
    if (page.items.size() == static_cast<std::size_t>(query.limit)) {
      page.next_cursor = page.items.back().id;
      break;
    }
    page.items.push_back(delivery_from_row(r));
  }
  CS_CHECK(load_attempts(conn, page.items));
  return page;
}

Status insert_attempt(store::Connection& conn, std::string_view delivery_id, const DeliveryAttempt& a) {
  CS_TRY(conn.exec("INSERT INTO webhook_attempts (delivery_id, kind, attempted_at, status_code, latency_ms, error, "
                   "response_body) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                   store::params(delivery_id, a.kind, a.attempted_at, a.status_code, a.latency_ms, a.error,
                                 a.response_body)));
  return {};
}

}  // namespace cs::events::detail
