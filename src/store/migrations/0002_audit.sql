-- The append-only, hash-chained audit log (DESIGN.md "Security baseline"). Owned by src/audit;
-- audit_chain.hpp defines exactly what `hash` covers. Times are microseconds since the epoch.
CREATE TABLE audit_log (
  seq            {{AUTOINCREMENT_PK}},
  id             TEXT NOT NULL UNIQUE,      -- aud_...
  at             BIGINT NOT NULL,
  actor_type     TEXT NOT NULL,             -- user | staff | system | app | operator
  actor_id       TEXT NOT NULL,
  action         TEXT NOT NULL,             -- "account.settings.changed", "user.login.failed", ...
  target_type    TEXT NOT NULL,
  target_id      TEXT NOT NULL,
  account_id     TEXT,
  partner_org_id TEXT,
  ip             TEXT NOT NULL,
  request_id     TEXT NOT NULL,
  details        TEXT NOT NULL,             -- canonical JSON
  prev_hash      TEXT NOT NULL,             -- hash of the previous entry; 64 zeros for the first
  hash           TEXT NOT NULL
);
CREATE INDEX audit_log_action ON audit_log (action);
CREATE INDEX audit_log_target ON audit_log (target_type, target_id);
CREATE INDEX audit_log_account ON audit_log (account_id);

-- Append-only, enforced by the database itself: UPDATE and DELETE (and TRUNCATE on PostgreSQL)
-- abort. The hash chain catches whoever drops these triggers first.
--
-- The two backends need different trigger syntax. A line that starts with "--@sqlite " runs
-- only on SQLite and one that starts with "--@postgres " only on PostgreSQL: the migration
-- runner strips the marker for its own backend (render_migration_sql), and the other backend
-- sees a comment.
--@sqlite CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
--@sqlite BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
--@sqlite CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
--@sqlite BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
--@postgres CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
--@postgres BEGIN
--@postgres   RAISE EXCEPTION 'audit_log is append-only';
--@postgres END;
--@postgres $$;
--@postgres CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
--@postgres   FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
--@postgres CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
--@postgres   FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
