-- eSignature (issue 4 §1, §2): envelopes with their documents, recipients and fields, the
-- signing links of the ceremony, one-time embedded views, and the Idempotency-Key store of the
-- creating POSTs. Owned by src/esign (idempotency_keys by src/web/idempotency).
--
-- Signing-link and embedded-view tokens are stored ONLY as HMAC-SHA256 hashes (64 hex).
-- Document bytes live in the content-addressed blob store; rows keep the SHA-256.

CREATE TABLE envelopes (
  id             TEXT PRIMARY KEY,          -- env_...
  account_id     TEXT NOT NULL,
  sender_user_id TEXT NOT NULL,
  app_id         TEXT,                      -- the app whose token created it (NULL: console/demo)
  status         TEXT NOT NULL CHECK (status IN ('created', 'sent', 'delivered', 'completed',
                                                 'declined', 'voided', 'expired')),
  email_subject  TEXT NOT NULL,
  email_message  TEXT NOT NULL,
  expires_at     BIGINT,                    -- set at send at the latest (default: sent + 120 days)
  status_reason  TEXT,                      -- the decline or void reason
  -- Bumped by every change; transitions are conditional UPDATEs on it, so two signers finishing
  -- at once on PostgreSQL cannot both think they were last (SQLite serialises anyway).
  version        BIGINT NOT NULL,
  created_at     BIGINT NOT NULL,
  updated_at     BIGINT NOT NULL,
  sent_at        BIGINT,
  delivered_at   BIGINT,
  completed_at   BIGINT,
  finished_at    BIGINT                     -- declined, voided or expired
);
-- The list filters: by account, ordered by (updated_at, id); status and created ranges too.
CREATE INDEX envelopes_account_updated ON envelopes (account_id, updated_at, id);
CREATE INDEX envelopes_account_status ON envelopes (account_id, status, updated_at, id);
CREATE INDEX envelopes_account_created ON envelopes (account_id, created_at);

CREATE TABLE envelope_documents (
  id           TEXT PRIMARY KEY,            -- doc_...
  envelope_id  TEXT NOT NULL REFERENCES envelopes (id),
  position     BIGINT NOT NULL,
  ref          TEXT NOT NULL,               -- the creator's key for the document
  name         TEXT NOT NULL,
  sha256       TEXT NOT NULL,
  size_bytes   BIGINT NOT NULL,
  page_count   BIGINT NOT NULL,
  pages        TEXT NOT NULL,               -- JSON [[width, height], ...] in points, as displayed
  created_at   BIGINT NOT NULL
);
CREATE INDEX envelope_documents_envelope ON envelope_documents (envelope_id, position);

CREATE TABLE envelope_recipients (
  id                     TEXT PRIMARY KEY,  -- rcp_...
  envelope_id            TEXT NOT NULL REFERENCES envelopes (id),
  position               BIGINT NOT NULL,
  ref                    TEXT NOT NULL,     -- the creator's key for the recipient
  type                   TEXT NOT NULL CHECK (type IN ('signer', 'cc')),
  name                   TEXT NOT NULL,
  email                  TEXT NOT NULL,
  routing_order          BIGINT NOT NULL,
  client_user_id         TEXT,
  status                 TEXT NOT NULL CHECK (status IN ('created', 'sent', 'delivered', 'completed',
                                                         'declined')),
  sent_at                BIGINT,
  delivered_at           BIGINT,
  delivered_ip           TEXT,
  delivered_user_agent   TEXT,
  disclosure_accepted_at BIGINT,
  disclosure_ip          TEXT,
  disclosure_user_agent  TEXT,
  completed_at           BIGINT,            -- signed (or, for a cc, the envelope completed)
  declined_at            BIGINT,
  decline_reason         TEXT,
  acted_ip               TEXT,              -- finish or decline
  acted_user_agent       TEXT,
  signature_kind         TEXT,              -- typed | drawn
  signature_text         TEXT,              -- the typed name
  signature_sha256       TEXT,              -- the drawn PNG in the blob store
  initials               TEXT
);
CREATE INDEX envelope_recipients_envelope ON envelope_recipients (envelope_id, position);

CREATE TABLE envelope_fields (
  id            TEXT PRIMARY KEY,           -- fld_...
  envelope_id   TEXT NOT NULL REFERENCES envelopes (id),
  document_id   TEXT NOT NULL REFERENCES envelope_documents (id),
  recipient_id  TEXT NOT NULL REFERENCES envelope_recipients (id),
  position      BIGINT NOT NULL,
  type          TEXT NOT NULL,
  page          BIGINT NOT NULL,
  x             DOUBLE PRECISION NOT NULL,  -- points from the displayed page's top-left corner
  y             DOUBLE PRECISION NOT NULL,
  width         DOUBLE PRECISION NOT NULL,
  height        DOUBLE PRECISION NOT NULL,
  required      BIGINT NOT NULL,
  value         TEXT,
  completed_at  BIGINT
);
CREATE INDEX envelope_fields_envelope ON envelope_fields (envelope_id, recipient_id, position);

-- /sign/{token}: one emailed link per recipient and notification (a resend mints a new one,
-- since only hashes are kept), plus the short-lived links minted when an embedded view is
-- redeemed. expires_at NULL: expires with the envelope.
CREATE TABLE signing_links (
  id           TEXT PRIMARY KEY,            -- sgl_...
  envelope_id  TEXT NOT NULL REFERENCES envelopes (id),
  recipient_id TEXT NOT NULL REFERENCES envelope_recipients (id),
  token_hash   TEXT NOT NULL UNIQUE,
  kind         TEXT NOT NULL CHECK (kind IN ('email', 'embedded')),
  expires_at   BIGINT,
  created_at   BIGINT NOT NULL
);
CREATE INDEX signing_links_recipient ON signing_links (recipient_id);

-- POST /v1/envelopes/{id}/views/recipient: one-time, 5 minutes.
CREATE TABLE embedded_views (
  id           TEXT PRIMARY KEY,            -- evw_...
  envelope_id  TEXT NOT NULL REFERENCES envelopes (id),
  recipient_id TEXT NOT NULL REFERENCES envelope_recipients (id),
  token_hash   TEXT NOT NULL UNIQUE,
  return_url   TEXT NOT NULL,
  expires_at   BIGINT NOT NULL,
  used_at      BIGINT,
  created_at   BIGINT NOT NULL
);

-- Idempotency-Key (src/web/idempotency.hpp): the first response of a creating POST per caller
-- scope and key, kept 24 h.
CREATE TABLE idempotency_keys (
  scope             TEXT NOT NULL,
  idem_key          TEXT NOT NULL,
  request_hash      TEXT NOT NULL,          -- SHA-256 of method, route and body
  state             TEXT NOT NULL CHECK (state IN ('in_flight', 'done')),
  response_status   BIGINT,
  content_type      TEXT,
  response_body     TEXT,
  created_at        BIGINT NOT NULL,
  PRIMARY KEY (scope, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
