// The requirements catalogue (issue 6 §1). Each version is a TOML file under
// src/certification/catalogue/, embedded into the binary at build time and stored once per
// version at server start. A request records the version it is judged under; a published
// version never changes (store_catalogues refuses a stored version whose content differs).
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "store/database.hpp"

namespace cs::certification {

// The closed vocabularies of the catalogue file (the parser rejects anything else).
inline constexpr std::string_view kCatalogueCategories[] = {"oauth",  "security",      "api-usage", "video",
                                                            "traces", "questionnaire", "listing"};
inline constexpr std::string_view kCatalogueEvidence[] = {"automated", "artifact", "attestation", "reviewer"};
inline constexpr std::string_view kCatalogueStages[] = {"submission", "review", "approval", "promotion",
                                                        "listing"};
inline constexpr std::string_view kCatalogueFunctions[] = {"send", "track", "sign", "embedded_signing",
                                                           "webhooks"};

struct Requirement {
  std::string id, title, text, category;
  std::vector<std::string> evidence;
  std::vector<std::string> functions;  // empty = applies to every app
  bool required = true;
  std::string check;  // the automated check's name when evidence includes "automated"
  std::string stage;
  std::string source;
};

struct Catalogue {
  std::string version, title, effective;  // effective: YYYY-MM-DD
  std::vector<Requirement> requirements;

  const Requirement* find(std::string_view id) const;
  // Requirements that apply to an app declaring `functions` (a requirement with an empty
  // functions list applies to every app), in catalogue order.
  std::vector<const Requirement*> applicable(const std::set<std::string>& functions) const;
};

// Strict: unknown keys, wrong types, missing fields, bad categories / evidence / stages /
// functions, an automated requirement without a check, and duplicate ids answer
// Errc::validation_failed naming the requirement and field.
Result<Catalogue> parse_catalogue(std::string_view toml_text);

// Every embedded catalogue file, parsed, oldest effective date first. A shipped file that does
// not parse is a build defect: this aborts with a log line.
const std::vector<Catalogue>& embedded_catalogues();
// The newest embedded catalogue (what new requests are judged under).
const Catalogue& current_catalogue();
// The embedded TOML text of a version (empty when unknown).
std::string_view embedded_catalogue_text(std::string_view version);

// Stores every embedded version once (idempotent). A stored version whose content differs from
// the embedded file is Errc::conflict: published versions are immutable.
Status store_catalogues(store::Connection& conn, Micros now);
// A stored version; Errc::not_found when it was never stored.
Result<Catalogue> load_catalogue(store::Connection& conn, std::string_view version);
// Stored version names, oldest effective first.
Result<std::vector<std::string>> stored_catalogue_versions(store::Connection& conn);

}  // namespace cs::certification
