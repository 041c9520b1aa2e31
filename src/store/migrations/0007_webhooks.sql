-- Signed webhooks (issue 4 §4): subscriptions per account and app, one delivery per (event,
-- subscription), and every attempt of every delivery. Owned by src/events.
--
-- `secret` and `previous_secret` hold FieldCipher ciphertexts (associated data binds them to
-- this table, the column and the row id); the plaintext `whsec_...` is shown once and never
-- stored. The previous secret keeps signing alongside the new one until
-- previous_secret_expires_at (24 h after a rotation).
CREATE TABLE webhook_subscriptions (
  id                         TEXT PRIMARY KEY,               -- whk_...
  account_id                 TEXT NOT NULL REFERENCES accounts (id),
  app_id                     TEXT NOT NULL REFERENCES apps (id),
  url                        TEXT NOT NULL,
  events                     TEXT NOT NULL,                  -- JSON array of types, or ["*"]
  description                TEXT NOT NULL,
  enabled                    BIGINT NOT NULL,                -- 0/1
  disabled_reason            TEXT,                           -- 'deliveries_failing' | 'by_request'
  secret                     TEXT NOT NULL,
  previous_secret            TEXT,
  previous_secret_expires_at BIGINT,
  created_by_user_id         TEXT NOT NULL,                  -- told by email when auto-disabled
  created_by_email           TEXT NOT NULL,
  created_at                 BIGINT NOT NULL,
  updated_at                 BIGINT NOT NULL
);
CREATE INDEX webhook_subscriptions_owner ON webhook_subscriptions (account_id, app_id, created_at);

-- The delivery id is the Standard Webhooks `webhook-id` (msg_...): stable across retries so
-- receivers can deduplicate. The payload is fixed at fan-out, so every attempt signs the same
-- bytes. UNIQUE (subscription_id, event_id) makes a repeated fan-out job harmless.
CREATE TABLE webhook_deliveries (
  seq                {{AUTOINCREMENT_PK}},
  id                 TEXT NOT NULL UNIQUE,
  subscription_id    TEXT NOT NULL,
  account_id         TEXT NOT NULL,
  event_id           TEXT NOT NULL,
  event_type         TEXT NOT NULL,
  payload            TEXT NOT NULL,
  status             TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
  automatic_attempts BIGINT NOT NULL,                        -- position in the retry schedule
  next_attempt_at    BIGINT,
  next_job_id        TEXT,                                   -- only this job may attempt next
  last_attempt_at    BIGINT,
  last_status_code   BIGINT,
  last_error         TEXT,
  created_at         BIGINT NOT NULL,
  updated_at         BIGINT NOT NULL,
  UNIQUE (subscription_id, event_id)
);
CREATE INDEX webhook_deliveries_subscription ON webhook_deliveries (subscription_id, seq);

CREATE TABLE webhook_attempts (
  seq           {{AUTOINCREMENT_PK}},
  delivery_id   TEXT NOT NULL,
  kind          TEXT NOT NULL CHECK (kind IN ('automatic', 'manual')),
  attempted_at  BIGINT NOT NULL,
  status_code   BIGINT,                                      -- null: no HTTP response
  latency_ms    BIGINT NOT NULL,
  error         TEXT,                                        -- null on success
  response_body TEXT NOT NULL                                -- first 4 KiB, UTF-8 made safe
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, seq);
