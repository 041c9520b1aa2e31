// The PAdES seal on real PDFs, judged by real validators: poppler's pdfsig must report a valid
// signature over the whole document, qpdf --check must pass, and one changed byte must break it.
#include <gtest/gtest.h>

#include <openssl/cms.h>
#include <openssl/x509.h>

#include "esign/sample_pdf.hpp"
#include "pades_support.hpp"

namespace cs::seal::testing {
namespace {

class PadesTest : public ::testing::Test {
 protected:
  std::filesystem::path file(const std::string& name) { return dir_ / name; }

  // Seals `pdf`, writes it, and answers the path.
  std::filesystem::path sealed_file(const std::string& pdf, const std::string& name) {
    auto sealed = seal_with(pdf, id_, fixture_.clock().now());
    EXPECT_TRUE(sealed) << (sealed ? "" : sealed.error().detail());
    auto path = file(name);
    write_file(path, sealed.value_or(""));
    return path;
  }

  // The PDF qpdf writes with object streams and a cross-reference stream.
  std::string with_xref_stream(const std::string& pdf) {
    write_file(file("plain.pdf"), pdf);
    auto r = run("qpdf --object-streams=generate '" + file("plain.pdf").string() + "' '" +
                 file("xs.pdf").string() + "'");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return read_file(file("xs.pdf"));
  }

  cs::testing::TempDir dir_;
  IdentityFixture fixture_;
  SigningIdentity id_ = fixture_.identity();
  std::string pdf_ = esign::sample_pdf("Contract", {{612, 792}, {612, 792}, {595, 842}});
};

TEST_F(PadesTest, PdfsigAcceptsTheSealOverTheWholeDocument) {
  auto path = sealed_file(pdf_, "sealed.pdf");
  auto v = pdfsig(path);
  EXPECT_TRUE(v.valid) << v.output;
  EXPECT_TRUE(v.total_document) << v.output;
  EXPECT_NE(v.output.find("ETSI.CAdES.detached"), std::string::npos) << v.output;
  EXPECT_TRUE(qpdf_check(path));
}

TEST_F(PadesTest, IsAnIncrementalUpdateThatKeepsTheOriginalBytes) {
  auto sealed = read_file(sealed_file(pdf_, "sealed.pdf"));
  ASSERT_GT(sealed.size(), pdf_.size());
  EXPECT_EQ(sealed.substr(0, pdf_.size()), pdf_);
  // The update's trailer points back at the original cross-reference section.
  auto prev = pdf_.substr(pdf_.rfind("startxref") + 10);
  prev = prev.substr(0, prev.find('\n'));
  EXPECT_NE(sealed.find("/Prev " + prev, pdf_.size()), std::string::npos);
}

TEST_F(PadesTest, ByteRangeCoversEverythingButContents) {
  auto sealed = read_file(sealed_file(pdf_, "sealed.pdf"));
  auto sigs = find_signatures(sealed);
  ASSERT_TRUE(sigs);
  ASSERT_EQ(sigs->size(), 1u);
  const auto& s = sigs->front();
  EXPECT_EQ(s.filter, "Adobe.PPKLite");
  EXPECT_EQ(s.sub_filter, "ETSI.CAdES.detached");
  ASSERT_EQ(s.byte_range.size(), 4u);
  EXPECT_EQ(s.byte_range[0], 0);
  EXPECT_EQ(s.byte_range[2] + s.byte_range[3], static_cast<std::int64_t>(sealed.size()));
  EXPECT_EQ(sealed[static_cast<std::size_t>(s.byte_range[1])], '<');
  EXPECT_EQ(sealed[static_cast<std::size_t>(s.byte_range[2] - 1)], '>');
}

TEST_F(PadesTest, CmsHasTheBaselineAttributesAndNoSigningTime) {
  auto sealed = read_file(sealed_file(pdf_, "sealed.pdf"));
  auto sigs = find_signatures(sealed).value();
  const auto* p = reinterpret_cast<const unsigned char*>(sigs.at(0).contents.data());
  CMS_ContentInfo* cms =
      d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(sigs[0].contents.size()));
  ASSERT_NE(cms, nullptr);
  EXPECT_EQ(OBJ_obj2nid(CMS_get0_type(cms)), NID_pkcs7_signed);
  ASN1_OCTET_STRING** content = CMS_get0_content(cms);
  EXPECT_TRUE(content == nullptr || *content == nullptr);  // detached
  CMS_SignerInfo* si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
  EXPECT_GE(CMS_signed_get_attr_by_NID(si, NID_pkcs9_contentType, -1), 0);
  EXPECT_GE(CMS_signed_get_attr_by_NID(si, NID_pkcs9_messageDigest, -1), 0);
  EXPECT_GE(CMS_signed_get_attr_by_NID(si, NID_id_smime_aa_signingCertificateV2, -1), 0);
  EXPECT_LT(CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1), 0);  // PAdES B-B: /M instead
  X509_ALGOR* digest = nullptr;
  CMS_SignerInfo_get0_algs(si, nullptr, nullptr, &digest, nullptr);
  const ASN1_OBJECT* oid = nullptr;
  X509_ALGOR_get0(&oid, nullptr, nullptr, digest);
  EXPECT_EQ(OBJ_obj2nid(oid), NID_sha256);
  CMS_ContentInfo_free(cms);
  EXPECT_NE(sealed.find("/M (D:"), std::string::npos);
}

