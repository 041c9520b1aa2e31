#include "seal/flatten.hpp"

#include <algorithm>
#include <cmath>
#include <exception>
#include <map>
#include <memory>
#include <set>

#include "seal/pdf_text.hpp"

#include <qpdf/QPDFAcroFormDocumentHelper.hh>
#include <qpdf/QPDFExc.hh>
#include <qpdf/QPDFPageDocumentHelper.hh>
#include <qpdf/QPDFPageObjectHelper.hh>
#include <qpdf/QPDFWriter.hh>

namespace cs::seal {

namespace {

constexpr std::string_view kSignatureInk = "0.05 0.1 0.45";

// The displayed page: the CropBox (falling back to the MediaBox) turned by /Rotate, exactly as
// esign's pdf_inspect measures it for the fields.
struct PageGeometry {
  double llx = 0, lly = 0, box_width = 0, box_height = 0;
  int rotate = 0;
  double displayed_width() const { return rotate % 180 == 0 ? box_width : box_height; }
  double displayed_height() const { return rotate % 180 == 0 ? box_height : box_width; }
  // The matrix from displayed space (origin bottom-left of the displayed page, y up) to the
  // page's user space. /Rotate turns the page clockwise for display, so this turns back.
  std::string matrix() const {
    double urx = llx + box_width, ury = lly + box_height;
    switch (rotate) {
      case 90: return "0 1 -1 0 " + pdf_number(urx) + " " + pdf_number(lly);
      case 180: return "-1 0 0 -1 " + pdf_number(urx) + " " + pdf_number(ury);
      case 270: return "0 -1 1 0 " + pdf_number(llx) + " " + pdf_number(ury);
      default: return "1 0 0 1 " + pdf_number(llx) + " " + pdf_number(lly);
    }
  }
};

Result<PageGeometry> geometry_of(QPDFPageObjectHelper& page) {
  auto box = page.getCropBox(false, false);
  if (!box.isRectangle()) return fail(Errc::pdf_invalid, "A page of the PDF has no valid page box");
  auto r = box.getArrayAsRectangle();
  PageGeometry g;
  g.llx = std::min(r.llx, r.urx);
  g.lly = std::min(r.lly, r.ury);
  g.box_width = std::fabs(r.urx - r.llx);
  g.box_height = std::fabs(r.ury - r.lly);
  auto rotate = page.getAttribute("/Rotate", false);
  if (rotate.isInteger()) {
    long long rot = rotate.getIntValue() % 360;
    if (rot < 0) rot += 360;
    g.rotate = static_cast<int>(rot) / 90 * 90;
  }
  return g;
}

// Vertically centres one line of `size` in a box of height h whose bottom is at y.
double baseline_in(const TrueTypeFont& font, double y, double h, double size) {
  double asc = font.ascent() * size / 1000, desc = font.descent() * size / 1000;
  return y + (h - (asc - desc)) / 2 - desc;
}

void draw_text_fitted(Canvas& canvas, double x, double y, double w, double h, double size,
                      std::u32string_view text, std::string_view rgb) {
  double pad = std::min(2.0, w * 0.05);
  double natural = canvas.font().width(text, size);
  if (natural > w - 2 * pad && natural > 0) size = std::max(3.0, size * (w - 2 * pad) / natural);
  canvas.text(x + pad, baseline_in(canvas.font().metrics(), y, h, size), size, text, rgb);
}

void draw_field(Canvas& canvas, QPDF& pdf, const FieldDrawing& f, double page_height) {
  // Displayed space has y up; fields count y down from the top.
  double x = f.x, y = page_height - f.y - f.height, w = f.width, h = f.height;
  if (!(w > 0) || !(h > 0)) return;
  // Nothing a value draws may leave its box.
  canvas.raw("q " + pdf_number(x) + " " + pdf_number(y) + " " + pdf_number(w) + " " + pdf_number(h) + " re W n\n");
  switch (f.kind) {
    case FieldDrawing::Kind::text:
      draw_text_fitted(canvas, x, y, w, h, std::min(h * 0.7, 12.0), decode_text(f.text), "0 0 0");
      break;
    case FieldDrawing::Kind::signature_text:
      draw_text_fitted(canvas, x, y, w, h, h * 0.6, decode_text(f.text), kSignatureInk);
      break;
    case FieldDrawing::Kind::image:
      if (f.image && f.image->width > 0 && f.image->height > 0) {
        double scale = std::min(w / f.image->width, h / f.image->height);
        double iw = f.image->width * scale, ih = f.image->height * scale;
        canvas.image(x + (w - iw) / 2, y + (h - ih) / 2, iw, ih, make_image_xobject(pdf, *f.image));
      }
      break;
    case FieldDrawing::Kind::check: canvas.check_mark(x, y, w, h); break;
  }
  canvas.raw("Q\n");
}

std::string write_pdf(QPDF& pdf) {
  QPDFWriter writer(pdf);
  writer.setOutputMemory();
  // The same input gives the same bytes, so a re-rendered document hashes the same.
  writer.setDeterministicID(true);
  writer.write();
  auto buffer = writer.getBufferSharedPointer();
  return std::string(reinterpret_cast<const char*>(buffer->getBuffer()), buffer->getSize());
}

}  // namespace

Result<std::string> flatten_pdf(std::string_view bytes, const std::vector<FieldDrawing>& fields,
                                std::shared_ptr<const TrueTypeFont> font) {
  try {
    QPDF pdf;
    pdf.setSuppressWarnings(true);
    pdf.processMemoryFile("document.pdf", bytes.data(), bytes.size());
    auto pages = QPDFPageDocumentHelper(pdf).getAllPages();
    std::map<int, std::vector<const FieldDrawing*>> by_page;
    for (const auto& f : fields) {
      if (f.page < 1 || static_cast<std::size_t>(f.page) > pages.size()) {
        return fail(Errc::pdf_invalid, "A field is on a page the document does not have", std::to_string(f.page));
      }
      by_page[f.page].push_back(&f);
    }
    PdfFont pdf_font(pdf, std::move(font));
    for (const auto& [number, on_page] : by_page) {
      auto& page = pages[static_cast<std::size_t>(number - 1)];
      auto geometry = CS_TRY(geometry_of(page));
      Canvas canvas(pdf_font);
      for (const auto* f : on_page) draw_field(canvas, pdf, *f, geometry.displayed_height());

      auto form = QPDFObjectHandle::newStream(&pdf, canvas.content());
      auto dict = form.getDict();
      dict.replaceKey("/Type", QPDFObjectHandle::newName("/XObject"));
      dict.replaceKey("/Subtype", QPDFObjectHandle::newName("/Form"));
      dict.replaceKey("/BBox", QPDFObjectHandle::newArray(QPDFObjectHandle::Rectangle(
                                   0, 0, geometry.displayed_width(), geometry.displayed_height())));
      dict.replaceKey("/Resources", canvas.resources(pdf));

      // Copies of inherited or shared dictionaries, so that only this page changes.
      auto resources = page.getAttribute("/Resources", true);
      if (!resources.isDictionary()) {
        resources = QPDFObjectHandle::newDictionary();
        page.getObjectHandle().replaceKey("/Resources", resources);
      }
      auto xobjects = resources.getKey("/XObject");
      if (!xobjects.isDictionary()) {
        xobjects = QPDFObjectHandle::newDictionary();
      } else if (xobjects.isIndirect()) {
        xobjects = xobjects.shallowCopy();
      }
      resources.replaceKey("/XObject", xobjects);
      int suffix = 1;
      std::string name = resources.getUniqueResourceName("/CsFields", suffix);
      xobjects.replaceKey(name, form);

      page.addPageContents(QPDFObjectHandle::newStream(&pdf, "q\n"), true);
      page.addPageContents(QPDFObjectHandle::newStream(&pdf, "\nQ\nq " + geometry.matrix() + " cm " + name + " Do Q\n"),
                           false);
    }
    pdf_font.finish();
    return write_pdf(pdf);
  } catch (const std::exception& e) {
    return fail(Errc::pdf_invalid, "The document cannot be flattened", e.what());
  }
}

Result<std::string> combine_pdfs(const std::vector<std::string>& pdfs) {
  try {
    QPDF out;
    out.emptyPDF();
    QPDFPageDocumentHelper out_pages(out);
    QPDFAcroFormDocumentHelper out_forms(out);
    // Copied pages read their stream data from the sources until the file is written.
    std::vector<std::unique_ptr<QPDF>> sources;
    for (const auto& bytes : pdfs) {
      auto& source = *sources.emplace_back(std::make_unique<QPDF>());
      source.setSuppressWarnings(true);
      source.processMemoryFile("part.pdf", bytes.data(), bytes.size());
      QPDFAcroFormDocumentHelper source_forms(source);
      for (auto& page : QPDFPageDocumentHelper(source).getAllPages()) {
        out_pages.addPage(page, false);
        if (source_forms.hasAcroForm()) {
          out_forms.fixCopiedAnnotations(out.getAllPages().back(), page.getObjectHandle(), source_forms);
        }
      }
    }
    return write_pdf(out);
  } catch (const std::exception& e) {
    return fail(Errc::internal, "The documents cannot be combined", e.what());
  }
}

}  // namespace cs::seal
