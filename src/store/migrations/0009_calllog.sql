-- The API call log, rate limits and trace capture (issue 5). Owned by src/calllog.
--
-- api_calls is append-only and written in batches by calllog::Recorder. On PostgreSQL it is
-- range-partitioned by day on `at` (µs since the epoch): maintenance creates the partitions a
-- few days ahead and retention drops whole partitions; rows outside every daily partition land
-- in the default partition and are deleted row by row. On SQLite retention deletes rows.
-- No primary key: nothing updates a call, and a unique index would only slow ingest down;
-- (at, id) orders calls and makes cursors unique (ids are random call_...).
CREATE TABLE api_calls (
  id                TEXT NOT NULL,
  at                BIGINT NOT NULL,
  request_id        TEXT NOT NULL,
  app_id            TEXT NOT NULL,
  app_version_id    TEXT,
  partner_org_id    TEXT,
  account_id        TEXT,
  user_id           TEXT,
  auth              BIGINT NOT NULL,            -- 1: /oauth/* or userinfo (left out of reviews)
  method            TEXT NOT NULL,
  route             TEXT NOT NULL,              -- the template, e.g. /v1/envelopes/{id}
  resource_id       TEXT,                       -- the envelope id of /v1/envelopes/{id}... routes
  status            BIGINT NOT NULL,
  error_code        TEXT,
  latency_us        BIGINT NOT NULL,
  bytes_in          BIGINT NOT NULL,
  bytes_out         BIGINT NOT NULL,
  client_ip         TEXT NOT NULL,
  user_agent        TEXT NOT NULL,
  polling_violation BIGINT NOT NULL             -- 0/1: the polling rule flagged this call
)
--@postgres PARTITION BY RANGE (at)
;
--@postgres CREATE TABLE api_calls_default PARTITION OF api_calls DEFAULT;
-- Every review reads one app's calls in a time range; the resource index serves the polling
-- examples and the resource filter.
CREATE INDEX api_calls_app_at ON api_calls (app_id, at, id);
CREATE INDEX api_calls_app_resource ON api_calls (app_id, resource_id, at);
-- Retention on SQLite.
--@sqlite CREATE INDEX api_calls_at ON api_calls (at);

-- Staff overrides of the configured defaults, per app (PUT /v1/apps/{id}/rate-limits).
CREATE TABLE app_rate_limits (
  app_id           TEXT PRIMARY KEY REFERENCES apps (id),
  hourly           BIGINT NOT NULL,
  burst_production BIGINT NOT NULL,
  burst_sandbox    BIGINT NOT NULL,
  updated_at       BIGINT NOT NULL,
  updated_by       TEXT NOT NULL
);

-- Fixed-window counts shared by the servers of one PostgreSQL deployment: each node adds what
-- it counted since its last sync (one UPSERT per active key and window, once a second) and
-- reads the cluster-wide total back. kind: 'hour' | 'burst'.
CREATE TABLE ratelimit_counters (
  app_id       TEXT NOT NULL,
  account_id   TEXT NOT NULL,
  kind         TEXT NOT NULL,
  window_start BIGINT NOT NULL,
  count        BIGINT NOT NULL,
  PRIMARY KEY (app_id, account_id, kind, window_start)
);
CREATE INDEX ratelimit_counters_window ON ratelimit_counters (window_start);

-- Trace capture (issue 5 §3): a partner turns it on for an app for a while and a number of
-- requests; every captured exchange keeps its (redacted) headers and bodies.
CREATE TABLE trace_captures (
  id             TEXT PRIMARY KEY,              -- trc_...
  app_id         TEXT NOT NULL REFERENCES apps (id),
  partner_org_id TEXT NOT NULL,
  created_by     TEXT NOT NULL,                 -- user id
  started_at     BIGINT NOT NULL,
  expires_at     BIGINT NOT NULL,
  max_requests   BIGINT NOT NULL,
  captured       BIGINT NOT NULL,
  stopped_at     BIGINT
);
CREATE INDEX trace_captures_app ON trace_captures (app_id, expires_at);

CREATE TABLE trace_entries (
  id               TEXT PRIMARY KEY,            -- tre_...
  capture_id       TEXT NOT NULL REFERENCES trace_captures (id),
  seq              BIGINT NOT NULL,
  at               BIGINT NOT NULL,
  request_id       TEXT NOT NULL,
  method           TEXT NOT NULL,
  url              TEXT NOT NULL,               -- path and (redacted) query
  status           BIGINT NOT NULL,
  latency_us       BIGINT NOT NULL,
  request_headers  TEXT NOT NULL,               -- JSON [[name, value], ...], redacted
  request_body     TEXT NOT NULL,               -- redacted, at most 256 KB plus a marker
  response_headers TEXT NOT NULL,
  response_body    TEXT NOT NULL,
  UNIQUE (capture_id, seq)
);
