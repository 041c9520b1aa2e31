#include "store/job_queue.hpp"

#include <sodium.h>

#include <algorithm>

#include "core/ids.hpp"

namespace cs::store {
namespace {

constexpr std::string_view kColumns =
    "id, kind, payload, state, attempts, max_attempts, run_at, lease_owner, lease_until, "
    "last_error, "
    "created_at, updated_at";
constexpr Micros kBackoffBase = 2 * kMicrosPerSecond;
constexpr Micros kBackoffCap = 3600 * kMicrosPerSecond;
constexpr std::size_t kMaxErrorLength = 2000;

JobState parse_state(const std::string& s) {
  if (s == "queued") return JobState::queued;
  if (s == "running") return JobState::running;
  if (s == "done") return JobState::done;
  return JobState::dead;
}

Job from_row(const Row& r) {
  Job j;
  j.id = r.text(0);
  j.kind = r.text(1);
  j.payload = r.text(2);
  j.state = parse_state(r.text(3));
  j.attempts = static_cast<int>(r.int64(4));
  j.max_attempts = static_cast<int>(r.int64(5));
  j.run_at = r.int64(6);
  j.lease_owner = r.opt_text(7);
  j.lease_until = r.opt_int64(8);
  j.last_error = r.opt_text(9);
  j.created_at = r.int64(10);
  j.updated_at = r.int64(11);
  return j;
}

std::string claim_sql(Backend backend, std::size_t kind_count) {
  std::string sql =
      "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_owner = $1, "
      "lease_until = $2, updated_at = $3 WHERE id = (SELECT id FROM jobs WHERE "
      "((state = 'queued' AND run_at <= $3) OR (state = 'running' AND lease_until < $3))";
  if (kind_count > 0) {
    sql += " AND kind IN (";
    for (std::size_t i = 0; i < kind_count; ++i) sql += (i ? ", $" : "$") + std::to_string(4 + i);
    sql += ")";
  }
  sql += " ORDER BY run_at LIMIT 1";
  // SKIP LOCKED: concurrent claimers pass over a row another one is taking instead of queueing
  // behind it. SQLite has no row locks; BEGIN IMMEDIATE serialises claimers there.
  if (backend == Backend::postgres) sql += " FOR UPDATE SKIP LOCKED";
  sql += ") RETURNING ";
  sql += kColumns;
  return sql;
}

constexpr std::string_view kLeaseExpiredError =
    "the lease of the last attempt expired: the worker crashed or the job ran too long";

std::string truncate_error(std::string_view e) { return std::string(e.substr(0, kMaxErrorLength)); }

}  // namespace

std::string_view to_string(JobState s) {
  switch (s) {
    case JobState::queued:
      return "queued";
    case JobState::running:
      return "running";
    case JobState::done:
      return "done";
    case JobState::dead:
      return "dead";
  }
  return "dead";
}

const Clock& system_clock() {
  static const SystemClock clock;
  return clock;
}

Result<std::string> enqueue(Connection& conn, const NewJob& job, const Clock& clock) {
  if (job.kind.empty() || job.max_attempts < 1) {
    return cs::fail(Errc::internal, "could not schedule background work",
                    "enqueue: empty kind or max_attempts < 1");
  }
  Micros now = clock.now();
  std::string id = new_id("job");
  Value p[] = {id, job.kind, job.payload, std::int64_t{job.max_attempts}, job.run_at.value_or(now),
               now};
  CS_TRY(
      conn.exec("INSERT INTO jobs (id, kind, payload, state, attempts, max_attempts, run_at, "
                "created_at, updated_at) "
                "VALUES ($1, $2, $3, 'queued', 0, $4, $5, $6, $6)",
                p));
  return id;
}

Result<std::optional<Job>> claim(Database& db, std::string_view worker_id, Micros lease,
                                 const std::vector<std::string>& kinds, const Clock& clock) {
  Micros now = clock.now();
  std::vector<Value> params = {std::string(worker_id), now + lease, now};
  for (const auto& k : kinds) params.emplace_back(k);
  std::string sql = claim_sql(db.backend(), kinds.size());
  return transact(db, [&](Connection& c) -> Result<std::optional<Job>> {
    // A job whose worker crashed or hung through its last attempt is dead, not retried forever.
    Value expire[] = {now, std::string(kLeaseExpiredError)};
    CS_TRY(c.exec("UPDATE jobs SET state = 'dead', lease_owner = NULL, lease_until = NULL, "
                  "last_error = $2, updated_at = $1 "
                  "WHERE state = 'running' AND lease_until < $1 AND attempts >= max_attempts",
                  expire));
    auto row = CS_TRY(c.query_one(sql, params));
    if (!row) return std::optional<Job>();
    return std::optional<Job>(from_row(*row));
  });
}

Status complete(Database& db, const Job& job, const Clock& clock) {
  auto conn = CS_TRY(db.connect());
  Value p[] = {job.id, clock.now(), job.lease_owner.value_or(""), std::int64_t{job.attempts}};
  // The lease owner and attempt number fence out a worker whose lease expired meanwhile.
  auto n = CS_TRY(conn->exec(
      "UPDATE jobs SET state = 'done', lease_owner = NULL, lease_until = NULL, updated_at = $2 "
      "WHERE id = $1 AND state = 'running' AND lease_owner = $3 AND attempts = $4",
      p));
  if (n != 1) return cs::fail(Errc::conflict, "the job was taken over", "lease lost for " + job.id);
  return {};
}

Micros backoff_delay(int attempts) {
  int exp = std::clamp(attempts - 1, 0, 30);
  Micros base = std::min(kBackoffCap, kBackoffBase << exp);
  // Jitter in [-10 %, +10 %].
  Micros span = base / 5;
  Micros jitter = span > 0 ? static_cast<Micros>(randombytes_uniform(static_cast<std::uint32_t>(
                                 std::min<Micros>(span + 1, 0xffffffff)))) -
                                 span / 2
                           : 0;
  return base + jitter;
}

Status fail(Database& db, const Job& job, std::string_view error, const Clock& clock) {
  auto conn = CS_TRY(db.connect());
  Micros now = clock.now();
  bool dead = job.attempts >= job.max_attempts;
  Value p[] = {job.id,
               std::string(dead ? "dead" : "queued"),
               dead ? now : now + backoff_delay(job.attempts),
               truncate_error(error),
               now,
               job.lease_owner.value_or(""),
               std::int64_t{job.attempts}};
  auto n = CS_TRY(conn->exec(
      "UPDATE jobs SET state = $2, run_at = $3, last_error = $4, lease_owner = NULL, lease_until = "
      "NULL, "
      "updated_at = $5 WHERE id = $1 AND state = 'running' AND lease_owner = $6 AND attempts = $7",
      p));
  if (n != 1) return cs::fail(Errc::conflict, "the job was taken over", "lease lost for " + job.id);
  return {};
}

Result<std::vector<Job>> list_dead(Database& db, int limit) {
  auto conn = CS_TRY(db.connect());
  Value p[] = {std::int64_t{limit}};
  auto rows = CS_TRY(
      conn->query("SELECT " + std::string(kColumns) +
                      " FROM jobs WHERE state = 'dead' ORDER BY updated_at DESC, id LIMIT $1",
                  p));
  std::vector<Job> out;
  out.reserve(rows.size());
  for (const Row& r : rows) out.push_back(from_row(r));
  return out;
}

Status retry_dead(Database& db, std::string_view id, const Clock& clock) {
  auto conn = CS_TRY(db.connect());
  Micros now = clock.now();
  Value p[] = {std::string(id), now};
  auto n = CS_TRY(
      conn->exec("UPDATE jobs SET state = 'queued', attempts = 0, run_at = $2, updated_at = $2 "
                 "WHERE id = $1 AND state = 'dead'",
                 p));
  if (n != 1) return cs::fail(Errc::not_found, "no dead job with that id");
  return {};
}

Result<std::optional<Job>> find_job(Database& db, std::string_view id) {
  auto conn = CS_TRY(db.connect());
  Value p[] = {std::string(id)};
  auto row =
      CS_TRY(conn->query_one("SELECT " + std::string(kColumns) + " FROM jobs WHERE id = $1", p));
  if (!row) return std::optional<Job>();
  return std::optional<Job>(from_row(*row));
}

Result<QueueStats> stats(Database& db) {
  auto conn = CS_TRY(db.connect());
  auto rows = CS_TRY(conn->query("SELECT state, count(*) FROM jobs GROUP BY state"));
  QueueStats s;
  for (const Row& r : rows) {
    switch (parse_state(r.text(0))) {
      case JobState::queued:
        s.queued = r.int64(1);
        break;
      case JobState::running:
        s.running = r.int64(1);
        break;
      case JobState::done:
        s.done = r.int64(1);
        break;
      case JobState::dead:
        s.dead = r.int64(1);
        break;
    }
  }
  return s;
}

Result<std::int64_t> purge_done(Database& db, Micros finished_before) {
  auto conn = CS_TRY(db.connect());
  Value p[] = {finished_before};
  return conn->exec("DELETE FROM jobs WHERE state = 'done' AND updated_at < $1", p);
}

}  // namespace cs::store
