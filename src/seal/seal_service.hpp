// Sealing completed envelopes (issue 7): render (seal/render.hpp), sign with PAdES (pades.hpp,
// cms.hpp), store the sealed PDF and the certificate of completion in the blob store, and record
// the result in `envelope_seals`, the envelope's event history (`envelope.sealed`, with the
// final SHA-256) and the audit log, in one transaction.
//
// Runs as the `envelope.seal` job (seal_job.hpp). A failed attempt is retried with backoff by
// the job queue; the last failed attempt raises an alert (an error log line, the
// countersign_seal_alerts_total metric and an `envelope.seal.failed` audit entry). The envelope
// stays completed throughout and the API answers 409 seal_pending until a seal exists.
#pragma once

#include <atomic>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "audit/audit_log.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "crypto/field_cipher.hpp"
#include "seal/cms.hpp"
#include "seal/signing_identity.hpp"
#include "store/blob_store.hpp"
#include "store/database.hpp"
#include "store/job_queue.hpp"

namespace cs::seal {

struct SealOptions {
  std::filesystem::path pkcs12_file;  // Config::seal_pkcs12_file; empty: Countersign's CA
  std::string tsa_url;                // Config::seal_tsa_url; empty: no time-stamp
};

struct SealRecord {
  std::string envelope_id;
  std::string account_id;
  std::string sealed_sha256;
  std::int64_t sealed_size = 0;
  std::string certificate_sha256;
  nlohmann::json documents =
      nlohmann::json::array();  // [{name, pages, original_sha256, final_sha256}]
  std::string identity_source;
  std::string signer_subject;
  bool timestamped = false;
  Micros sealed_at = 0;
};

class SealService {
 public:
  // Every reference must outlive the service.
  SealService(store::Database& db, store::BlobStore& blobs, const crypto::FieldCipher& cipher,
              audit::AuditLog& audit, const Clock& clock, SealOptions options);

  // The `envelope.seal` job handler.
  Status handle_job(const store::Job& job);

  // Seals one completed envelope. Idempotent: an envelope sealed before answers its record
  // (a retried job, or two workers racing). Errc::invalid_state for an envelope that is not
  // completed, Errc::not_found for an unknown one.
  Result<SealRecord> seal_envelope(std::string_view envelope_id);

  // No account scoping here: routes authorise through EnvelopeService::get first.
  Result<std::optional<SealRecord>> find(std::string_view envelope_id);
  Result<std::optional<SealRecord>> find_by_sealed_sha256(std::string_view sha256_hex);
  // The sealed combined PDF / the certificate of completion; Errc::seal_pending until sealed.
  Result<std::string> sealed_pdf(std::string_view envelope_id);
  Result<std::string> certificate_pdf(std::string_view envelope_id);

  // The identity seals are made with (loaded or created on first use, then kept).
  Result<SigningIdentity> identity();
  // Tests (and a future non-HTTP TSA) may replace how time-stamp requests travel.
  void set_timestamp_fetcher(TimestampFetcher fetcher) { fetcher_ = std::move(fetcher); }

  std::int64_t sealed_total() const { return sealed_.load(); }
  std::int64_t alerts_total() const { return alerts_.load(); }

 private:
  Result<std::string> blob_text(std::string_view envelope_id, bool certificate);
  void alert(const store::Job& job, std::string_view envelope_id, const Error& error);

  store::Database& db_;
  store::BlobStore& blobs_;
  const crypto::FieldCipher& cipher_;
  audit::AuditLog& audit_;
  const Clock& clock_;
  SealOptions options_;
  TimestampFetcher fetcher_;
  std::mutex identity_mu_;
  std::optional<SigningIdentity> identity_;
  std::atomic<std::int64_t> sealed_{0};
  std::atomic<std::int64_t> alerts_{0};
};

// An RFC 3161 client over HTTP(S): POSTs application/timestamp-query to `url` (libcurl, 30 s
// timeout, answers of at most 256 KiB). Errc::unavailable when the TSA cannot be reached or
// refuses.
TimestampFetcher http_timestamp_fetcher(std::string url);

}  // namespace cs::seal