TEST_F(PadesTest, OneChangedByteInsideTheSignedRangeBreaksTheSeal) {
  auto sealed = read_file(sealed_file(pdf_, "sealed.pdf"));
  // A byte of the page content ("Contract" -> "Contrbct"), well inside the first range.
  auto at = sealed.find("(Contract)");
  ASSERT_NE(at, std::string::npos);
  sealed[at + 5] = 'b';
  write_file(file("tampered.pdf"), sealed);
  auto v = pdfsig(file("tampered.pdf"));
  EXPECT_FALSE(v.valid) << v.output;
}

TEST_F(PadesTest, CrossReferenceStreamInputGetsAStreamUpdate) {
  auto xs = with_xref_stream(pdf_);
  ASSERT_EQ(xs.find("\nxref"), std::string::npos);  // the fixture really uses an xref stream
  auto path = sealed_file(xs, "sealed-xs.pdf");
  auto sealed = read_file(path);
  EXPECT_NE(sealed.find("/Type /XRef", xs.size()), std::string::npos);
  auto v = pdfsig(path);
  EXPECT_TRUE(v.valid) << v.output;
  EXPECT_TRUE(v.total_document) << v.output;
  EXPECT_TRUE(qpdf_check(path));
}

TEST_F(PadesTest, ExistingFormFieldsAndAnnotationsAreKept) {
  // A text field on page 1 (indirect AcroForm, indirect /Annots on the last page as well).
  std::string pdf =
      "%PDF-1.7\n"
      "1 0 obj\n<< /Type /Catalog /Pages 2 0 R /AcroForm 5 0 R >>\nendobj\n"
      "2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
      "3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 300] /Annots 6 0 R >>\nendobj\n"
      "4 0 obj\n<< /Type /Annot /Subtype /Widget /FT /Tx /T (name) /V (Ann) /Rect [10 10 100 30] "
      "/P 3 0 R >>\nendobj\n"
      "5 0 obj\n<< /Fields [4 0 R] /DA (/Helv 0 Tf 0 g) >>\nendobj\n"
      "6 0 obj\n[4 0 R]\nendobj\n";
  std::vector<std::size_t> offs;
  std::size_t pos = 0;
  for (int i = 1; i <= 6; ++i) {
    pos = pdf.find(std::to_string(i) + " 0 obj", pos);
    offs.push_back(pos);
  }
  std::size_t xref = pdf.size();
  pdf += "xref\n0 7\n0000000000 65535 f \n";
  for (auto o : offs) {
    char line[24];
    std::snprintf(line, sizeof line, "%010zu 00000 n \n", o);
    pdf += line;
  }
  pdf += "trailer\n<< /Size 7 /Root 1 0 R >>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n";
  write_file(file("form.pdf"), pdf);
  ASSERT_TRUE(qpdf_check(file("form.pdf")));

  auto path = sealed_file(pdf, "form-sealed.pdf");
  auto v = pdfsig(path);
  EXPECT_TRUE(v.valid) << v.output;
  EXPECT_TRUE(v.total_document) << v.output;
  EXPECT_TRUE(qpdf_check(path));
  auto fields = run("qpdf --show-object=5 '" + path.string() + "'");
  EXPECT_NE(fields.output.find("4 0 R"), std::string::npos)
      << fields.output;  // the text field stays
  EXPECT_NE(fields.output.find("/SigFlags 3"), std::string::npos) << fields.output;
  EXPECT_NE(fields.output.find("/DA"), std::string::npos) << fields.output;
  auto annots = run("qpdf --show-object=6 '" + path.string() + "'");
  EXPECT_NE(annots.output.find("4 0 R"), std::string::npos) << annots.output;
  EXPECT_NE(annots.output.find("8 0 R"), std::string::npos) << annots.output;  // our widget
}

TEST_F(PadesTest, SealingASealedFileAddsASecondSignatureAndKeepsTheFirst) {
  auto once = read_file(sealed_file(pdf_, "once.pdf"));
  auto twice_path = sealed_file(once, "twice.pdf");
  auto sigs = find_signatures(read_file(twice_path)).value();
  ASSERT_EQ(sigs.size(), 2u);
  EXPECT_NE(sigs[0].field_name, sigs[1].field_name);
  auto v = run("pdfsig '" + twice_path.string() + "'");
  EXPECT_NE(v.output.find("Signature #2"), std::string::npos) << v.output;
  EXPECT_TRUE(qpdf_check(twice_path));
}

TEST_F(PadesTest, RefusesWhatIsNotAReadablePdf) {
  auto garbage = seal_with("this is not a PDF at all", id_, 0);
  ASSERT_FALSE(garbage);
  EXPECT_EQ(garbage.error().errc(), Errc::pdf_invalid);

  write_file(file("plain.pdf"), pdf_);
  auto r = run("qpdf --encrypt '' owner 256 -- '" + file("plain.pdf").string() + "' '" +
               file("enc.pdf").string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto encrypted = seal_with(read_file(file("enc.pdf")), id_, 0);
  ASSERT_FALSE(encrypted);
  EXPECT_EQ(encrypted.error().errc(), Errc::pdf_encrypted);
}

TEST_F(PadesTest, ACmsLargerThanTheReservedSpaceFailsInsteadOfTruncating) {
  PadesOptions options;
  options.contents_capacity = 64;
  auto sealed = seal_pdf(pdf_, options,
                         [&](std::string_view bytes) { return sign_cades_detached(bytes, id_); });
  ASSERT_FALSE(sealed);
  EXPECT_EQ(sealed.error().errc(), Errc::internal);
}

}  // namespace
}  // namespace cs::seal::testing
