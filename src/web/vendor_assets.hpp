// pdf.js and signature_pad from npm, linked into the binary by src/web/vendor_assets.cmake and
// served under /vendor/{vendor_version()}/{name} by the signing pages.
#pragma once

#include <optional>
#include <string_view>

namespace cs::web {

// A content hash of every vendored file: part of the URL, so the files can be cached for a year.
std::string_view vendor_version();

struct VendorAsset {
  std::string_view content_type;
  std::string_view body;
};
// "pdf.min.mjs", "pdf.worker.min.mjs", "signature_pad.umd.min.js"; nullopt for anything else.
std::optional<VendorAsset> vendor_asset(std::string_view name);

}  // namespace cs::web
