-- OAuth 2.0 (issue 3): partner apps and their versions, client secrets, grants (connections),
-- authorization codes and tokens. Owned by src/oauth.
--
-- Codes, tokens and client secrets are stored ONLY as HMAC-SHA256 under the key ring's
-- token-hash key (DESIGN.md "Security baseline"); the *_hash columns hold 64 hex characters.

CREATE TABLE apps (
  id                   TEXT PRIMARY KEY,             -- app_...
  client_id            TEXT NOT NULL UNIQUE,         -- the integration key, ik_...
  partner_org_id       TEXT NOT NULL REFERENCES partner_orgs (id),
  name                 TEXT NOT NULL,
  description          TEXT NOT NULL,
  documentation_url    TEXT NOT NULL,
  support_url          TEXT NOT NULL,
  client_type          TEXT NOT NULL CHECK (client_type IN ('confidential', 'public')),
  status               TEXT NOT NULL CHECK (status IN ('active', 'disabled')),
  -- The newest version, and the version production uses while a newer one is pending
  -- (NULL: never certified). No foreign keys: versions reference their app.
  current_version_id   TEXT NOT NULL,
  certified_version_id TEXT,
  created_at           BIGINT NOT NULL,
  updated_at           BIGINT NOT NULL
);
CREATE INDEX apps_partner_org ON apps (partner_org_id);

CREATE TABLE app_versions (
  id            TEXT PRIMARY KEY,                    -- apv_...
  app_id        TEXT NOT NULL REFERENCES apps (id),
  number        BIGINT NOT NULL,
  scopes        TEXT NOT NULL,                       -- space-separated, sorted
  redirect_uris TEXT NOT NULL,                       -- JSON array of strings
  functions     TEXT NOT NULL,                       -- space-separated, sorted
  certification TEXT NOT NULL CHECK (certification IN ('uncertified', 'in_certification',
                                                       'certified')),
  created_at    BIGINT NOT NULL,
  updated_at    BIGINT NOT NULL,
  UNIQUE (app_id, number)
);

CREATE TABLE app_secrets (
  id           TEXT PRIMARY KEY,                     -- sec_...
  app_id       TEXT NOT NULL REFERENCES apps (id),
  secret_hash  TEXT NOT NULL UNIQUE,
  created_at   BIGINT NOT NULL,
  last_used_at BIGINT,
  revoked_at   BIGINT
);
CREATE INDEX app_secrets_app ON app_secrets (app_id, revoked_at);

-- A connection: a user consented that an app may act on one account.
CREATE TABLE oauth_grants (
  id             TEXT PRIMARY KEY,                   -- grt_...
  app_id         TEXT NOT NULL REFERENCES apps (id),
  user_id        TEXT NOT NULL REFERENCES users (id),
  account_id     TEXT NOT NULL REFERENCES accounts (id),
  scopes         TEXT NOT NULL,                      -- everything consented, space-separated
  created_at     BIGINT NOT NULL,
  updated_at     BIGINT NOT NULL,
  last_used_at   BIGINT,
  revoked_at     BIGINT,
  revoked_reason TEXT
);
CREATE INDEX oauth_grants_app ON oauth_grants (app_id, revoked_at);
CREATE INDEX oauth_grants_account ON oauth_grants (account_id, revoked_at);
CREATE INDEX oauth_grants_user ON oauth_grants (user_id, revoked_at);

CREATE TABLE oauth_codes (
  code_hash             TEXT PRIMARY KEY,
  grant_id              TEXT NOT NULL REFERENCES oauth_grants (id),
  app_id                TEXT NOT NULL REFERENCES apps (id),
  user_id               TEXT NOT NULL,
  account_id            TEXT NOT NULL,
  redirect_uri          TEXT NOT NULL,
  code_challenge        TEXT NOT NULL,                -- '' when none was sent
  code_challenge_method TEXT NOT NULL,                -- 'S256' or ''
  scopes                TEXT NOT NULL,
  created_at            BIGINT NOT NULL,
  expires_at            BIGINT NOT NULL,
  used_at               BIGINT
);
CREATE INDEX oauth_codes_grant ON oauth_codes (grant_id);
CREATE INDEX oauth_codes_expires ON oauth_codes (expires_at);

-- Access and refresh tokens. origin_code_hash ties every token of a rotation chain to the code
-- it started from (a replayed code revokes them all); parent_hash is the refresh token this one
-- replaced. A refresh token's used_at marks it rotated: presenting it again is reuse.
CREATE TABLE oauth_tokens (
  token_hash       TEXT PRIMARY KEY,
  id               TEXT NOT NULL,                    -- tok_..., safe to log and show
  kind             TEXT NOT NULL CHECK (kind IN ('access', 'refresh')),
  grant_id         TEXT NOT NULL REFERENCES oauth_grants (id),
  app_id           TEXT NOT NULL REFERENCES apps (id),
  origin_code_hash TEXT NOT NULL,
  parent_hash      TEXT,
  scopes           TEXT NOT NULL,
  created_at       BIGINT NOT NULL,
  expires_at       BIGINT NOT NULL,
  chain_expires_at BIGINT NOT NULL,                  -- refresh: one year after the chain began
  used_at          BIGINT,
  revoked_at       BIGINT
);
-- Few indexes on purpose: every refresh grant inserts two rows, and each index is one more
-- page written per commit (the refresh budget is 10,000 grants/s). Revocation by app, account
-- or code goes through the grant: oauth_tokens_grant.
CREATE INDEX oauth_tokens_grant ON oauth_tokens (grant_id);
CREATE INDEX oauth_tokens_expires ON oauth_tokens (expires_at);
