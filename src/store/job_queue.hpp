// The durable job queue, also called the outbox (DESIGN.md "Durable jobs"): webhook delivery,
// email, automated checks and PDF sealing run as rows in `jobs` (migration 0001).
//
// enqueue() writes through the CALLER's connection, so the job commits or rolls back with the
// caller's transaction: a change and the work it causes are never separated by a crash.
// Workers claim() a due job with a lease; a job whose lease expired (crashed worker) is
// claimable again. On PostgreSQL the claim uses FOR UPDATE SKIP LOCKED so several servers can
// share one database.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "store/database.hpp"

namespace cs::store {

// The job API has its own fail(Database&, const Job&, ...); re-exporting cs::fail keeps the
// error helper callable unqualified inside cs::store (both are then one overload set).
using ::cs::fail;

enum class JobState { queued, running, done, dead };
std::string_view to_string(JobState s);

struct NewJob {
  std::string kind;
  std::string payload = "{}";                   // JSON text
  std::optional<Micros> run_at = std::nullopt;  // default: now
  int max_attempts = 8;
};

struct Job {
  std::string id;  // "job_..."
  std::string kind;
  std::string payload;
  JobState state = JobState::queued;
  int attempts = 0;  // claims so far, including the current one
  int max_attempts = 8;
  Micros run_at = 0;
  std::optional<std::string> lease_owner;
  std::optional<Micros> lease_until;
  std::optional<std::string> last_error;
  Micros created_at = 0;
  Micros updated_at = 0;
};

struct QueueStats {
  std::int64_t queued = 0;
  std::int64_t running = 0;
  std::int64_t done = 0;
  std::int64_t dead = 0;
};

// The default clock for callers that do not inject one.
const Clock& system_clock();

// Inserts a job on `conn` (inside the caller's transaction, if any); answers its id.
Result<std::string> enqueue(Connection& conn, const NewJob& job,
                            const Clock& clock = system_clock());

// Claims the job due first (queued and run_at <= now, or running with an expired lease),
// marks it running for `worker_id` until now + lease, and counts the attempt. Empty `kinds`
// means any kind. Answers nullopt when nothing is due.
Result<std::optional<Job>> claim(Database& db, std::string_view worker_id, Micros lease,
                                 const std::vector<std::string>& kinds = {},
                                 const Clock& clock = system_clock());

// Marks a claimed job done. Errc::conflict when the lease was lost (the job was re-claimed by
// another worker after this one's lease expired), so the caller knows its result is not the one
// recorded.
Status complete(Database& db, const Job& job, const Clock& clock = system_clock());

// Records a failed attempt: back to queued with exponential backoff, or dead once the job has
// used max_attempts. Errc::conflict when the lease was lost.
Status fail(Database& db, const Job& job, std::string_view error,
            const Clock& clock = system_clock());

// Delay before the next attempt after `attempts` failed ones: 2 s x 2^(attempts-1), capped at
// one hour, +-10 % jitter so retries of a burst do not stampede together.
Micros backoff_delay(int attempts);

Result<std::vector<Job>> list_dead(Database& db, int limit = 100);
// Puts a dead job back in the queue with a fresh attempt budget. Errc::not_found if there is no
// dead job with that id.
Status retry_dead(Database& db, std::string_view id, const Clock& clock = system_clock());
Result<std::optional<Job>> find_job(Database& db, std::string_view id);
// Deletes jobs that finished (state done) before `finished_before`; dead jobs stay for
// inspection. For the periodic maintenance.
Result<std::int64_t> purge_done(Database& db, Micros finished_before);
Result<QueueStats> stats(Database& db);

}  // namespace cs::store
