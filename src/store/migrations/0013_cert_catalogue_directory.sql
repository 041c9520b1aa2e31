-- The requirements catalogue per version (issue 6 §1) and the partners' directory listings
-- (issue 6 §7). Owned by src/certification/catalogue.cpp and src/directory.
--
-- A catalogue version is stored once, at server start, from the file embedded in the binary;
-- a published version never changes (the server refuses to start when a stored version's text
-- differs from the embedded file). cert_requests.catalogue_version names one of these rows.
CREATE TABLE cert_catalogues (
  version           TEXT PRIMARY KEY,                  -- "2026.1"
  title             TEXT NOT NULL,
  effective         TEXT NOT NULL,                     -- YYYY-MM-DD
  content           TEXT NOT NULL,                     -- the TOML file as published
  requirement_count BIGINT NOT NULL,
  stored_at         BIGINT NOT NULL
);

-- The requirements of each version, one row each, for queries by id (findings and pre-review
-- results name a requirement of the request's catalogue version).
CREATE TABLE cert_catalogue_requirements (
  catalogue_version TEXT NOT NULL REFERENCES cert_catalogues (version),
  requirement_id    TEXT NOT NULL,                     -- OAUTH-1, SEC-2, ...
  position          BIGINT NOT NULL,                   -- order in the file
  title             TEXT NOT NULL,
  category          TEXT NOT NULL,
  evidence          TEXT NOT NULL,                     -- space-separated
  functions         TEXT NOT NULL,                     -- space-separated; '' = every app
  required          BIGINT NOT NULL CHECK (required IN (0, 1)),
  check_name        TEXT NOT NULL,                     -- '' when no automated check
  stage             TEXT NOT NULL,
  PRIMARY KEY (catalogue_version, requirement_id)
);

-- What a partner adds to its app's public listing. The app's own name, description,
-- documentation and support URLs are the defaults; a row here overrides them for the directory.
-- connect_url is a page on the partner's site that starts the OAuth flow with a redirect URI the
-- app registered (the directory never builds an authorize URL itself).
CREATE TABLE app_listings (
  app_id            TEXT PRIMARY KEY REFERENCES apps (id),
  description       TEXT,                              -- NULL: the app's description
  documentation_url TEXT,                              -- NULL: the app's documentation_url
  support_url       TEXT,                              -- NULL: the app's support_url
  connect_url       TEXT,
  collateral        TEXT NOT NULL,                     -- JSON array of {label, url}
  categories        TEXT NOT NULL,                     -- JSON array of strings
  updated_by        TEXT NOT NULL,                     -- user id
  created_at        BIGINT NOT NULL,
  updated_at        BIGINT NOT NULL
);
