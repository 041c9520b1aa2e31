// Everything the final PDFs of a completed envelope show (issue 7), read in one place: the
// envelope with its documents, recipients and fields (esign's tables), the document bytes and
// the drawn signatures (blob store), the account's date format and the event history.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "esign/envelope.hpp"
#include "events/domain_event.hpp"
#include "seal/png_image.hpp"
#include "store/blob_store.hpp"
#include "store/database.hpp"

namespace cs::seal {

struct CompletedEnvelope {
  esign::Envelope envelope;
  std::string date_format;                  // one of kDateFormats
  std::vector<std::string> document_bytes;  // the uploaded PDFs, parallel to envelope.documents
  // Drawn signatures by the SHA-256 of their PNG (the `drawn:<sha256>` field values).
  std::map<std::string, std::shared_ptr<const DecodedImage>> drawn_signatures;
  std::vector<events::DomainEvent> events;  // oldest first, as GET .../events answers them
};

// not_found when there is no such envelope; invalid_state unless it is completed;
// artifact_invalid for a drawn signature that is not a PNG or too large; internal when a blob
// is missing or does not match its recorded hash. Unscoped: the caller has authorised.
Result<CompletedEnvelope> load_completed_envelope(store::Connection& conn, store::BlobStore& blobs,
                                                  std::string_view envelope_id);

}  // namespace cs::seal
