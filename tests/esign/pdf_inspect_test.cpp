// PDF inspection (issue 4 §1 "checked as a real PDF with qpdf"): real files made with the qpdf
// CLI and library, never hand-waved bytes.
#define POINTERHOLDER_TRANSITION 4
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <qpdf/QPDF.hh>
#include <qpdf/QPDFPageDocumentHelper.hh>
#include <qpdf/QPDFWriter.hh>

#include "esign/pdf_inspect.hpp"
#include "esign/sample_pdf.hpp"
#include "support/temp_dir.hpp"

namespace cs::esign {
namespace {

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::filesystem::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary);
  out << bytes;
}

// Runs the qpdf CLI on `input`, answering the output file's bytes.
std::string qpdf_cli(const std::string& input, const std::string& args) {
  cs::testing::TempDir dir;
  write_file(dir / "in.pdf", input);
  std::string cmd = "qpdf " + args + " " + (dir / "in.pdf").string() + " " + (dir / "out.pdf").string();
  int rc = std::system(cmd.c_str());
  EXPECT_EQ(rc, 0) << cmd;
  return read_file(dir / "out.pdf");
}

TEST(PdfInspect, ReadsPageCountAndOddSizes) {
  auto info = inspect_pdf(sample_pdf("Three pages", {{612, 792}, {595.28, 841.89}, {200.5, 1000}}));
  ASSERT_TRUE(info) << info.error().detail();
  EXPECT_EQ(info->page_count, 3);
  ASSERT_EQ(info->pages.size(), 3u);
  EXPECT_NEAR(info->pages[1].width, 595.28, 0.01);
  EXPECT_NEAR(info->pages[1].height, 841.89, 0.01);
  EXPECT_NEAR(info->pages[2].width, 200.5, 0.01);
  EXPECT_NEAR(info->pages[2].height, 1000, 0.01);
}

TEST(PdfInspect, RotatedPagesSwapWidthAndHeight) {
  auto rotated = qpdf_cli(sample_pdf("Rotated", {{612, 792}, {612, 792}}), "--rotate=+90:2");
  auto info = inspect_pdf(rotated);
  ASSERT_TRUE(info) << info.error().detail();
  EXPECT_NEAR(info->pages[0].width, 612, 0.01);
  EXPECT_NEAR(info->pages[1].width, 792, 0.01);
  EXPECT_NEAR(info->pages[1].height, 612, 0.01);
}

TEST(PdfInspect, CropBoxWinsOverMediaBox) {
  std::string base = sample_pdf("Cropped");
  QPDF pdf;
  pdf.processMemoryFile("in", base.data(), base.size());
  auto page = QPDFPageDocumentHelper(pdf).getAllPages().front();
  page.getObjectHandle().replaceKey("/CropBox", QPDFObjectHandle::newFromRectangle({50, 50, 350, 450}));
  QPDFWriter w(pdf);
  w.setOutputMemory();
  w.write();
  auto buf = w.getBufferSharedPointer();
  std::string bytes(reinterpret_cast<const char*>(buf->getBuffer()), buf->getSize());
  auto info = inspect_pdf(bytes);
  ASSERT_TRUE(info) << info.error().detail();
  EXPECT_NEAR(info->pages[0].width, 300, 0.01);
  EXPECT_NEAR(info->pages[0].height, 400, 0.01);
}

TEST(PdfInspect, RefusesNonPdf) {
  auto info = inspect_pdf("hello, this is not a PDF at all");
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().errc(), Errc::pdf_invalid);
}

TEST(PdfInspect, RefusesTruncatedPdf) {
  std::string pdf = sample_pdf("Truncated", {{612, 792}, {612, 792}});
  auto info = inspect_pdf(pdf.substr(0, pdf.size() / 2));
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().errc(), Errc::pdf_invalid);
}

TEST(PdfInspect, RefusesEncryptedPdfEvenWithEmptyUserPassword) {
  std::string plain = sample_pdf("Secret");
  for (const char* args : {"--encrypt user owner 256 --", "--encrypt \"\" owner 256 --"}) {
    auto info = inspect_pdf(qpdf_cli(plain, args));
    ASSERT_FALSE(info) << args;
    EXPECT_EQ(info.error().errc(), Errc::pdf_encrypted) << args;
  }
}

TEST(PdfInspect, SamplePdfPassesQpdfCheck) {
  cs::testing::TempDir dir;
  write_file(dir / "s.pdf", sample_pdf("Checked"));
  std::string cmd = "qpdf --check " + (dir / "s.pdf").string() + " > /dev/null";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
}

}  // namespace
}  // namespace cs::esign
