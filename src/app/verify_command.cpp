// `countersign verify FILE.pdf` (issue 7): checks a sealed document offline against this
// deployment (its sealing CA or configured PKCS#12 chain, and its record of sealed files).
// Prints the JSON summary on stdout and exits 0 only when every check passed; otherwise it
// still prints the summary, names the reason on stderr and exits 1.
#include <fstream>
#include <iostream>
#include <iterator>

#include "app/commands.hpp"
#include "app/runtime.hpp"
#include "seal/verify.hpp"

namespace cs::app {

int cmd_verify(const Config& config, const VerifyArgs& args) {
  OutputOptions out{.json = true};
  std::ifstream in(args.file, std::ios::binary);
  if (!in) return report_failure(Error(Errc::invalid_request, "cannot read " + args.file), out);
  std::string pdf(std::istreambuf_iterator<char>(in), {});

  auto opened = open_runtime(config);
  if (!opened) return report_failure(opened.error(), out);
  Runtime& rt = **opened;
  auto anchors = seal::deployment_trust_anchors(*rt.db, config.seal_pkcs12_file);
  if (!anchors) return report_failure(anchors.error(), out);
  auto report = seal::verify_sealed_pdf(pdf, *anchors, [&rt](std::string_view sha256) {
    return rt.seal.find_by_sealed_sha256(sha256);
  });
  if (!report) return report_failure(report.error(), out);
  auto j = report->to_json();
  j["file"] = args.file;
  std::cout << j.dump(2) << "\n";
  if (!report->ok) {
    std::cerr << "verification FAILED: " << report->reason << "\n";
    return 1;
  }
  return 0;
}

}  // namespace cs::app
