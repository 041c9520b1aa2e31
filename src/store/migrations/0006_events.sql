-- Domain events (issue 4 §4): one row per envelope or recipient transition, written in the same
-- transaction as the change. They are the envelope's event history (GET /v1/envelopes/{id}/events)
-- and the source of webhook deliveries (a `webhook.fanout` job is enqueued with each public
-- event). Owned by src/events; rows are never updated.
CREATE TABLE domain_events (
  seq          {{AUTOINCREMENT_PK}},
  id           TEXT NOT NULL UNIQUE,      -- evt_...
  type         TEXT NOT NULL,             -- envelope.sent, recipient.completed, envelope.created, ...
  account_id   TEXT NOT NULL,
  envelope_id  TEXT NOT NULL,
  recipient_id TEXT,
  actor_type   TEXT NOT NULL,             -- app | user | signer | system
  actor_id     TEXT NOT NULL,
  ip           TEXT NOT NULL,
  user_agent   TEXT NOT NULL,
  data         TEXT NOT NULL,             -- JSON object (envelope summary, reasons, ...)
  occurred_at  BIGINT NOT NULL
);
CREATE INDEX domain_events_envelope ON domain_events (account_id, envelope_id, seq);
