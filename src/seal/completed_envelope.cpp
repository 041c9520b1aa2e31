#include "seal/completed_envelope.hpp"

#include <span>

#include "esign/envelope_repository.hpp"
#include "seal/date_format.hpp"
#include "store/params.hpp"

namespace cs::seal {

namespace {

Result<std::string> read_blob(store::BlobStore& blobs, std::string_view sha256, std::string_view what) {
  auto bytes = blobs.get(sha256);
  if (!bytes) return fail(Errc::internal, "A stored file of the envelope is missing", std::string(what) + " " + std::string(sha256));
  // The blob store names blobs by hash; a file changed on disk must not be sealed as the original.
  if (store::sha256_hex(std::span<const std::uint8_t>(bytes->data(), bytes->size())) != sha256) {
    return fail(Errc::internal, "A stored file of the envelope is damaged", std::string(what) + " " + std::string(sha256));
  }
  return std::string(bytes->begin(), bytes->end());
}

}  // namespace

Result<CompletedEnvelope> load_completed_envelope(store::Connection& conn, store::BlobStore& blobs,
                                                  std::string_view envelope_id) {
  auto env = CS_TRY(esign::repo::load_envelope(conn, "", envelope_id, false));
  if (!env) return fail(Errc::not_found, "The envelope does not exist");
  if (env->status != esign::EnvelopeStatus::completed) {
    return fail(Errc::invalid_state, "The envelope is " + std::string(esign::to_string(env->status)) + ", not completed");
  }
  CompletedEnvelope out;
  out.envelope = std::move(*env);
  auto row = CS_TRY(conn.query_one("SELECT date_format FROM accounts WHERE id = $1", store::params(out.envelope.account_id)));
  out.date_format = row && is_date_format(row->text(0)) ? row->text(0) : std::string(kDefaultDateFormat);
  for (const auto& doc : out.envelope.documents) {
    out.document_bytes.push_back(CS_TRY(read_blob(blobs, doc.sha256, "document")));
  }
  for (const auto& r : out.envelope.recipients) {
    if (!r.signature_sha256 || out.drawn_signatures.contains(*r.signature_sha256)) continue;
    auto png = CS_TRY(read_blob(blobs, *r.signature_sha256, "signature"));
    auto image = CS_TRY(decode_png(png));
    out.drawn_signatures.emplace(*r.signature_sha256, std::make_shared<const DecodedImage>(std::move(image)));
  }
  out.events = CS_TRY(events::list_for_envelope(conn, out.envelope.account_id, out.envelope.id));
  return out;
}

}  // namespace cs::seal
