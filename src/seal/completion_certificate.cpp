#include "seal/completion_certificate.hpp"

#include <algorithm>
#include <exception>

#include "core/clock.hpp"
#include "seal/pdf_text.hpp"

#include <qpdf/QPDFPageDocumentHelper.hh>
#include <qpdf/QPDFPageObjectHelper.hh>
#include <qpdf/QPDFWriter.hh>

namespace cs::seal {

namespace {

constexpr double kPageWidth = 612, kPageHeight = 792, kMargin = 54, kFooter = 40;
constexpr std::string_view kInk = "0 0 0", kMuted = "0.35 0.35 0.35", kSignatureInk = "0.05 0.1 0.45";

// A column of text that flows from page to page.
class Layout {
 public:
  Layout(QPDF& pdf, PdfFont& font) : pdf_(pdf), font_(font) { new_page(); }

  void paragraph(std::string_view utf8, double size, double indent = 0, std::string_view rgb = kInk) {
    double leading = size * 1.35;
    for (const auto& line : wrap_text(font_, decode_text(utf8), size, kPageWidth - 2 * kMargin - indent)) {
      if (y_ - leading < kMargin + kFooter) new_page();
      y_ -= leading;
      canvas().text(kMargin + indent, y_ + (leading - size) / 2 + size * 0.2, size, line, rgb);
    }
  }

  void heading(std::string_view text) {
    if (y_ - 60 < kMargin + kFooter) new_page();
    gap(10);
    paragraph(text, 13);
    y_ -= 3;
    canvas().line(kMargin, y_, kPageWidth - kMargin, y_, 0.7);
    gap(4);
  }

  void gap(double h) { y_ -= h; }

  void signature_image(const DecodedImage& image, double indent) {
    double scale = std::min({200.0 / image.width, 60.0 / image.height, 1.0});
    double w = image.width * scale, h = image.height * scale;
    if (y_ - h - 4 < kMargin + kFooter) new_page();
    y_ -= h + 4;
    canvas().image(kMargin + indent, y_, w, h, make_image_xobject(pdf_, image));
  }

  void signature_text(std::string_view name, double indent) { paragraph(name, 20, indent, kSignatureInk); }

  // Adds the footers (now that the page count is known) and the pages to the document.
  void finish(std::string_view envelope_id) {
    QPDFPageDocumentHelper pages(pdf_);
    for (std::size_t i = 0; i < canvases_.size(); ++i) {
      auto& c = *canvases_[i];
      c.line(kMargin, kMargin + 14, kPageWidth - kMargin, kMargin + 14, 0.5);
      c.text(kMargin, kMargin, 8,
             decode_text("Certificate of completion · " + std::string(envelope_id) + " · Page " +
                         std::to_string(i + 1) + " of " + std::to_string(canvases_.size())),
             kMuted);
      auto page = pdf_.makeIndirectObject(QPDFObjectHandle::newDictionary());
      page.replaceKey("/Type", QPDFObjectHandle::newName("/Page"));
      page.replaceKey("/MediaBox",
                      QPDFObjectHandle::newArray(QPDFObjectHandle::Rectangle(0, 0, kPageWidth, kPageHeight)));
      page.replaceKey("/Resources", c.resources(pdf_));
      page.replaceKey("/Contents", QPDFObjectHandle::newStream(&pdf_, c.content()));
      pages.addPage(QPDFPageObjectHelper(page), false);
    }
  }

 private:
  Canvas& canvas() { return *canvases_.back(); }
  void new_page() {
    canvases_.push_back(std::make_unique<Canvas>(font_));
    y_ = kPageHeight - kMargin;
  }

