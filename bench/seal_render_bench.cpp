// Rendering a completed envelope for sealing (issue 7; DESIGN.md budget: sealing a completed
// 10-page envelope in < 200 ms): flattening a 10-page document with 3 signers' values, the
// certificate of completion and the combined PDF, without the database. Counters report the
// sizes, so the overhead over the original document is visible.
//
//   build-x/bench/bench_seal_render --benchmark_min_time=2
#include <benchmark/benchmark.h>

#include <cmath>

#include "esign/sample_pdf.hpp"
#include "seal/completed_envelope.hpp"
#include "seal/render.hpp"

namespace {

using namespace cs;

constexpr Micros kT0 = 1'767'225'600'000'000;

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

}  // namespace

BENCHMARK_MAIN();
