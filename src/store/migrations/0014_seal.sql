-- Sealing (issue 7): the platform's document-sealing identity and the record of every sealed
-- envelope. Owned by src/seal.
--
-- seal_identities holds the Countersign CA and the sealing certificate created on first use
-- (one row, id 'countersign'; creation is INSERT ... ON CONFLICT DO NOTHING and re-read, so two
-- processes racing on first run agree on one identity). Certificates are public PEM; the
-- private keys are FieldCipher ciphertexts whose associated data names this table, the column
-- and the row's id, and `countersign keys rotate` re-encrypts them (src/app/key_rotation.cpp).
CREATE TABLE seal_identities (
  id              TEXT PRIMARY KEY,
  ca_certificate  TEXT NOT NULL,   -- PEM
  ca_private_key  TEXT NOT NULL,   -- FieldCipher(PKCS#8 PEM)
  certificate     TEXT NOT NULL,   -- PEM, issued by ca_certificate
  private_key     TEXT NOT NULL,   -- FieldCipher(PKCS#8 PEM)
  created_at      BIGINT NOT NULL
);

-- One row per sealed envelope: what `GET .../documents/combined` and `.../certificate` serve
-- (blobs by SHA-256) and what `countersign verify` compares a file against.
CREATE TABLE envelope_seals (
  envelope_id         TEXT PRIMARY KEY REFERENCES envelopes (id),
  account_id          TEXT NOT NULL,
  sealed_sha256       TEXT NOT NULL,    -- the sealed combined PDF (blob)
  sealed_size         BIGINT NOT NULL,
  certificate_sha256  TEXT NOT NULL,    -- the certificate of completion alone (blob)
  documents           TEXT NOT NULL,    -- JSON [{name, pages, original_sha256, final_sha256}]
  identity_source     TEXT NOT NULL,    -- 'countersign_ca' | 'pkcs12'
  signer_subject      TEXT NOT NULL,
  timestamped         BIGINT NOT NULL,  -- 1 when an RFC 3161 signature time-stamp is embedded
  sealed_at           BIGINT NOT NULL
);
CREATE INDEX envelope_seals_sealed_sha256 ON envelope_seals (sealed_sha256);
