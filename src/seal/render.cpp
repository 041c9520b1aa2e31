#include "seal/render.hpp"

#include <span>

#include "seal/completed_envelope.hpp"
#include "seal/completion_certificate.hpp"
#include "seal/date_format.hpp"
#include "seal/flatten.hpp"
#include "seal/pdf_text.hpp"

namespace cs::seal {

namespace {

std::string sha256_of(const std::string& bytes) {
  return store::sha256_hex(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
}

// What each completed field of `document_id` shows. Values are as esign stored them:
// signature "typed:<name>" or "drawn:<png sha256>", date_signed YYYY-MM-DD, checkbox "true".
std::vector<FieldDrawing> drawings_for(const CompletedEnvelope& data, std::string_view document_id) {
  std::vector<FieldDrawing> out;
  for (const auto& f : data.envelope.fields) {
    if (f.document_id != document_id || !f.value || f.value->empty()) continue;
    FieldDrawing d;
    d.page = f.page;
    d.x = f.x, d.y = f.y, d.width = f.width, d.height = f.height;
    const std::string& v = *f.value;
    switch (f.type) {
      case esign::FieldType::signature:
        if (v.starts_with("drawn:")) {
          auto it = data.drawn_signatures.find(v.substr(6));
          if (it == data.drawn_signatures.end()) continue;
          d.kind = FieldDrawing::Kind::image;
          d.image = it->second;
        } else {
          d.kind = FieldDrawing::Kind::signature_text;
          d.text = v.starts_with("typed:") ? v.substr(6) : v;
        }
        break;
      case esign::FieldType::initials:
        d.kind = FieldDrawing::Kind::signature_text;
        d.text = v;
        break;
      case esign::FieldType::date_signed: d.text = format_date(v, data.date_format); break;
      case esign::FieldType::full_name:
      case esign::FieldType::text: d.text = v; break;
      case esign::FieldType::checkbox:
        if (v != "true") continue;
        d.kind = FieldDrawing::Kind::check;
        break;
    }
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace

Result<RenderedEnvelope> render_completed_envelope(store::Connection& conn, store::BlobStore& blobs,
                                                   std::string_view envelope_id) {
  auto data = CS_TRY(load_completed_envelope(conn, blobs, envelope_id));
  return render_envelope(data);
}

Result<RenderedEnvelope> render_envelope(const CompletedEnvelope& data) {
  auto font = CS_TRY(TrueTypeFont::default_font());
  RenderedEnvelope out;
  out.envelope_id = data.envelope.id;
  std::vector<std::string> parts;
  for (std::size_t i = 0; i < data.envelope.documents.size(); ++i) {
    const auto& doc = data.envelope.documents[i];
    auto flattened = CS_TRY(flatten_pdf(data.document_bytes[i], drawings_for(data, doc.id), font));
    out.documents.push_back({doc.name, doc.page_count(), doc.sha256, sha256_of(flattened)});
    parts.push_back(std::move(flattened));
  }
  out.certificate_pdf = CS_TRY(render_completion_certificate(data, out.documents, font));
  parts.push_back(out.certificate_pdf);
  out.combined_pdf = CS_TRY(combine_pdfs(parts));
  return out;
}

}  // namespace cs::seal
