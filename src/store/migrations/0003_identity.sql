-- Identity: partner orgs, customer accounts, users, memberships and roles, web sessions and
-- login throttling (issue 2 §5). Ids are TEXT with a type prefix, times BIGINT microseconds,
-- booleans BIGINT 0/1. Owned by src/identity.

CREATE TABLE partner_orgs (
  id                    TEXT PRIMARY KEY,            -- ptn_...
  name                  TEXT NOT NULL,
  -- A professional-services engagement; only such partners may book a dry run.
  professional_services BIGINT NOT NULL DEFAULT 0 CHECK (professional_services IN (0, 1)),
  created_at            BIGINT NOT NULL,
  updated_at            BIGINT NOT NULL
);
CREATE INDEX partner_orgs_name ON partner_orgs (name);

CREATE TABLE accounts (
  id                     TEXT PRIMARY KEY,           -- acc_...
  name                   TEXT NOT NULL,
  environment            TEXT NOT NULL CHECK (environment IN ('sandbox', 'production')),
  partner_org_id         TEXT REFERENCES partner_orgs (id),
  -- DESIGN.md "Access rule": off by default; only the account's admin may change it.
  allow_uncertified_apps BIGINT NOT NULL DEFAULT 0 CHECK (allow_uncertified_apps IN (0, 1)),
  created_at             BIGINT NOT NULL,
  updated_at             BIGINT NOT NULL
);
CREATE INDEX accounts_partner_org ON accounts (partner_org_id);
CREATE INDEX accounts_name ON accounts (name);

CREATE TABLE users (
  id                 TEXT PRIMARY KEY,               -- usr_...
  email              TEXT NOT NULL UNIQUE,           -- normalised: trimmed, lower-case
  name               TEXT NOT NULL,
  password_hash      TEXT NOT NULL,                  -- Argon2id, libsodium string form
  status             TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  failed_login_count BIGINT NOT NULL DEFAULT 0,
  locked_until       BIGINT,
  last_login_at      BIGINT,
  created_at         BIGINT NOT NULL,
  updated_at         BIGINT NOT NULL
);

CREATE TABLE account_memberships (
  account_id TEXT NOT NULL REFERENCES accounts (id),
  user_id    TEXT NOT NULL REFERENCES users (id),
  role       TEXT NOT NULL CHECK (role IN ('admin', 'sender')),
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (account_id, user_id)
);
CREATE INDEX account_memberships_user ON account_memberships (user_id);

CREATE TABLE partner_memberships (
  partner_org_id TEXT NOT NULL REFERENCES partner_orgs (id),
  user_id        TEXT NOT NULL REFERENCES users (id),
  role           TEXT NOT NULL CHECK (role IN ('partner_admin', 'partner_developer')),
  created_at     BIGINT NOT NULL,
  updated_at     BIGINT NOT NULL,
  PRIMARY KEY (partner_org_id, user_id)
);
CREATE INDEX partner_memberships_user ON partner_memberships (user_id);

CREATE TABLE staff_roles (
  user_id    TEXT NOT NULL REFERENCES users (id),
  role       TEXT NOT NULL CHECK (role IN ('certification_engineer', 'security_reviewer',
                                           'partner_manager', 'solution_consultant',
                                           'final_approver', 'operator')),
  created_at BIGINT NOT NULL,
  PRIMARY KEY (user_id, role)
);

-- Server-side web sessions. The token itself is never stored: only its HMAC-SHA256 under the
-- key ring's token-hash key.
CREATE TABLE sessions (
  token_hash   TEXT PRIMARY KEY,
  user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at   BIGINT NOT NULL,
  expires_at   BIGINT NOT NULL,                      -- absolute lifetime
  last_seen_at BIGINT NOT NULL,                      -- idle timeout counts from here
  ip           TEXT NOT NULL,
  user_agent   TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- Recent failed logins by throttle key ("ip:<address>", or "email:<hmac>" for e-mail
-- addresses that have no user, so unknown addresses lock out exactly like real ones).
CREATE TABLE login_failures (
  id           {{AUTOINCREMENT_PK}},
  throttle_key TEXT NOT NULL,
  at           BIGINT NOT NULL
);
CREATE INDEX login_failures_key_at ON login_failures (throttle_key, at);
