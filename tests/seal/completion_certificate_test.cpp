// The certificate of completion from a synthetic completed envelope: every piece of evidence is
// there as real text, user-supplied text is shown literally (never as PDF syntax), long text
// wraps and long histories break onto more pages, and qpdf --check accepts it.
#include <regex>

#include "render_support.hpp"
#include "seal/completion_certificate.hpp"
#include "seal/pdf_text.hpp"

namespace cs::seal::render_testing {
namespace {

constexpr Micros kT0 = 1'767'225'600'000'000;  // 2026-01-01T00:00:00Z

CompletedEnvelope envelope(int events) {
  CompletedEnvelope data;
  auto& env = data.envelope;
  env.id = "env_certtest123";
  env.account_id = "acc_1";
  env.status = esign::EnvelopeStatus::completed;
  env.email_subject = "Lease (unit 4) \\ renewal";
  env.created_at = kT0;
  env.sent_at = kT0 + 1'000'000;
  env.completed_at = kT0 + 9'000'000;
  esign::Recipient zoe;
  zoe.id = "rcp_zoe";
  zoe.name = "Zoë Ångström";
  zoe.email = "zoe@example.com";
  zoe.routing_order = 1;
  zoe.status = esign::RecipientStatus::completed;
  zoe.sent_at = kT0 + 1'000'000;
  zoe.delivered_at = kT0 + 2'000'000;
  zoe.delivered_ip = "198.51.100.7";
  zoe.delivered_user_agent = "Mozilla/5.0 (X11; Linux x86_64) ) Tj ET BT";
  zoe.disclosure_accepted_at = kT0 + 3'000'000;
  zoe.completed_at = kT0 + 4'000'000;
  zoe.acted_ip = "198.51.100.8";
  zoe.acted_user_agent = std::string(300, 'A') + "END";  // one long word: must wrap by characters
  zoe.signature_kind = "typed";
  zoe.signature_text = "Zoë Ångström";
  zoe.initials = "ZÅ";
  esign::Recipient bob = zoe;
  bob.id = "rcp_bob";
  bob.name = "Bob Baker";
  bob.email = "bob@example.com";
  bob.routing_order = 2;
  bob.signature_kind = "drawn";
  bob.signature_text.reset();
  bob.signature_sha256 = std::string(64, 'b');
  data.drawn_signatures[*bob.signature_sha256] = std::make_shared<DecodedImage>(decode_png(make_png(300, 100, 10)).value());
  env.recipients = {zoe, bob};
  for (int i = 0; i < events; ++i) {
    events::DomainEvent e;
    e.id = "evt_" + std::to_string(i);
    e.type = i == events - 1 ? "envelope.completed" : "recipient.delivered";
    e.envelope_id = env.id;
    e.recipient_id = "rcp_zoe";
    e.actor_type = "signer";
    e.actor_id = "rcp_zoe";
    e.ip = "203.0.113.9";
    e.user_agent = "Agent/" + std::to_string(i);
    e.data = {{"note", "step " + std::to_string(i)}};
    e.occurred_at = kT0 + i * 1'000'000LL;
    data.events.push_back(e);
  }
  return data;
}

std::vector<RenderedDocument> documents() {
  return {{"Lease.pdf", 3, std::string(64, '1'), std::string(64, '2')},
          {"Annex — Ω.pdf", 1, std::string(64, '3'), std::string(64, '4')}};
}

std::string squeeze(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c != '\n' && c != ' ') out += c;
  }
  return out;
}

class CompletionCertificateTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
  std::shared_ptr<const TrueTypeFont> font_ = TrueTypeFont::default_font().value();
};

TEST_F(CompletionCertificateTest, ShowsEveryPieceOfEvidence) {
  auto pdf = render_completion_certificate(envelope(3), documents(), font_);
  ASSERT_TRUE(pdf) << pdf.error().detail();
  auto check = qpdf_check(*pdf, dir_);
  EXPECT_EQ(check.exit_code, 0) << check.output;
  auto text = pdf_text(*pdf, dir_);
  for (const std::string& want : std::vector<std::string>{"env_certtest123", "Lease (unit 4) \\ renewal", "Lease.pdf", "Annex — Ω.pdf", "Pages: 3",
        "Original SHA-256: " + std::string(64, '1'), "Final SHA-256: " + std::string(64, '4'), "Zoë Ångström",
        "zoe@example.com", "Routing order 2", "2026-01-01T00:00:01", "2026-01-01T00:00:02", "2026-01-01T00:00:03",
        "2026-01-01T00:00:04", "198.51.100.7", "198.51.100.8", "Mozilla/5.0 (X11; Linux x86_64) ) Tj ET BT",
        "Initials: ZÅ", "Signature (drawn), SHA-256 of the image", std::string(64, 'b'), "envelope.completed",
        "recipient.delivered", "Agent/1", "\"note\":\"step 2\"", "evt_2", std::string(300, 'A') + "END"}) {
    // Long lines wrap (the 300-character user agent inside the word), so compare without the
    // line breaks and spaces.
    EXPECT_NE(squeeze(text).find(squeeze(want)), std::string::npos) << want << "\n" << text;
  }
  int pages = page_count(*pdf, dir_);
  EXPECT_NE(text.find("Page " + std::to_string(pages) + " of " + std::to_string(pages)), std::string::npos);
  // The drawn signature is an image on the page.
  write_file(dir_ / "images.pdf", *pdf);
  auto images = run("pdfimages -list " + (dir_ / "images.pdf").string());
  EXPECT_TRUE(std::regex_search(images.output, std::regex("image\\s+300\\s+100\\s+rgb"))) << images.output;
  EXPECT_TRUE(std::regex_search(images.output, std::regex("smask\\s+300\\s+100\\s+gray"))) << images.output;
}

TEST_F(CompletionCertificateTest, LongHistoriesBreakOntoMorePages) {
  auto pdf = render_completion_certificate(envelope(150), documents(), font_);
  ASSERT_TRUE(pdf) << pdf.error().detail();
  EXPECT_EQ(qpdf_check(*pdf, dir_).exit_code, 0);
  int pages = page_count(*pdf, dir_);
  EXPECT_GT(pages, 4);
  auto text = pdf_text(*pdf, dir_);
  EXPECT_NE(text.find("evt_0\n"), std::string::npos);
  EXPECT_NE(text.find("evt_149\n"), std::string::npos);
  EXPECT_NE(text.find("Page " + std::to_string(pages) + " of " + std::to_string(pages)), std::string::npos);
  // Every page is US Letter and nothing is drawn below the footer margin.
  for (int p = 1; p <= pages; ++p) {
    auto r = rasterize(*pdf, p, dir_);
    ASSERT_EQ(r.width, 612);
    ASSERT_EQ(r.height, 792);
    for (int y = 792 - 30; y < 792; ++y) {
      for (int x = 0; x < 612; ++x) ASSERT_GT(r.at(x, y), 200) << "page " << p << " ink at " << x << "," << y;
    }
  }
}

}  // namespace
}  // namespace cs::seal::render_testing