  QPDF& pdf_;
  PdfFont& font_;
  std::vector<std::unique_ptr<Canvas>> canvases_;
  double y_ = 0;
};

std::string when(const std::optional<Micros>& t) { return t ? format_rfc3339(*t) : "—"; }

std::string evidence(std::string_view label, const std::optional<Micros>& at, const std::optional<std::string>& ip,
                     const std::optional<std::string>& user_agent) {
  std::string s = std::string(label) + ": " + when(at);
  if (ip && !ip->empty()) s += " · IP " + *ip;
  if (user_agent && !user_agent->empty()) s += " · User agent: " + *user_agent;
  return s;
}

void recipient_section(Layout& out, const CompletedEnvelope& data, const esign::Recipient& r) {
  out.gap(6);
  out.paragraph(r.name, 11);
  out.paragraph(r.email, 9, 12, kMuted);
  out.paragraph(std::string(esign::to_string(r.type)) + " · Routing order " + std::to_string(r.routing_order) +
                    " · Status " + std::string(esign::to_string(r.status)),
                9, 12);
  out.paragraph(evidence("Sent", r.sent_at, std::nullopt, std::nullopt), 9, 12);
  out.paragraph(evidence("First viewed", r.delivered_at, r.delivered_ip, r.delivered_user_agent), 9, 12);
  out.paragraph(evidence("Disclosure accepted", r.disclosure_accepted_at, r.disclosure_ip, r.disclosure_user_agent), 9, 12);
  if (r.type == esign::RecipientType::signer) {
    out.paragraph(evidence("Signed", r.completed_at, r.acted_ip, r.acted_user_agent), 9, 12);
    if (r.signature_sha256) {
      auto it = data.drawn_signatures.find(*r.signature_sha256);
      if (it != data.drawn_signatures.end()) {
        out.paragraph("Signature (drawn), SHA-256 of the image " + *r.signature_sha256, 9, 12, kMuted);
        out.signature_image(*it->second, 12);
      }
    } else if (r.signature_text) {
      out.paragraph("Signature (typed)", 9, 12, kMuted);
      out.signature_text(*r.signature_text, 12);
    }
    if (r.initials) out.paragraph("Initials: " + *r.initials, 9, 12);
  } else {
    out.paragraph(evidence("Copy delivered", r.completed_at, std::nullopt, std::nullopt), 9, 12);
  }
}

void event_section(Layout& out, const events::DomainEvent& e) {
  out.paragraph(format_rfc3339(e.occurred_at) + "  " + e.type, 9);
  std::string who = "Actor: " + e.actor_type + " " + e.actor_id;
  if (e.recipient_id) who += " · Recipient " + *e.recipient_id;
  if (!e.ip.empty()) who += " · IP " + e.ip;
  if (!e.user_agent.empty()) who += " · User agent: " + e.user_agent;
  out.paragraph(who, 8, 12, kMuted);
  if (!e.data.empty()) out.paragraph("Data: " + e.data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), 8, 12, kMuted);
  out.paragraph("Event " + e.id, 8, 12, kMuted);
}

}  // namespace

Result<std::string> render_completion_certificate(const CompletedEnvelope& data,
                                                  const std::vector<RenderedDocument>& documents,
                                                  std::shared_ptr<const TrueTypeFont> font) {
  try {
    const auto& env = data.envelope;
    QPDF pdf;
    pdf.emptyPDF();
    PdfFont pdf_font(pdf, std::move(font));
    Layout out(pdf, pdf_font);
    out.paragraph("Certificate of Completion", 20);
    out.gap(4);
    out.paragraph("Envelope " + env.id, 10);
    out.paragraph("Subject: " + env.email_subject, 10);
    out.paragraph("Status: " + std::string(esign::to_string(env.status)) + " · Created " + format_rfc3339(env.created_at) +
                      " · Sent " + when(env.sent_at) + " · Completed " + when(env.completed_at),
                  9);

    out.heading("Documents");
    for (std::size_t i = 0; i < documents.size(); ++i) {
      const auto& d = documents[i];
      out.gap(4);
      out.paragraph(std::to_string(i + 1) + ". " + d.name, 11);
      out.paragraph("Pages: " + std::to_string(d.pages), 9, 12);
      out.paragraph("Original SHA-256: " + d.original_sha256, 9, 12);
      out.paragraph("Final SHA-256: " + d.final_sha256, 9, 12);
    }

    out.heading("Recipients");
    for (const auto& r : env.recipients) recipient_section(out, data, r);

    out.heading("Event history");
    for (const auto& e : data.events) {
      out.gap(3);
      event_section(out, e);
    }
    out.finish(env.id);
    pdf_font.finish();

    QPDFWriter writer(pdf);
    writer.setOutputMemory();
    writer.setDeterministicID(true);
    writer.write();
    auto buffer = writer.getBufferSharedPointer();
    return std::string(reinterpret_cast<const char*>(buffer->getBuffer()), buffer->getSize());
  } catch (const std::exception& e) {
    return fail(Errc::internal, "The certificate of completion cannot be rendered", e.what());
  }
}

}  // namespace cs::seal
