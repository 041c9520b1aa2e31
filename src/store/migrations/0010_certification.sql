-- The certification program (issue 6): requests and their history, reviewer assignments and
-- findings. Owned by src/certification (RequestService). Evidence (artifacts, questionnaire,
-- kickoff, dry run, pre-review reports), the catalogue and the directory have their own
-- migrations and reference cert_requests (id).
--
-- Dates the partner names (call-log date, planned certification date) are calendar dates in the
-- certification team's time zone, stored as 'YYYY-MM-DD' text.

CREATE TABLE cert_requests (
  id                         TEXT PRIMARY KEY,           -- crq_...
  app_id                     TEXT NOT NULL REFERENCES apps (id),
  app_version_id             TEXT NOT NULL REFERENCES app_versions (id),
  partner_org_id             TEXT NOT NULL REFERENCES partner_orgs (id),
  kind                       TEXT NOT NULL CHECK (kind IN ('initial', 'recertification')),
  state                      TEXT NOT NULL CHECK (state IN ('draft', 'submitted', 'in_review',
                               'changes_requested', 'remedied', 'engineer_approved',
                               'promotion_requested', 'final_review', 'certified', 'launched',
                               'withdrawn', 'rejected')),
  catalogue_version          TEXT NOT NULL,              -- the catalogue it is judged under
  call_log_date              TEXT,                       -- YYYY-MM-DD, team time zone
  planned_certification_date TEXT,                       -- YYYY-MM-DD (dry-run scheduling)
  -- Service-level clocks (DESIGN.md "Service level"): the review clock starts when the final
  -- items are in and restarts on every remedy; the final approver's clock starts at final review.
  review_clock_started_at    BIGINT,
  review_due_at              BIGINT,
  final_clock_started_at     BIGINT,
  final_due_at               BIGINT,
  clock_alerted_at           BIGINT,                     -- the last "clock at risk" notice
  remedy_rounds              BIGINT NOT NULL DEFAULT 0,
  -- The certificate envelope the final approver signs (esign), once final review starts.
  certification_envelope_id  TEXT,
  decision_reason            TEXT,                       -- reject / withdraw / decline reason
  -- The security reviewer confirmed that all tokens and the app secret are stored encrypted.
  encryption_confirmed_by    TEXT,
  encryption_confirmed_at    BIGINT,
  created_by                 TEXT NOT NULL,              -- user id
  created_at                 BIGINT NOT NULL,
  updated_at                 BIGINT NOT NULL,
  submitted_at               BIGINT,
  approved_at                BIGINT,
  certified_at               BIGINT,
  launched_at                BIGINT,
  closed_at                  BIGINT                      -- withdrawn or rejected
);
-- One active request per app: withdrawn, rejected and launched requests no longer count.
CREATE UNIQUE INDEX cert_requests_one_active ON cert_requests (app_id)
  WHERE state NOT IN ('withdrawn', 'rejected', 'launched');
CREATE INDEX cert_requests_org ON cert_requests (partner_org_id, created_at);
CREATE INDEX cert_requests_state ON cert_requests (state, updated_at);
CREATE INDEX cert_requests_envelope ON cert_requests (certification_envelope_id);

-- Every transition and decision, in order: what partners and staff see as the timeline. The
-- hash-chained audit log holds the same facts for tamper evidence.
CREATE TABLE cert_request_history (
  seq         {{AUTOINCREMENT_PK}},                      -- the timeline's order (one transaction
                                                         -- may append several lines at one `at`)
  id          TEXT NOT NULL UNIQUE,                      -- crh_...
  request_id  TEXT NOT NULL REFERENCES cert_requests (id),
  at          BIGINT NOT NULL,
  actor_type  TEXT NOT NULL,                             -- user | system | operator
  actor_id    TEXT NOT NULL,
  action      TEXT NOT NULL,                             -- lifecycle Action, or an evidence event
  from_state  TEXT,
  to_state    TEXT,
  reason      TEXT,
  detail      TEXT NOT NULL DEFAULT '{}'                 -- JSON
);
CREATE INDEX cert_request_history_request ON cert_request_history (request_id, seq);

-- Staff assigned to a request: one certification engineer, one security reviewer, and at final
-- review one final approver. Reassignment ends the old row (unassigned_at) and adds a new one.
CREATE TABLE cert_assignments (
  id            TEXT PRIMARY KEY,                        -- cas_...
  request_id    TEXT NOT NULL REFERENCES cert_requests (id),
  role          TEXT NOT NULL CHECK (role IN ('certification_engineer', 'security_reviewer',
                                              'final_approver')),
  user_id       TEXT NOT NULL REFERENCES users (id),
  assigned_by   TEXT NOT NULL,                           -- user id, or 'system' (least loaded)
  assigned_at   BIGINT NOT NULL,
  unassigned_at BIGINT
);
CREATE INDEX cert_assignments_request ON cert_assignments (request_id, role, unassigned_at);
CREATE INDEX cert_assignments_user ON cert_assignments (user_id, unassigned_at);

-- Findings against a requirement. phase: dry_run findings must be closed before submission;
-- review findings before engineer approval; final_review findings come from a declined
-- certificate. source: reviewer, or automated (e.g. a live secret found in a trace).
CREATE TABLE cert_findings (
  id              TEXT PRIMARY KEY,                      -- fnd_...
  request_id      TEXT NOT NULL REFERENCES cert_requests (id),
  requirement_id  TEXT NOT NULL,                         -- catalogue id, e.g. SEC-2
  phase           TEXT NOT NULL CHECK (phase IN ('dry_run', 'review', 'final_review')),
  source          TEXT NOT NULL CHECK (source IN ('reviewer', 'automated')),
  severity        TEXT NOT NULL CHECK (severity IN ('critical', 'high', 'medium', 'low')),
  status          TEXT NOT NULL CHECK (status IN ('open', 'responded', 'closed')),
  description     TEXT NOT NULL,
  evidence        TEXT NOT NULL DEFAULT '',              -- the reviewer's evidence (text)
  filed_by        TEXT NOT NULL,                         -- user id or 'system'
  filed_at        BIGINT NOT NULL,
  response        TEXT,                                  -- the partner's answer
  responded_by    TEXT,
  responded_at    BIGINT,
  closed_by       TEXT,
  closed_at       BIGINT,
  closing_note    TEXT
);
CREATE INDEX cert_findings_request ON cert_findings (request_id, status, filed_at);
