// Shared by the render tests: fixture PDFs built with qpdf (rotated pages, offset page boxes,
// form fields), PNGs written with libpng, and the real poppler/qpdf tools run on the output.
#pragma once

#include <gtest/gtest.h>
#include <png.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#define POINTERHOLDER_TRANSITION 4
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFPageDocumentHelper.hh>
#include <qpdf/QPDFPageObjectHelper.hh>
#include <qpdf/QPDFWriter.hh>

#include "esign/sample_pdf.hpp"
#include "shell_support.hpp"
#include "support/temp_dir.hpp"

namespace cs::seal::render_testing {

using shell::CommandResult;
using shell::read_file;
using shell::run;
using shell::write_file;

// Page geometry of a fixture page: the MediaBox, an optional CropBox and /Rotate.
struct FixturePage {
  double media[4] = {0, 0, 612, 792};
  bool crop = false;
  double crop_box[4] = {0, 0, 0, 0};
  int rotate = 0;
};

inline QPDFObjectHandle rect(const double (&r)[4]) {
  return QPDFObjectHandle::newArray(QPDFObjectHandle::Rectangle(r[0], r[1], r[2], r[3]));
}

inline std::string write_qpdf(QPDF& pdf) {
  QPDFWriter w(pdf);
  w.setOutputMemory();
  w.write();
  auto b = w.getBufferSharedPointer();
  return std::string(reinterpret_cast<const char*>(b->getBuffer()), b->getSize());
}

// A PDF with one page per entry, each showing text (esign's sample PDF, then the boxes and
// rotation set with qpdf).
inline std::string fixture_pdf(const std::vector<FixturePage>& spec) {
  std::vector<esign::PageSize> sizes(spec.size(), {612, 792});
  auto base = esign::sample_pdf("Fixture", sizes);
  QPDF pdf;
  pdf.processMemoryFile("fixture.pdf", base.data(), base.size());
  auto pages = QPDFPageDocumentHelper(pdf).getAllPages();
  for (std::size_t i = 0; i < spec.size(); ++i) {
    auto page = pages[i].getObjectHandle();
    page.replaceKey("/MediaBox", rect(spec[i].media));
    if (spec[i].crop) page.replaceKey("/CropBox", rect(spec[i].crop_box));
    if (spec[i].rotate) page.replaceKey("/Rotate", QPDFObjectHandle::newInteger(spec[i].rotate));
  }
  return write_qpdf(pdf);
}

// A one-page PDF with an existing text field (with a value and appearance) and a signed
// signature field, as other tools leave them.
inline std::string pdf_with_form_fields() {
  auto base = esign::sample_pdf("Form", {{612, 792}});
  QPDF pdf;
  pdf.processMemoryFile("form.pdf", base.data(), base.size());
  auto page = QPDFPageDocumentHelper(pdf).getAllPages().at(0).getObjectHandle();
  auto ap = QPDFObjectHandle::newStream(&pdf, "0 0 1 rg 0 0 100 20 re f");
  ap.getDict().replaceKey("/Type", QPDFObjectHandle::newName("/XObject"));
  ap.getDict().replaceKey("/Subtype", QPDFObjectHandle::newName("/Form"));
  ap.getDict().replaceKey("/BBox", QPDFObjectHandle::parse("[0 0 100 20]"));
  auto text = pdf.makeIndirectObject(QPDFObjectHandle::parse(
      "<< /Type /Annot /Subtype /Widget /FT /Tx /T (existing_text) /V (Kept value) /Rect [400 700 500 720] /F 4 >>"));
  auto aps = QPDFObjectHandle::newDictionary();
  aps.replaceKey("/N", ap);
  text.replaceKey("/AP", aps);
  text.replaceKey("/P", page);
  auto sig_value = pdf.makeIndirectObject(QPDFObjectHandle::parse(
      "<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached /Name (Earlier Signer) "
      "/ByteRange [0 10 20 30] /Contents <3082AA55> >>"));
  auto sig = pdf.makeIndirectObject(QPDFObjectHandle::parse(
      "<< /Type /Annot /Subtype /Widget /FT /Sig /T (existing_signature) /Rect [0 0 0 0] /F 132 >>"));
  sig.replaceKey("/V", sig_value);
  sig.replaceKey("/P", page);
  page.replaceKey("/Annots", QPDFObjectHandle::newArray({text, sig}));
  auto form = pdf.makeIndirectObject(QPDFObjectHandle::parse("<< /SigFlags 3 >>"));
  form.replaceKey("/Fields", QPDFObjectHandle::newArray({text, sig}));
  pdf.getRoot().replaceKey("/AcroForm", form);
  return write_qpdf(pdf);
}

// An RGBA PNG: a solid square of `ink` inside a transparent border of `border` pixels.
inline std::string make_png(std::uint32_t width, std::uint32_t height, std::uint32_t border = 0,
                            unsigned char ink = 0) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = width;
  image.height = height;
  image.format = PNG_FORMAT_RGBA;
  std::vector<png_byte> pixels(PNG_IMAGE_SIZE(image), 0);
  for (std::uint32_t y = 0; y < height; ++y) {
    for (std::uint32_t x = 0; x < width; ++x) {
      bool inside = x >= border && y >= border && x + border < width && y + border < height;
      png_byte* p = &pixels[(static_cast<std::size_t>(y) * width + x) * 4];
      p[0] = p[1] = p[2] = ink;
      p[3] = inside ? 255 : 0;
    }
  }
  png_alloc_size_t size = 0;
  png_image_write_to_memory(&image, nullptr, &size, 0, pixels.data(), 0, nullptr);
  std::string out(size, '\0');
  EXPECT_TRUE(png_image_write_to_memory(&image, out.data(), &size, 0, pixels.data(), 0, nullptr)) << image.message;
  out.resize(size);
  png_image_free(&image);
  return out;
}

