-- The date format of an account (issue 7): `date_signed` fields are drawn in it when a completed
-- envelope is flattened. A small fixed set of patterns, kept in step with
-- src/seal/date_format.hpp. Owned by src/seal.
ALTER TABLE accounts ADD COLUMN date_format TEXT NOT NULL DEFAULT 'YYYY-MM-DD'
  CHECK (date_format IN ('YYYY-MM-DD', 'MM/DD/YYYY', 'DD/MM/YYYY', 'DD.MM.YYYY', 'D MMMM YYYY', 'MMMM D, YYYY'));
