-- Operator settings that live in the database rather than in configuration, because they are
-- secret or set at run time (issue 4 §3: the SMTP password, `countersign smtp set-password`).
-- One row per setting. `value` holds plain values; `secret_value` holds FieldCipher ciphertexts
-- whose associated data names this table, the column and the row's `name`, and which
-- `countersign keys rotate` re-encrypts (src/app/key_rotation.cpp). Owned by src/notify.
CREATE TABLE platform_settings (
  name         TEXT PRIMARY KEY,          -- "smtp.password", ...
  value        TEXT,
  secret_value TEXT,
  updated_at   BIGINT NOT NULL
);
