-- The evidence of a certification request (issue 6 §2-§4): artifacts, the partner's instance
-- access, questionnaire answers, the kickoff meeting, the dry run, automated pre-review runs and
-- the engineer's waivers. Owned by src/certification (EvidenceService). Dates the partner names
-- are 'YYYY-MM-DD' text in the certification team's time zone.

-- Uploaded files; the bytes live in the content-addressed blob store. kind: video (a flow video,
-- labels normal and/or exception), trace, security_report (PDF), meeting_recording (video),
-- supplemental (any file, optionally new evidence for a finding). `detail` holds what the
-- validation found (video duration and codec; trace format, pairs, functions, secret locations).
CREATE TABLE cert_artifacts (
  id            TEXT PRIMARY KEY,                        -- art_...
  request_id    TEXT NOT NULL REFERENCES cert_requests (id),
  kind          TEXT NOT NULL CHECK (kind IN ('video', 'trace', 'security_report',
                                              'meeting_recording', 'supplemental')),
  filename      TEXT NOT NULL,
  content_type  TEXT NOT NULL,
  blob_sha256   TEXT NOT NULL,
  size_bytes    BIGINT NOT NULL,
  label_normal    BIGINT NOT NULL DEFAULT 0,             -- videos: shows the normal flow
  label_exception BIGINT NOT NULL DEFAULT 0,             -- videos: shows exception flows
  duration_us   BIGINT,                                  -- videos and recordings
  live_secrets  BIGINT NOT NULL DEFAULT 0,               -- traces: live secrets found
  finding_id    TEXT,                                    -- new evidence for this finding
  detail        TEXT NOT NULL DEFAULT '{}',              -- JSON
  uploaded_by   TEXT NOT NULL,                           -- user id
  uploaded_at   BIGINT NOT NULL
);
CREATE INDEX cert_artifacts_request ON cert_artifacts (request_id, kind, uploaded_at);

-- Reviewer access to the partner's instance (SEC-4). `credentials` is a FieldCipher ciphertext
-- of {"url","username","password","notes"} (associated data: this table, column, request id),
-- registered for `countersign keys rotate`. Replaced, never read back by the partner.
CREATE TABLE cert_instance_access (
  request_id    TEXT PRIMARY KEY REFERENCES cert_requests (id),
  credentials   TEXT NOT NULL,
  updated_by    TEXT NOT NULL,
  updated_at    BIGINT NOT NULL
);

-- Questionnaire answers per request, under the definition version they were given for.
CREATE TABLE cert_questionnaires (
  request_id    TEXT PRIMARY KEY REFERENCES cert_requests (id),
  version       TEXT NOT NULL,
  answers       TEXT NOT NULL DEFAULT '{}',              -- JSON: question id -> answer
  updated_by    TEXT NOT NULL,
  updated_at    BIGINT NOT NULL
);

-- The kickoff meeting (SEC-5): date, staff participants, notes and the recording artifact.
CREATE TABLE cert_kickoffs (
  request_id             TEXT PRIMARY KEY REFERENCES cert_requests (id),
  held_on                TEXT NOT NULL,                  -- YYYY-MM-DD
  participants           TEXT NOT NULL DEFAULT '[]',     -- JSON array of user ids
  notes                  TEXT NOT NULL DEFAULT '',
  recording_artifact_id  TEXT,
  updated_by             TEXT NOT NULL,
  updated_at             BIGINT NOT NULL
);

-- The optional dry run (QUES-2); the planned certification date is on cert_requests.
CREATE TABLE cert_dry_runs (
  request_id    TEXT PRIMARY KEY REFERENCES cert_requests (id),
  scheduled_on  TEXT NOT NULL,                           -- YYYY-MM-DD
  notes         TEXT NOT NULL DEFAULT '',
  held_at       BIGINT,                                  -- staff marked it held
  held_by       TEXT,
  updated_by    TEXT NOT NULL,
  updated_at    BIGINT NOT NULL
);

-- Automated pre-review runs (issue 6 §4): one row per run, newest last; `report` is the JSON
-- report, requirement by requirement.
CREATE TABLE cert_pre_review_runs (
  id            TEXT PRIMARY KEY,                        -- prr_...
  request_id    TEXT NOT NULL REFERENCES cert_requests (id),
  status        TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
  job_id        TEXT,
  requested_by  TEXT NOT NULL,                           -- user id or 'system'
  requested_at  BIGINT NOT NULL,
  started_at    BIGINT,
  finished_at   BIGINT,
  report        TEXT,                                    -- JSON, when done
  error         TEXT                                     -- safe message, when failed
);
CREATE INDEX cert_pre_review_runs_request ON cert_pre_review_runs (request_id, requested_at);

-- The certification engineer's waiver of a failing automated check, with a reason (audited).
CREATE TABLE cert_check_waivers (
  id              TEXT PRIMARY KEY,                      -- cwv_...
  request_id      TEXT NOT NULL REFERENCES cert_requests (id),
  requirement_id  TEXT NOT NULL,
  reason          TEXT NOT NULL,
  waived_by       TEXT NOT NULL,
  waived_at       BIGINT NOT NULL
);
CREATE UNIQUE INDEX cert_check_waivers_one ON cert_check_waivers (request_id, requirement_id);