// A grey-scale raster of one page as displayed (CropBox, rotation), at 72 DPI (one pixel per point).
struct Raster {
  int width = 0, height = 0;
  std::vector<unsigned char> pixels;
  unsigned char at(int x, int y) const { return pixels[static_cast<std::size_t>(y) * width + x]; }
};

inline Raster rasterize(const std::string& pdf, int page, const testing::TempDir& dir) {
  static int counter = 0;
  std::string stem = "r" + std::to_string(++counter);
  write_file(dir / (stem + ".pdf"), pdf);
  auto r = run("pdftoppm -r 72 -gray -cropbox -singlefile -f " + std::to_string(page) + " -l " + std::to_string(page) + " " +
               (dir / (stem + ".pdf")).string() + " " + (dir / stem).string());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  std::string pgm = read_file(dir / (stem + ".pgm"));
  Raster out;
  int maxval = 0;
  int consumed = 0;
  if (std::sscanf(pgm.c_str(), "P5 %d %d %d%n", &out.width, &out.height, &maxval, &consumed) != 3) {
    ADD_FAILURE() << "not a PGM";
    return out;
  }
  std::size_t start = static_cast<std::size_t>(consumed) + 1;
  out.pixels.assign(pgm.begin() + static_cast<std::ptrdiff_t>(start), pgm.end());
  EXPECT_EQ(out.pixels.size(), static_cast<std::size_t>(out.width) * out.height);
  return out;
}

inline CommandResult qpdf_check(const std::string& pdf, const testing::TempDir& dir) {
  static int counter = 0;
  auto path = dir / ("check" + std::to_string(++counter) + ".pdf");
  write_file(path, pdf);
  return run("qpdf --check " + path.string());
}

inline std::string pdf_text(const std::string& pdf, const testing::TempDir& dir) {
  static int counter = 0;
  auto path = dir / ("text" + std::to_string(++counter) + ".pdf");
  write_file(path, pdf);
  return run("pdftotext -enc UTF-8 " + path.string() + " -").output;
}

inline int page_count(const std::string& pdf, const testing::TempDir& dir) {
  static int counter = 0;
  auto path = dir / ("pages" + std::to_string(++counter) + ".pdf");
  write_file(path, pdf);
  return std::stoi(run("qpdf --show-npages " + path.string()).output);
}

}  // namespace cs::seal::render_testing
