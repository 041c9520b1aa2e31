// Sealing a completed envelope (issue 7; DESIGN.md budget: a completed 10-page envelope with 3
// signers sealed in < 200 ms), all on one envelope without the database:
//   BM_RenderTenPagesThreeSigners  flattening + the certificate of completion alone
//   BM_SealCompletedEnvelope  render (flatten + certificate) and PAdES-seal, what the job does
//                             apart from the database and blob writes
//   BM_PadesSealOnly          the PAdES incremental update + CMS alone, on the rendered PDF
//   BM_QpdfRewriteBaseline    qpdf reading and rewriting the same rendered PDF in memory: the
//                             cheapest whole-file operation a PDF library does, as the baseline
// Counters report the rendered and sealed sizes, so the seal's size overhead is visible.
//
//   build-x/bench/bench_seal --benchmark_min_time=2
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>

#define POINTERHOLDER_TRANSITION 4
#include <qpdf/Buffer.hh>
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFWriter.hh>

#include "crypto/field_cipher.hpp"
#include "crypto/keyring.hpp"
#include "esign/sample_pdf.hpp"
#include "seal/cms.hpp"
#include "seal/completed_envelope.hpp"
#include "seal/pades.hpp"
#include "seal/render.hpp"
#include "seal/signing_identity.hpp"
#include "store/migrations.hpp"

