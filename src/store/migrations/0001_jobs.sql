-- The durable job queue, also called the outbox (DESIGN.md "Durable jobs"). A job is inserted
-- in the same transaction as the change that causes it. Times are microseconds since the epoch.
CREATE TABLE jobs (
  id           TEXT PRIMARY KEY,
  kind         TEXT NOT NULL,
  payload      TEXT NOT NULL,
  state        TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'dead')),
  attempts     BIGINT NOT NULL DEFAULT 0,
  max_attempts BIGINT NOT NULL,
  run_at       BIGINT NOT NULL,
  lease_owner  TEXT,
  lease_until  BIGINT,
  last_error   TEXT,
  created_at   BIGINT NOT NULL,
  updated_at   BIGINT NOT NULL
);

-- Claiming scans queued jobs that are due and running jobs whose lease expired.
CREATE INDEX jobs_state_run_at ON jobs (state, run_at);
