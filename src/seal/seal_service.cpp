#include "seal/seal_service.hpp"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include "events/domain_event.hpp"
#include "seal/pades.hpp"
#include "seal/render.hpp"
#include "seal/seal_job.hpp"
#include "store/params.hpp"

namespace cs::seal {
namespace {

// Room for the CMS in /Contents: the signer and CA certificates (EC) and the signature take
// about 1.5 KiB; an RFC 3161 token with the TSA's chain can take several more.
constexpr std::size_t kContentsCapacity = 8192;
constexpr std::size_t kContentsCapacityWithTimestamp = 32768;
constexpr std::size_t kMaxTsaAnswer = 256 * 1024;

const std::string kSealColumns =
    "envelope_id, account_id, sealed_sha256, sealed_size, certificate_sha256, documents, "
    "identity_source, "
    "signer_subject, timestamped, sealed_at";

SealRecord record_of(const store::Row& r) {
  SealRecord s;
  s.envelope_id = r.text(0);
  s.account_id = r.text(1);
  s.sealed_sha256 = r.text(2);
  s.sealed_size = r.int64(3);
  s.certificate_sha256 = r.text(4);
  s.documents = nlohmann::json::parse(r.text(5), nullptr, false);
  s.identity_source = r.text(6);
  s.signer_subject = r.text(7);
  s.timestamped = r.int64(8) != 0;
  s.sealed_at = r.int64(9);
  return s;
}

std::span<const std::uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace

SealService::SealService(store::Database& db, store::BlobStore& blobs,
                         const crypto::FieldCipher& cipher, audit::AuditLog& audit,
                         const Clock& clock, SealOptions options)
    : db_(db),
      blobs_(blobs),
      cipher_(cipher),
      audit_(audit),
      clock_(clock),
      options_(std::move(options)) {
  if (!options_.tsa_url.empty()) fetcher_ = http_timestamp_fetcher(options_.tsa_url);
}

Result<SigningIdentity> SealService::identity() {
  std::lock_guard lock(identity_mu_);
  if (!identity_) identity_ = CS_TRY(resolve_identity(db_, cipher_, clock_, options_.pkcs12_file));
  return *identity_;
}

Result<std::optional<SealRecord>> SealService::find(std::string_view envelope_id) {
  auto conn = CS_TRY(db_.connect());
  auto row = CS_TRY(
      conn->query_one("SELECT " + kSealColumns + " FROM envelope_seals WHERE envelope_id = $1",
                      store::params(envelope_id)));
  if (!row) return std::optional<SealRecord>{};
  return std::optional<SealRecord>{record_of(*row)};
}

Result<std::optional<SealRecord>> SealService::find_by_sealed_sha256(std::string_view sha256_hex) {
  auto conn = CS_TRY(db_.connect());
  auto row = CS_TRY(
      conn->query_one("SELECT " + kSealColumns + " FROM envelope_seals WHERE sealed_sha256 = $1",
                      store::params(sha256_hex)));
  if (!row) return std::optional<SealRecord>{};
  return std::optional<SealRecord>{record_of(*row)};
}

Result<SealRecord> SealService::seal_envelope(std::string_view envelope_id) {
  if (auto done = CS_TRY(find(envelope_id))) return *done;

  RenderedEnvelope rendered;
  {
    auto conn = CS_TRY(db_.connect());
    rendered = CS_TRY(render_completed_envelope(*conn, blobs_, envelope_id));
  }
  SigningIdentity id = CS_TRY(identity());
  PadesOptions pades;
  pades.signing_time = clock_.now();
  pades.reason = "Completed envelope " + std::string(envelope_id) + ", sealed by Countersign";
  pades.contents_capacity = fetcher_ ? kContentsCapacityWithTimestamp : kContentsCapacity;
  std::string sealed = CS_TRY(seal_pdf(rendered.combined_pdf, pades, [&](std::string_view bytes) {
    return sign_cades_detached(bytes, id, fetcher_);
  }));
  auto sealed_ref = CS_TRY(blobs_.put(bytes_of(sealed)));
  auto certificate_ref = CS_TRY(blobs_.put(bytes_of(rendered.certificate_pdf)));

  SealRecord rec;
  rec.envelope_id = std::string(envelope_id);
  rec.sealed_sha256 = sealed_ref.sha256;
  rec.sealed_size = static_cast<std::int64_t>(sealed_ref.size);
  rec.certificate_sha256 = certificate_ref.sha256;
  for (const auto& d : rendered.documents) {
    rec.documents.push_back({{"name", d.name},
                             {"pages", d.pages},
                             {"original_sha256", d.original_sha256},
                             {"final_sha256", d.final_sha256}});
  }
  rec.identity_source = id.source;
  rec.signer_subject = id.subject;
  rec.timestamped = static_cast<bool>(fetcher_);
  rec.sealed_at = pades.signing_time;

  auto stored = store::transact(db_, [&](store::Connection& conn) -> Result<bool> {
    auto env = CS_TRY(conn.query_one("SELECT account_id FROM envelopes WHERE id = $1",
                                     store::params(envelope_id)));
    if (!env) return fail(Errc::not_found, "Envelope not found");
    rec.account_id = env->text(0);
    // A second worker that sealed the same envelope meanwhile keeps its row; ours is dropped.
    auto inserted = CS_TRY(
        conn.exec("INSERT INTO envelope_seals (" + kSealColumns +
                      ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT "
                      "(envelope_id) DO NOTHING",
                  store::params(rec.envelope_id, rec.account_id, rec.sealed_sha256, rec.sealed_size,
                                rec.certificate_sha256, rec.documents.dump(), rec.identity_source,
                                rec.signer_subject, rec.timestamped, rec.sealed_at)));
    if (inserted == 0) return false;
    events::DomainEvent e;
    e.type = "envelope.sealed";
    e.account_id = rec.account_id;
    e.envelope_id = rec.envelope_id;
    e.data = {{"sealed_sha256", rec.sealed_sha256},
              {"sealed_size", rec.sealed_size},
              {"certificate_sha256", rec.certificate_sha256},
              {"documents", rec.documents},
              {"signer", rec.signer_subject},
              {"timestamped", rec.timestamped}};
    CS_TRY(events::publish(conn, std::move(e), clock_));
    audit::AuditEvent a;
    a.actor_type = std::string(audit::actor::kSystem);
    a.action = "envelope.sealed";
    a.target_type = "envelope";
    a.target_id = rec.envelope_id;
    a.account_id = rec.account_id;
    a.details = {{"sealed_sha256", rec.sealed_sha256},
                 {"certificate_sha256", rec.certificate_sha256},
                 {"documents", rec.documents},
                 {"identity", rec.identity_source},
                 {"timestamped", rec.timestamped}};
    CS_TRY(audit_.append(conn, a));
    return true;
  });
  if (!stored) return fail(stored.error());
  if (!*stored) {
    auto winner = CS_TRY(find(envelope_id));
    if (!winner)
      return fail(Errc::internal, "The seal record vanished",
                  "envelope_seals row missing after conflict");
    return *winner;
  }
  ++sealed_;
  return rec;
}

Status SealService::handle_job(const store::Job& job) {
  auto envelope_id = envelope_of(job.payload);
  if (!envelope_id) return fail(envelope_id.error());
  auto sealed = seal_envelope(*envelope_id);
  if (sealed) return {};
  if (job.attempts >= job.max_attempts) alert(job, *envelope_id, sealed.error());
  return fail(sealed.error());
}

void SealService::alert(const store::Job& job, std::string_view envelope_id, const Error& error) {
  ++alerts_;
  spdlog::error(
      "ALERT seal job {} for envelope {} failed for good after {} attempts; the envelope stays "
      "completed "
      "and its sealed copy pending (the dead job is kept for inspection): {} {}",
      job.id, envelope_id, job.attempts, error.message(), error.detail());
  audit::AuditEvent a;
  a.actor_type = std::string(audit::actor::kSystem);
  a.action = "envelope.seal.failed";
  a.target_type = "envelope";
  a.target_id = std::string(envelope_id);
  a.details = {{"job_id", job.id},
               {"attempts", job.attempts},
               {"code", std::string(error.code())},
               {"message", error.message()}};
  auto conn = db_.connect();
  if (conn) {
    auto env = (*conn)->query_one("SELECT account_id FROM envelopes WHERE id = $1",
                                  store::params(envelope_id));
    if (env && *env) a.account_id = (*env)->text(0);
  }
  if (auto appended = audit_.append(db_, a); !appended) {
    spdlog::error("seal alert for envelope {} not audited: {}", envelope_id,
                  appended.error().detail());
  }
}

Result<std::string> SealService::blob_text(std::string_view envelope_id, bool certificate) {
  auto rec = CS_TRY(find(envelope_id));
  if (!rec)
    return fail(Errc::seal_pending,
                "The sealed copy of this envelope is not ready yet; try again shortly");
  auto bytes = CS_TRY(blobs_.get(certificate ? rec->certificate_sha256 : rec->sealed_sha256));
  return std::string(bytes.begin(), bytes.end());
}

Result<std::string> SealService::sealed_pdf(std::string_view envelope_id) {
  return blob_text(envelope_id, false);
}
Result<std::string> SealService::certificate_pdf(std::string_view envelope_id) {
  return blob_text(envelope_id, true);
}

namespace {

std::size_t collect(char* data, std::size_t size, std::size_t n, void* user) {
  auto* out = static_cast<std::string*>(user);
  if (out->size() + size * n > kMaxTsaAnswer) return 0;  // aborts the transfer
  out->append(data, size * n);
  return size * n;
}

}  // namespace

TimestampFetcher http_timestamp_fetcher(std::string url) {
  return [url = std::move(url)](std::string_view request) -> Result<std::string> {
    CURL* curl = curl_easy_init();
    if (!curl)
      return fail(Errc::unavailable, "The time-stamp authority cannot be reached",
                  "curl_easy_init");
    std::string answer;
    curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/timestamp-query");
    headers = curl_slist_append(headers, "Accept: application/timestamp-reply");
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.size()));
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer);
    CURLcode rc = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    if (rc != CURLE_OK) {
      return fail(Errc::unavailable, "The time-stamp authority cannot be reached",
                  curl_easy_strerror(rc));
    }
    if (status != 200) {
      return fail(Errc::unavailable, "The time-stamp authority refused the request",
                  "HTTP " + std::to_string(status));
    }
    return answer;
  };
}

}  // namespace cs::seal
