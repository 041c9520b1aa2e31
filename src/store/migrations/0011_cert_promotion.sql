-- The integration key promotion form (issue 6 §2, DocuSign step 8), filled in by the partner
-- after the engineer's sign-off. One per request; a later round (after a declined final review)
-- replaces it. Owned by src/certification (RequestService).
CREATE TABLE cert_promotion_forms (
  request_id                TEXT PRIMARY KEY REFERENCES cert_requests (id),
  system_integrator_name    TEXT NOT NULL,
  technical_contact_name    TEXT NOT NULL,
  technical_contact_email   TEXT NOT NULL,
  technical_contact_phone   TEXT NOT NULL,                -- E.164
  production_date_estimate  TEXT NOT NULL,                -- YYYY-MM-DD
  integration_key           TEXT NOT NULL,                -- equals the app's client_id
  submitted_by              TEXT NOT NULL,                -- user id
  submitted_at              BIGINT NOT NULL
);
