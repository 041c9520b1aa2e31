#include "esign/pdf_inspect.hpp"

#include <cmath>
#include <exception>
#include <string>

// qpdf 11: opt out of the deprecated PointerHolder (std::shared_ptr everywhere).
#define POINTERHOLDER_TRANSITION 4
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFExc.hh>
#include <qpdf/QPDFPageDocumentHelper.hh>
#include <qpdf/QPDFPageObjectHelper.hh>

namespace cs::esign {

namespace {

constexpr std::size_t kHeaderWindow = 1024;  // PDF readers accept junk before %PDF- up to 1 KiB
constexpr int kMaxPages = 2000;

int normalised_rotation(QPDFPageObjectHelper& page) {
  auto rotate = page.getAttribute("/Rotate", false);
  if (!rotate.isInteger()) return 0;
  long long r = rotate.getIntValue() % 360;
  if (r < 0) r += 360;
  return static_cast<int>(r);
}

}  // namespace

Result<PdfInfo> inspect_pdf(std::string_view bytes) {
  auto header = bytes.substr(0, kHeaderWindow).find("%PDF-");
  if (header == std::string_view::npos) return fail(Errc::pdf_invalid, "The document is not a PDF");
  try {
    QPDF pdf;
    pdf.setSuppressWarnings(true);
    // A damaged file must be refused, not silently reconstructed: what the signer sees has to
    // be exactly what was uploaded.
    pdf.setAttemptRecovery(false);
    pdf.processMemoryFile("document.pdf", bytes.data(), bytes.size());
    if (pdf.isEncrypted()) return fail(Errc::pdf_encrypted, "Encrypted or password-protected PDFs are not accepted");
    auto pages = QPDFPageDocumentHelper(pdf).getAllPages();
    if (pages.empty()) return fail(Errc::pdf_invalid, "The PDF has no pages");
    if (pages.size() > static_cast<std::size_t>(kMaxPages)) {
      return fail(Errc::pdf_invalid, "The PDF has more than " + std::to_string(kMaxPages) + " pages");
    }
    PdfInfo info;
    info.page_count = static_cast<int>(pages.size());
    for (auto& page : pages) {
      auto box = page.getCropBox(false, false);
      if (!box.isRectangle()) return fail(Errc::pdf_invalid, "A page of the PDF has no valid page box");
      auto r = box.getArrayAsRectangle();
      double w = std::fabs(r.urx - r.llx);
      double h = std::fabs(r.ury - r.lly);
      if (!(w > 0) || !(h > 0) || !std::isfinite(w) || !std::isfinite(h)) {
        return fail(Errc::pdf_invalid, "A page of the PDF has an empty page box");
      }
      int rot = normalised_rotation(page);
      if (rot == 90 || rot == 270) std::swap(w, h);
      info.pages.push_back({w, h});
    }
    if (pdf.anyWarnings()) return fail(Errc::pdf_invalid, "The PDF is damaged");
    return info;
  } catch (const QPDFExc& e) {
    // A user password that is not empty: qpdf cannot even open it.
    if (e.getErrorCode() == qpdf_e_password) {
      return fail(Errc::pdf_encrypted, "Encrypted or password-protected PDFs are not accepted", e.what());
    }
    return fail(Errc::pdf_invalid, "The PDF is damaged or unreadable", e.what());
  } catch (const std::exception& e) {
    return fail(Errc::pdf_invalid, "The PDF is damaged or unreadable", e.what());
  }
}

}  // namespace cs::esign