namespace {

using namespace cs;

constexpr Micros kT0 = 1'767'225'600'000'000;

// Ten pages, three signers (two typed, one drawn like signature_pad's output), initials on every
// page, signature, date, name, text and checkbox fields, 16 events.
seal::CompletedEnvelope ten_pages_three_signers() {
  seal::CompletedEnvelope data;
  auto& env = data.envelope;
  env.id = "env_bench";
  env.account_id = "acc_bench";
  env.status = esign::EnvelopeStatus::completed;
  env.email_subject = "Master services agreement";
  env.created_at = kT0;
  env.sent_at = env.completed_at = kT0 + 1'000'000;
  data.date_format = "D MMMM YYYY";
  std::vector<esign::PageSize> pages(10, {612, 792});
  auto pdf = esign::sample_pdf("Master services agreement", pages);
  esign::Document doc;
  doc.id = "doc_1";
  doc.name = "msa.pdf";
  doc.sha256 = std::string(64, 'a');
  doc.pages = pages;
  env.documents.push_back(doc);
  data.document_bytes.push_back(pdf);

  // A drawn signature as signature_pad makes them: 600 x 150, mostly transparent.
  auto ink = std::make_shared<seal::DecodedImage>();
  ink->width = 600, ink->height = 150;
  ink->rgb.assign(600 * 150 * 3, '\0');
  ink->alpha.assign(600 * 150, '\0');
  for (int x = 0; x < 600; ++x) {
    int y = 75 + static_cast<int>(40 * std::sin(x / 30.0));
    for (int t = -2; t <= 2; ++t) ink->alpha[static_cast<std::size_t>((y + t) * 600 + x)] = '\xff';
  }
  data.drawn_signatures[std::string(64, 'd')] = ink;

  const char* names[] = {"Alice Able", "Zoë Ångström", "Bob Baker"};
  for (int s = 0; s < 3; ++s) {
    esign::Recipient r;
    r.id = "rcp_" + std::to_string(s);
    r.name = names[s];
    r.email = "signer" + std::to_string(s) + "@example.com";
    r.routing_order = s + 1;
    r.status = esign::RecipientStatus::completed;
    r.sent_at = r.delivered_at = r.disclosure_accepted_at = r.completed_at = kT0 + s * 1'000'000LL;
    r.delivered_ip = r.disclosure_ip = r.acted_ip = "198.51.100." + std::to_string(s);
    r.delivered_user_agent = r.disclosure_user_agent = r.acted_user_agent =
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36";
    r.signature_kind = s == 2 ? "drawn" : "typed";
    if (s == 2) r.signature_sha256 = std::string(64, 'd');
    else r.signature_text = names[s];
    r.initials = esign::initials_of(names[s]);
    env.recipients.push_back(r);
    auto field = [&](esign::FieldType type, int page, double x, double y, double w, double h, std::string value) {
      esign::Field f;
      f.id = "fld_" + std::to_string(env.fields.size());
      f.document_id = doc.id;
      f.recipient_id = r.id;
      f.type = type, f.page = page, f.x = x, f.y = y, f.width = w, f.height = h, f.value = std::move(value);
      env.fields.push_back(f);
    };
    for (int p = 1; p <= 10; ++p) field(esign::FieldType::initials, p, 400 + 50 * s, 740, 40, 20, *r.initials);
    field(esign::FieldType::signature, 10, 72, 500 + 70 * s, 200, 50,
          s == 2 ? "drawn:" + std::string(64, 'd') : "typed:" + std::string(names[s]));
    field(esign::FieldType::date_signed, 10, 300, 520 + 70 * s, 120, 20, "2026-01-01");
    field(esign::FieldType::full_name, 10, 430, 520 + 70 * s, 150, 20, names[s]);
    field(esign::FieldType::text, 3, 72, 200 + 30 * s, 250, 20, "Purchase order 4711-" + std::to_string(s));
    field(esign::FieldType::checkbox, 4, 72, 300 + 30 * s, 14, 14, "true");
  }
  for (int i = 0; i < 16; ++i) {
    events::DomainEvent e;
    e.id = "evt_" + std::to_string(i);
    e.type = i == 15 ? "envelope.completed" : "recipient.delivered";
    e.envelope_id = env.id;
    e.actor_type = "signer";
    e.actor_id = "rcp_1";
    e.ip = "198.51.100.1";
    e.user_agent = "Mozilla/5.0";
    e.occurred_at = kT0 + i * 1'000'000LL;
    data.events.push_back(e);
  }
  return data;
}

// A sealing identity as a first run creates it (SQLite in a temporary file).
struct Identity {
  Identity() {
    path = std::filesystem::temp_directory_path() /
           ("cs-seal-bench-" + std::to_string(::getpid()) + ".db");
    db = store::open_database({path.string()}).value();
    (void)store::migrate(*db);
    id = seal::load_or_create_ca_identity(*db, cipher, clock).value();
  }
  ~Identity() {
    db.reset();
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
  }
  ManualClock clock;
  crypto::KeyRing ring = crypto::KeyRing::generate(clock);
  crypto::FieldCipher cipher{ring};
  std::filesystem::path path;
  std::unique_ptr<store::Database> db;
  seal::SigningIdentity id;
};

Identity& identity() {
  static Identity i;
  return i;
}

Result<std::string> seal(const std::string& pdf) {
  seal::PadesOptions options;
  options.signing_time = kT0;
  options.reason = "Completed envelope env_bench, sealed by Countersign";
  return seal::seal_pdf(pdf, options, [](std::string_view bytes) {
    return seal::sign_cades_detached(bytes, identity().id);
  });
}

void BM_RenderTenPagesThreeSigners(benchmark::State& state) {
  auto data = ten_pages_three_signers();
  std::size_t combined = 0, certificate = 0;
  for (auto _ : state) {
    auto out = seal::render_envelope(data);
    if (!out) {
      state.SkipWithError(out.error().detail().c_str());
      return;
    }
    combined = out->combined_pdf.size();
    certificate = out->certificate_pdf.size();
    benchmark::DoNotOptimize(out);
  }
  state.counters["original_bytes"] = static_cast<double>(data.document_bytes[0].size());
  state.counters["combined_bytes"] = static_cast<double>(combined);
  state.counters["certificate_bytes"] = static_cast<double>(certificate);
}
BENCHMARK(BM_RenderTenPagesThreeSigners)->Unit(benchmark::kMillisecond);

void BM_SealCompletedEnvelope(benchmark::State& state) {
  auto data = ten_pages_three_signers();
  std::size_t rendered = 0, sealed = 0;
  for (auto _ : state) {
    auto out = seal::render_envelope(data);
    if (!out) return state.SkipWithError(out.error().detail().c_str());
    auto signed_pdf = seal(out->combined_pdf);
    if (!signed_pdf) return state.SkipWithError(signed_pdf.error().detail().c_str());
    rendered = out->combined_pdf.size();
    sealed = signed_pdf->size();
    benchmark::DoNotOptimize(signed_pdf);
  }
  state.counters["rendered_bytes"] = static_cast<double>(rendered);
  state.counters["sealed_bytes"] = static_cast<double>(sealed);
  state.counters["seal_overhead_bytes"] = static_cast<double>(sealed - rendered);
}
BENCHMARK(BM_SealCompletedEnvelope)->Unit(benchmark::kMillisecond);

void BM_PadesSealOnly(benchmark::State& state) {
  auto rendered = seal::render_envelope(ten_pages_three_signers()).value().combined_pdf;
  for (auto _ : state) {
    auto signed_pdf = seal(rendered);
    if (!signed_pdf) return state.SkipWithError(signed_pdf.error().detail().c_str());
    benchmark::DoNotOptimize(signed_pdf);
  }
}
BENCHMARK(BM_PadesSealOnly)->Unit(benchmark::kMillisecond);

void BM_QpdfRewriteBaseline(benchmark::State& state) {
  auto rendered = seal::render_envelope(ten_pages_three_signers()).value().combined_pdf;
  for (auto _ : state) {
    QPDF pdf;
    pdf.processMemoryFile("rendered.pdf", rendered.data(), rendered.size());
    QPDFWriter writer(pdf);
    writer.setOutputMemory();
    writer.write();
    auto buffer = writer.getBufferSharedPointer();
    benchmark::DoNotOptimize(buffer);
  }
}
BENCHMARK(BM_QpdfRewriteBaseline)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
