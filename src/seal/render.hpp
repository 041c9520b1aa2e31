// Renders a completed envelope into its final PDFs (issue 7): every document flattened (the
// field values drawn as page content) followed by the certificate of completion. The PAdES
// seal (seal-sign) is applied on top of `combined_pdf`. Blocking work: run it in a job.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "store/blob_store.hpp"
#include "store/database.hpp"

namespace cs::seal {

struct RenderedDocument {
  std::string name;
  int pages = 0;
  std::string original_sha256;  // hex, of the uploaded PDF (as esign stored it)
  std::string final_sha256;     // hex, of this document after flattening (before sealing)
};

struct RenderedEnvelope {
  std::string envelope_id;
  std::string combined_pdf;     // every flattened document in order, then the certificate pages
  std::string certificate_pdf;  // the certificate of completion alone
  std::vector<RenderedDocument> documents;
};

// Reads the completed envelope (documents from the blob store, recipients, fields with their
// values, drawn-signature PNGs, the event history) and renders it. Errc::invalid_state when the
// envelope is not completed; Errc::not_found when absent. No account scoping: callers authorise.
Result<RenderedEnvelope> render_completed_envelope(store::Connection& conn, store::BlobStore& blobs,
                                                   std::string_view envelope_id);

struct CompletedEnvelope;  // completed_envelope.hpp
// The rendering alone, for an envelope already read with load_completed_envelope (what
// render_completed_envelope does after reading; benchmarks and tests call it directly).
Result<RenderedEnvelope> render_envelope(const CompletedEnvelope& data);

}  // namespace cs::seal
