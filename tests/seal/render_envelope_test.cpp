// render_completed_envelope end to end on SQLite and PostgreSQL: an envelope created, sent and
// signed through the real esign services (one typed signer with a non-ASCII name, one drawn
// signature), then rendered: documents, pages and hashes, the values on the pages, the date in
// the account's format, the certificate, and the refusals for open and unknown envelopes.
#include <span>

#include "esign/esign_fixture.hpp"
#include "render_support.hpp"
#include "seal/render.hpp"

namespace cs::seal::render_testing {
namespace {

using esign::testing::describe;
using esign::testing::EsignTest;

std::string sha256_of(const std::string& s) {
  return store::sha256_hex(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
}

class RenderEnvelopeTest : public EsignTest {
 protected:
  // two_signers() plus a date and an initials field for Bob; Alice types a non-ASCII name, Bob
  // draws. The account writes dates as DD.MM.YYYY.
  esign::Envelope completed() {
    {
      auto conn = lease();
      EXPECT_TRUE(conn->exec("UPDATE accounts SET date_format = $1 WHERE id = $2", store::params("DD.MM.YYYY", account_)));
    }
    auto in = two_signers();
    in.fields.push_back({"contract", "2", esign::FieldType::date_signed, 2, 300, 660, 120, 20, true});
    in.fields.push_back({"contract", "2", esign::FieldType::full_name, 2, 300, 700, 200, 20, true});
    auto env = envelopes_->create(who(), in).value();
    EXPECT_TRUE(sign(token_for("alice@example.com"), "Zoë Ångström"));
    std::string bob = token_for("bob@example.com");
    esign::SignerContext ctx{"203.0.113.5", "Bob's Browser/2.0"};
    EXPECT_TRUE(signing_->accept_disclosure(bob, ctx));
    esign::AdoptedSignature drawn;
    drawn.kind = esign::AdoptedSignature::Kind::drawn;
    drawn.png = make_png(200, 40, 0, 0x10);
    auto finished = signing_->finish(bob, drawn, {}, ctx);
    EXPECT_TRUE(finished) << (finished ? "" : describe(finished.error()));
    return envelopes_->get(who(), env.id).value();
  }

  testing::TempDir dir_;
};

TEST_P(RenderEnvelopeTest, RendersTheCompletedEnvelope) {
  auto env = completed();
  ASSERT_EQ(env.status, esign::EnvelopeStatus::completed);
  auto conn = lease();
  auto rendered = render_completed_envelope(*conn, *blobs_, env.id);
  ASSERT_TRUE(rendered) << describe(rendered.error());
  EXPECT_EQ(rendered->envelope_id, env.id);
  ASSERT_EQ(rendered->documents.size(), 1u);
  const auto& doc = rendered->documents[0];
  EXPECT_EQ(doc.name, "contract.pdf");
  EXPECT_EQ(doc.pages, 2);
  EXPECT_EQ(doc.original_sha256, env.documents[0].sha256);
  EXPECT_EQ(doc.original_sha256, sha256_of(esign::sample_pdf("Contract", {{612, 792}, {612, 792}})));
  EXPECT_NE(doc.final_sha256, doc.original_sha256);
  EXPECT_TRUE(store::is_sha256_hex(doc.final_sha256));

  for (const auto* pdf : {&rendered->combined_pdf, &rendered->certificate_pdf}) {
    auto check = qpdf_check(*pdf, dir_);
    EXPECT_EQ(check.exit_code, 0) << check.output;
  }
  int certificate_pages = page_count(rendered->certificate_pdf, dir_);
  EXPECT_GE(certificate_pages, 1);
  EXPECT_EQ(page_count(rendered->combined_pdf, dir_), 2 + certificate_pages);

  auto text = pdf_text(rendered->combined_pdf, dir_);
  // The values on the pages: typed signature, text field, the date in the account's format.
  EXPECT_NE(text.find("Zoë Ångström"), std::string::npos) << text;
  EXPECT_NE(text.find("ACME Corp"), std::string::npos) << text;
  EXPECT_NE(text.find("01.01.2026"), std::string::npos) << text;
  EXPECT_NE(text.find("Bob Baker"), std::string::npos) << text;
  // The certificate pages follow, with the hashes of this very rendering.
  EXPECT_LT(text.find("ACME Corp"), text.find("Certificate of Completion"));
  auto certificate = pdf_text(rendered->certificate_pdf, dir_);
  for (const std::string& want : std::vector<std::string>{env.id, doc.original_sha256, doc.final_sha256,
                                                          "alice@example.com", "203.0.113.5", "Bob's Browser/2.0",
                                                          "recipient.completed", "envelope.completed"}) {
    EXPECT_NE(certificate.find(want), std::string::npos) << want << "\n" << certificate;
  }

  // Bob's drawn signature is ink in his field on page 2 (x 300, y 600, 200 x 40).
  auto page2 = rasterize(rendered->combined_pdf, 2, dir_);
  int dark = 0;
  for (int y = 602; y < 638; ++y) {
    for (int x = 302; x < 498; ++x) dark += page2.at(x, y) < 100;
  }
  EXPECT_GT(dark, 196 * 36 * 9 / 10);

  // Rendering is deterministic: the same envelope gives the same bytes and hashes.
  auto again = render_completed_envelope(*conn, *blobs_, env.id);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->documents[0].final_sha256, doc.final_sha256);
  EXPECT_EQ(sha256_of(again->combined_pdf), sha256_of(rendered->combined_pdf));
}

TEST_P(RenderEnvelopeTest, RefusesOpenAndUnknownEnvelopes) {
  auto open = envelopes_->create(who(), two_signers()).value();
  auto conn = lease();
  auto not_done = render_completed_envelope(*conn, *blobs_, open.id);
  ASSERT_FALSE(not_done);
  EXPECT_EQ(not_done.error().errc(), Errc::invalid_state);
  auto missing = render_completed_envelope(*conn, *blobs_, "env_doesnotexist");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().errc(), Errc::not_found);
}

TEST_P(RenderEnvelopeTest, TheDateFormatIsOneOfTheAllowedPatterns) {
  auto conn = lease();
  EXPECT_FALSE(conn->exec("UPDATE accounts SET date_format = $1 WHERE id = $2", store::params("YY-M-D", account_)));
  auto row = conn->query_one("SELECT date_format FROM accounts WHERE id = $1", store::params(account_)).value();
  ASSERT_TRUE(row);
  EXPECT_EQ(row->text(0), "YYYY-MM-DD");
}

CS_INSTANTIATE_BOTH_BACKENDS(RenderEnvelopeTest);

}  // namespace
}  // namespace cs::seal::render_testing
