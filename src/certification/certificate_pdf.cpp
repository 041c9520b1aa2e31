#include "certification/certificate_pdf.hpp"

#include <cstdio>
#include <string_view>

#include "esign/sample_pdf.hpp"

namespace cs::certification {

namespace {

constexpr double kPageWidth = 612;
constexpr double kPageHeight = 792;
constexpr double kMargin = 72;
constexpr double kLine = 15;
constexpr std::size_t kMaxTitleChars = 78;

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

// A PDF literal string; a UTF-8 sequence becomes one '?' (Helvetica's standard encoding has
// no glyphs for it), control characters become '?'.
std::string pdf_string(std::string_view s) {
  std::string out = "(";
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      while (i + 1 < s.size() && (static_cast<unsigned char>(s[i + 1]) & 0xC0) == 0x80) ++i;
      out += '?';
      continue;
    }
    if (c == '(' || c == ')' || c == '\\') out += '\\';
    out += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
  }
  return out + ")";
}

std::string clip(std::string_view s, std::size_t max) {
  if (s.size() <= max) return std::string(s);
  return std::string(s.substr(0, max - 3)) + "...";
}

// Builds page content streams top-down; y is measured from the page's top edge.
class Pages {
 public:
  Pages() { pages_.emplace_back(); }

  void text(const char* font, double size, double x, std::string_view s) {
    pages_.back() += "BT /" + std::string(font) + " " + num(size) + " Tf " + num(x) + " " +
                     num(kPageHeight - y_) + " Td " + pdf_string(s) + " Tj ET\n";
  }
  void rule(double x, double width) {
    pages_.back() += "0.5 w " + num(x) + " " + num(kPageHeight - y_) + " m " + num(x + width) +
                     " " + num(kPageHeight - y_) + " l S\n";
  }
  void down(double dy) { y_ += dy; }
  // Starts a new page when fewer than `needed` points remain above the bottom margin.
  void keep(double needed) {
    if (y_ + needed <= kPageHeight - kMargin) return;
    pages_.emplace_back();
    y_ = kMargin;
  }
  double y() const { return y_; }
  int page() const { return static_cast<int>(pages_.size()); }
  const std::vector<std::string>& contents() const { return pages_; }

 private:
  std::vector<std::string> pages_;
  double y_ = kMargin;
};

std::string assemble(const std::vector<std::string>& contents) {
  // Objects: 1 catalog, 2 page tree, 3 Helvetica, 4 Helvetica-Bold, then per page: page, content.
  std::vector<std::string> objects;
  std::string kids;
  for (std::size_t i = 0; i < contents.size(); ++i) kids += std::to_string(5 + 2 * i) + " 0 R ";
  objects.push_back("<< /Type /Catalog /Pages 2 0 R >>");
  objects.push_back("<< /Type /Pages /Kids [" + kids + "] /Count " +
                    std::to_string(contents.size()) + " >>");
  objects.push_back(
      "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>");
  objects.push_back(
      "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>");
  for (std::size_t i = 0; i < contents.size(); ++i) {
    objects.push_back("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 " + num(kPageWidth) + " " +
                      num(kPageHeight) +
                      "] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents " +
                      std::to_string(6 + 2 * i) + " 0 R >>");
    objects.push_back("<< /Length " + std::to_string(contents[i].size()) + " >>\nstream\n" +
                      contents[i] + "endstream");
  }
  return esign::write_pdf(objects);
}

}  // namespace

CertificatePdf render_certificate(const CertificateContent& c) {
  Pages p;
  p.down(10);
  p.text("F2", 22, kMargin, "Certificate of Certification");
  p.down(22);
  p.text("F1", 11, kMargin, "Countersign partner certification program");
  p.down(30);
  const std::pair<std::string_view, std::string> facts[] = {
      {"Application", c.app_name},
      {"Version", std::to_string(c.version_number)},
      {"Integration key", c.client_id},
      {"Partner", c.partner_name},
      {"Certification", c.kind == "recertification" ? "Recertification" : "Initial certification"},
      {"Catalogue version", c.catalogue_version},
      {"Request", c.request_id},
      {"Issued", c.issued_on},
  };
  for (const auto& [label, value] : facts) {
    p.text("F2", 11, kMargin, std::string(label) + ":");
    p.text("F1", 11, kMargin + 120, clip(value, 70));
    p.down(kLine + 2);
  }
  p.down(12);
  p.text("F1", 11, kMargin,
         "The application named above was judged against every requirement listed below and met "
         "each of them.");
  p.down(24);
  p.text("F2", 13, kMargin, "Requirements judged (" + std::to_string(c.requirements.size()) + ")");
  p.down(20);
  for (const auto& r : c.requirements) {
    p.keep(kLine);
    p.text("F2", 10, kMargin, r.id);
    p.text("F1", 10, kMargin + 70, clip(r.title, kMaxTitleChars));
    p.down(kLine);
  }

  // The approver's block stays together on one page.
  p.down(24);
  p.keep(150);
  p.text("F2", 13, kMargin, "Final approval");
  p.down(18);
  p.text("F1", 10, kMargin, "Final approver: " + clip(c.approver_name, 80));
  p.down(16);
  CertificatePdf out;
  out.signature = {p.page(), kMargin, p.y() + 4, 220, 48};
  out.date_signed = {p.page(), kMargin + 290, p.y() + 28, 150, 24};
  p.down(56);
  p.rule(kMargin, 220);
  p.rule(kMargin + 290, 150);
  p.down(14);
  p.text("F1", 9, kMargin, "Signature of the final approver");
  p.text("F1", 9, kMargin + 290, "Date signed");

  out.bytes = assemble(p.contents());
  out.page_count = p.page();
  return out;
}

}  // namespace cs::certification
