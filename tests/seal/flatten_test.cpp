// Flattening on real PDFs: field values land where the signer saw the field on rotated pages,
// offset and odd-sized page boxes (checked on pdftoppm's pixels), nothing else on the page
// changes, text is real text (pdftotext, non-ASCII included), existing form fields and
// signature dictionaries survive, and qpdf --check accepts every output.
#include <cmath>
#include <cstdlib>
#include <regex>

#include "render_support.hpp"
#include "seal/flatten.hpp"
#include "seal/pdf_text.hpp"

namespace cs::seal::render_testing {
namespace {

std::shared_ptr<const TrueTypeFont> font() { return TrueTypeFont::default_font().value(); }

FixturePage rotated(int degrees) {
  FixturePage p;
  p.rotate = degrees;
  return p;
}

struct Box {
  double x, y, w, h;
  bool contains(int px, int py, double margin) const {
    return px + 0.5 >= x - margin && px + 0.5 <= x + w + margin && py + 0.5 >= y - margin && py + 0.5 <= y + h + margin;
  }
};

double dark_fraction(const Raster& r, const Box& b, double inset, int threshold = 100) {
  int dark = 0, all = 0;
  for (int y = 0; y < r.height; ++y) {
    for (int x = 0; x < r.width; ++x) {
      if (!Box{b.x + inset, b.y + inset, b.w - 2 * inset, b.h - 2 * inset}.contains(x, y, 0)) continue;
      ++all;
      dark += r.at(x, y) < threshold;
    }
  }
  return all ? static_cast<double>(dark) / all : 0;
}

// Pixels outside every box (with a margin for anti-aliasing) that differ from the original.
int changed_outside(const Raster& before, const Raster& after, const std::vector<Box>& boxes) {
  int changed = 0;
  for (int y = 0; y < after.height; ++y) {
    for (int x = 0; x < after.width; ++x) {
      bool inside = false;
      for (const auto& b : boxes) inside = inside || b.contains(x, y, 2);
      if (!inside && std::abs(int(before.at(x, y)) - int(after.at(x, y))) > 3) ++changed;
    }
  }
  return changed;
}

class FlattenTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
};

TEST_F(FlattenTest, FieldsLandWhereTheyAreDisplayedOnRotatedAndOffsetPages) {
  std::vector<FixturePage> spec(5);
  spec[1].crop = true, spec[1].crop_box[0] = 50, spec[1].crop_box[1] = 70, spec[1].crop_box[2] = 450,
  spec[1].crop_box[3] = 600, spec[1].rotate = 90;
  spec[2].media[0] = 100, spec[2].media[1] = 200, spec[2].media[2] = 400, spec[2].media[3] = 700, spec[2].rotate = 180;
  spec[3].crop = true, spec[3].crop_box[0] = 30, spec[3].crop_box[1] = 40, spec[3].crop_box[2] = 530,
  spec[3].crop_box[3] = 740, spec[3].rotate = 270;
  spec[4].media[2] = 400, spec[4].media[3] = 1200, spec[4].rotate = -90;  // tall and thin, same as 270
  const double displayed[5][2] = {{612, 792}, {530, 400}, {300, 500}, {700, 500}, {1200, 400}};
  auto original = fixture_pdf(spec);

  auto ink = std::make_shared<DecodedImage>(decode_png(make_png(60, 20)).value());
  std::vector<FieldDrawing> fields;
  std::vector<std::vector<Box>> boxes(5);
  for (int p = 1; p <= 5; ++p) {
    // Different places per page, all inside the displayed page.
    Box image{40.0 + 10 * p, 160.0 + 5 * p, 120, 40};
    Box check{150.0 + 7 * p, 250.0 + 3 * p, 30, 30};
    FieldDrawing a;
    a.kind = FieldDrawing::Kind::image, a.page = p, a.x = image.x, a.y = image.y, a.width = image.w, a.height = image.h;
    a.image = ink;
    FieldDrawing c;
    c.kind = FieldDrawing::Kind::check, c.page = p, c.x = check.x, c.y = check.y, c.width = check.w, c.height = check.h;
    fields.push_back(a);
    fields.push_back(c);
    boxes[p - 1] = {image, check};
  }
  auto flattened = flatten_pdf(original, fields, font());
  ASSERT_TRUE(flattened) << flattened.error().detail();
  auto check = qpdf_check(*flattened, dir_);
  EXPECT_EQ(check.exit_code, 0) << check.output;

  for (int p = 1; p <= 5; ++p) {
    SCOPED_TRACE("page " + std::to_string(p));
    auto before = rasterize(original, p, dir_);
    auto after = rasterize(*flattened, p, dir_);
    ASSERT_EQ(after.width, static_cast<int>(displayed[p - 1][0]));
    ASSERT_EQ(after.height, static_cast<int>(displayed[p - 1][1]));
    ASSERT_EQ(before.width, after.width);
    // The image fills its box (same aspect ratio), the check mark marks its box.
    EXPECT_GT(dark_fraction(after, boxes[p - 1][0], 2), 0.95);
    EXPECT_GT(dark_fraction(after, boxes[p - 1][1], 2), 0.08);
    EXPECT_LT(dark_fraction(before, boxes[p - 1][0], 2), 0.05);
    EXPECT_EQ(changed_outside(before, after, boxes[p - 1]), 0);
  }
}

TEST_F(FlattenTest, TransparentPartsOfADrawnSignatureStayTransparent) {
  auto original = fixture_pdf({FixturePage{}});
  FieldDrawing f;
  f.kind = FieldDrawing::Kind::image, f.page = 1, f.x = 300, f.y = 300, f.width = 80, f.height = 40;
  f.image = std::make_shared<DecodedImage>(decode_png(make_png(80, 40, 10)).value());
  auto flattened = flatten_pdf(original, {f}, font()).value();
  auto r = rasterize(flattened, 1, dir_);
  EXPECT_GT(dark_fraction(r, {312, 312, 56, 16}, 0), 0.95);  // the ink
  EXPECT_LT(dark_fraction(r, {301, 301, 78, 7}, 0), 0.01);   // the transparent border
  EXPECT_EQ(changed_outside(rasterize(original, 1, dir_), r, {{300, 300, 80, 40}}), 0);
}

TEST_F(FlattenTest, TextIsRealTextInTheEmbeddedFontWhateverTheCharacters) {
  auto original = fixture_pdf({FixturePage{}, rotated(90)});
  std::vector<FieldDrawing> fields;
  auto add = [&](FieldDrawing::Kind kind, int page, double y, std::string text) {
    FieldDrawing f;
    f.kind = kind, f.page = page, f.x = 72, f.y = y, f.width = 300, f.height = 24, f.text = std::move(text);
    fields.push_back(f);
  };
  add(FieldDrawing::Kind::signature_text, 1, 300, "Zoë Ångström");
  add(FieldDrawing::Kind::text, 1, 340, "Ship to: (Dock 4) \\ back) Tj ET");
  add(FieldDrawing::Kind::text, 2, 200, "Željko Ćosić 23.11.2026");
  auto flattened = flatten_pdf(original, fields, font());
  ASSERT_TRUE(flattened) << flattened.error().detail();
  EXPECT_EQ(qpdf_check(*flattened, dir_).exit_code, 0);
  auto text = pdf_text(*flattened, dir_);
  EXPECT_NE(text.find("Zoë Ångström"), std::string::npos) << text;
  EXPECT_NE(text.find("Ship to: (Dock 4) \\ back) Tj ET"), std::string::npos) << text;
  EXPECT_NE(text.find("Željko Ćosić 23.11.2026"), std::string::npos) << text;
  // The font is embedded, not substituted.
  write_file(dir_ / "fonts.pdf", *flattened);
  auto fonts = run("pdffonts " + (dir_ / "fonts.pdf").string());
  EXPECT_NE(fonts.output.find("DejaVuSans"), std::string::npos) << fonts.output;
  EXPECT_NE(fonts.output.find("CID TrueType"), std::string::npos) << fonts.output;
  EXPECT_TRUE(std::regex_search(fonts.output, std::regex("DejaVuSans\\s+CID TrueType\\s+Identity-H\\s+yes")))
      << fonts.output;
  // Dark pixels where the name was drawn, on the page as displayed.
  auto r = rasterize(*flattened, 1, dir_);
  EXPECT_GT(dark_fraction(r, {72, 300, 300, 24}, 0), 0.02);
}

TEST_F(FlattenTest, LongTextShrinksAndNeverLeavesItsBox) {
  auto original = fixture_pdf({FixturePage{}});
  FieldDrawing f;
  f.kind = FieldDrawing::Kind::text, f.page = 1, f.x = 100, f.y = 400, f.width = 60, f.height = 14;
  f.text = std::string(400, 'W');
  auto flattened = flatten_pdf(original, {f}, font()).value();
  auto before = rasterize(original, 1, dir_);
  auto after = rasterize(flattened, 1, dir_);
  EXPECT_EQ(changed_outside(before, after, {{100, 400, 60, 14}}), 0);
  EXPECT_GT(dark_fraction(after, {100, 400, 60, 14}, 0, 230), 0.05);  // shrunk to 3 pt: grey ink
}

TEST_F(FlattenTest, ExistingFormFieldsAndSignaturesAreKept) {
  auto original = pdf_with_form_fields();
  FieldDrawing f;
  f.kind = FieldDrawing::Kind::text, f.page = 1, f.x = 72, f.y = 200, f.width = 200, f.height = 20, f.text = "Added";
  auto flattened = flatten_pdf(original, {f}, font());
  ASSERT_TRUE(flattened) << flattened.error().detail();
  EXPECT_EQ(qpdf_check(*flattened, dir_).exit_code, 0);
  for (const auto& pdf_bytes : {*flattened, combine_pdfs({*flattened, *flattened}).value()}) {
    QPDF pdf;
    pdf.processMemoryFile("out.pdf", pdf_bytes.data(), pdf_bytes.size());
    auto form = pdf.getRoot().getKey("/AcroForm");
    ASSERT_TRUE(form.isDictionary());
    auto fields = form.getKey("/Fields");
    ASSERT_TRUE(fields.isArray());
    int pages = static_cast<int>(QPDFPageDocumentHelper(pdf).getAllPages().size());
    EXPECT_EQ(fields.getArrayNItems(), 2 * pages);
    int signatures = 0;
    for (auto& field : fields.getArrayAsVector()) {
      if (field.getKey("/FT").isNameAndEquals("/Sig")) {
        ++signatures;
        auto v = field.getKey("/V");
        EXPECT_EQ(v.getKey("/Contents").getStringValue(), std::string("\x30\x82\xAA\x55", 4));
        EXPECT_EQ(v.getKey("/ByteRange").unparse(), "[ 0 10 20 30 ]");
        EXPECT_EQ(v.getKey("/Name").getUTF8Value(), "Earlier Signer");
      } else {
        EXPECT_EQ(field.getKey("/V").getUTF8Value(), "Kept value");
      }
    }
    EXPECT_EQ(signatures, pages);
  }
  EXPECT_NE(pdf_text(*flattened, dir_).find("Added"), std::string::npos);
}

TEST_F(FlattenTest, CombinedKeepsEveryPageInOrder) {
  auto a = fixture_pdf({FixturePage{}, rotated(90)});
  auto b = esign::sample_pdf("Second document", {{300, 400}});
  auto combined = combine_pdfs({a, b});
  ASSERT_TRUE(combined) << combined.error().detail();
  EXPECT_EQ(qpdf_check(*combined, dir_).exit_code, 0);
  EXPECT_EQ(page_count(*combined, dir_), 3);
  auto text = pdf_text(*combined, dir_);
  EXPECT_LT(text.find("Fixture"), text.find("Second document"));
  EXPECT_EQ(rasterize(*combined, 2, dir_).width, 792);  // the rotation travels with the page
}

TEST_F(FlattenTest, RefusesFieldsOffTheDocumentAndBrokenPdfs) {
  auto original = fixture_pdf({FixturePage{}});
  FieldDrawing f;
  f.page = 2, f.width = 10, f.height = 10, f.text = "x";
  auto off = flatten_pdf(original, {f}, font());
  ASSERT_FALSE(off);
  EXPECT_EQ(off.error().errc(), Errc::pdf_invalid);
  auto junk = flatten_pdf("this is not a pdf", {}, font());
  ASSERT_FALSE(junk);
  EXPECT_EQ(junk.error().errc(), Errc::pdf_invalid);
}

}  // namespace
}  // namespace cs::seal::render_testing
