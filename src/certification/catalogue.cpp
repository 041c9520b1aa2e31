#include "certification/catalogue.hpp"

#include <spdlog/spdlog.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cstdlib>
#include <regex>
#include <unordered_set>

#include "certification/embedded_toml_files.hpp"

namespace cs::certification {
namespace {

using store::Value;

tl::unexpected<Error> invalid(std::string message, std::string field) {
  return tl::unexpected(Error(Errc::validation_failed, std::move(message)).with_field(std::move(field)));
}

template <std::size_t N>
bool one_of(const std::string_view (&allowed)[N], std::string_view value) {
  return std::find(std::begin(allowed), std::end(allowed), value) != std::end(allowed);
}

bool valid_date(const std::string& s) {
  static const std::regex kDate(R"(\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01]))");
  return std::regex_match(s, kDate);
}

// A key must be a non-empty string.
Result<std::string> text_of(const toml::table& t, std::string_view key, const std::string& where,
                            bool optional = false) {
  const toml::node* n = t.get(key);
  if (!n) {
    if (optional) return std::string{};
    return invalid(where + ": `" + std::string(key) + "` is missing", where + "/" + std::string(key));
  }
  auto s = n->value_exact<std::string>();
  if (!s || s->empty()) {
    return invalid(where + ": `" + std::string(key) + "` must be a non-empty string", where + "/" + std::string(key));
  }
  return *s;
}

template <std::size_t N>
Result<std::vector<std::string>> list_of(const toml::table& t, std::string_view key, const std::string& where,
                                         const std::string_view (&allowed)[N], bool allow_empty) {
  std::string field = where + "/" + std::string(key);
  const toml::node* n = t.get(key);
  if (!n) return invalid(where + ": `" + std::string(key) + "` is missing", field);
  const toml::array* a = n->as_array();
  if (!a) return invalid(where + ": `" + std::string(key) + "` must be an array of strings", field);
  std::vector<std::string> out;
  for (const auto& item : *a) {
    auto s = item.value_exact<std::string>();
    if (!s) return invalid(where + ": `" + std::string(key) + "` must be an array of strings", field);
    if (!one_of(allowed, *s)) return invalid(where + ": unknown " + std::string(key) + " value \"" + *s + "\"", field);
    if (std::find(out.begin(), out.end(), *s) != out.end()) {
      return invalid(where + ": `" + std::string(key) + "` lists \"" + *s + "\" twice", field);
    }
    out.push_back(*s);
  }
  if (out.empty() && !allow_empty) return invalid(where + ": `" + std::string(key) + "` must not be empty", field);
  return out;
}

Result<Requirement> parse_requirement(const toml::table& t, std::size_t index) {
  static const std::unordered_set<std::string_view> kKeys = {"id",        "title",    "text",  "category", "evidence",
                                                              "functions", "required", "check", "stage",    "source"};
  std::string where = "requirement/" + std::to_string(index);
  for (const auto& [key, _] : t) {
    if (!kKeys.count(key.str())) return invalid(where + ": unknown key `" + std::string(key.str()) + "`", where);
  }
  Requirement r;
  r.id = CS_TRY(text_of(t, "id", where));
  static const std::regex kId(R"([A-Z]+-[1-9][0-9]*)");
  if (!std::regex_match(r.id, kId)) return invalid(where + ": id must look like CATEGORY-N", where + "/id");
  where = "requirement " + r.id;
  r.title = CS_TRY(text_of(t, "title", where));
  r.text = CS_TRY(text_of(t, "text", where));
  r.category = CS_TRY(text_of(t, "category", where));
  if (!one_of(kCatalogueCategories, r.category)) {
    return invalid(where + ": unknown category \"" + r.category + "\"", where + "/category");
  }
  r.evidence = CS_TRY(list_of(t, "evidence", where, kCatalogueEvidence, false));
  r.functions = CS_TRY(list_of(t, "functions", where, kCatalogueFunctions, true));
  const toml::node* req = t.get("required");
  if (!req || !req->is_boolean()) return invalid(where + ": `required` must be true or false", where + "/required");
  r.required = *req->value_exact<bool>();
  r.check = CS_TRY(text_of(t, "check", where, true));
  bool automated = std::find(r.evidence.begin(), r.evidence.end(), "automated") != r.evidence.end();
  if (automated && r.check.empty()) {
    return invalid(where + ": automated evidence needs a `check`", where + "/check");
  }
  if (!automated && !r.check.empty()) {
    return invalid(where + ": `check` is only for automated evidence", where + "/check");
  }
  r.stage = CS_TRY(text_of(t, "stage", where));
  if (!one_of(kCatalogueStages, r.stage)) return invalid(where + ": unknown stage \"" + r.stage + "\"", where + "/stage");
  r.source = CS_TRY(text_of(t, "source", where));
  return r;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) {
    if (!out.empty()) out += ' ';
    out += s;
  }
  return out;
}

struct Embedded {
  std::vector<Catalogue> catalogues;
  std::vector<std::pair<std::string, std::string_view>> texts;  // version -> file text
};

const Embedded& embedded() {
  static const Embedded kAll = [] {
    Embedded e;
    for (const auto& file : detail::embedded_catalogue_files()) {
      auto parsed = parse_catalogue(file.text);
      if (!parsed) {
        // A shipped catalogue that does not parse is a build defect (catalogue_test pins it).
        spdlog::critical("embedded catalogue {} is invalid: {}", file.file_name, parsed.error().message());
        std::abort();
      }
      e.texts.emplace_back(parsed->version, file.text);
      e.catalogues.push_back(std::move(*parsed));
    }
    if (e.catalogues.empty()) {
      spdlog::critical("no requirements catalogue is embedded");
      std::abort();
    }
    std::stable_sort(e.catalogues.begin(), e.catalogues.end(),
                     [](const Catalogue& a, const Catalogue& b) { return a.effective < b.effective; });
    return e;
  }();
  return kAll;
}

}  // namespace

const Requirement* Catalogue::find(std::string_view id) const {
  for (const auto& r : requirements) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

std::vector<const Requirement*> Catalogue::applicable(const std::set<std::string>& functions) const {
  std::vector<const Requirement*> out;
  for (const auto& r : requirements) {
    bool applies = r.functions.empty() ||
                   std::any_of(r.functions.begin(), r.functions.end(), [&](const std::string& f) { return functions.count(f) > 0; });
    if (applies) out.push_back(&r);
  }
  return out;
}

Result<Catalogue> parse_catalogue(std::string_view toml_text) {
  toml::table root;
  try {
    root = toml::parse(toml_text);
  } catch (const toml::parse_error& e) {
    return tl::unexpected(Error(Errc::validation_failed, "the catalogue is not valid TOML",
                                std::string(e.description()) + " at line " +
                                    std::to_string(e.source().begin.line)));
  }
  for (const auto& [key, _] : root) {
    auto k = key.str();
    if (k != "version" && k != "title" && k != "effective" && k != "requirement") {
      return invalid("unknown key `" + std::string(k) + "`", std::string(k));
    }
  }
  Catalogue c;
  c.version = CS_TRY(text_of(root, "version", "catalogue"));
  static const std::regex kVersion(R"(\d{4}\.[1-9][0-9]*)");
  if (!std::regex_match(c.version, kVersion)) return invalid("version must look like 2026.1", "version");
  c.title = CS_TRY(text_of(root, "title", "catalogue"));
  c.effective = CS_TRY(text_of(root, "effective", "catalogue"));
  if (!valid_date(c.effective)) return invalid("effective must be a date YYYY-MM-DD", "effective");
  const toml::array* reqs = root.get("requirement") ? root.get("requirement")->as_array() : nullptr;
  if (!reqs || reqs->empty()) return invalid("the catalogue has no [[requirement]] entries", "requirement");
  std::unordered_set<std::string> seen;
  for (std::size_t i = 0; i < reqs->size(); ++i) {
    const toml::table* t = (*reqs)[i].as_table();
    if (!t) return invalid("requirement/" + std::to_string(i) + " must be a table", "requirement/" + std::to_string(i));
    Requirement r = CS_TRY(parse_requirement(*t, i));
    if (!seen.insert(r.id).second) return invalid("requirement id " + r.id + " appears twice", "requirement " + r.id + "/id");
    c.requirements.push_back(std::move(r));
  }
  return c;
}

const std::vector<Catalogue>& embedded_catalogues() { return embedded().catalogues; }

const Catalogue& current_catalogue() { return embedded().catalogues.back(); }

std::string_view embedded_catalogue_text(std::string_view version) {
  for (const auto& [v, text] : embedded().texts) {
    if (v == version) return text;
  }
  return {};
}

Status store_catalogues(store::Connection& conn, Micros now) {
  return store::in_transaction(conn, [&](store::Connection& c) -> Status {
    for (const auto& cat : embedded_catalogues()) {
      std::string text(embedded_catalogue_text(cat.version));
      Value key[] = {cat.version};
      auto stored = CS_TRY(c.query_one("SELECT content FROM cert_catalogues WHERE version = $1", key));
      if (stored) {
        if (stored->text(0) != text) {
          return fail(Errc::conflict, "requirements catalogue " + cat.version + " was changed after it was published",
                      "publish the change as a new catalogue version");
        }
        continue;
      }
      Value row[] = {cat.version, cat.title, cat.effective, text,
                     static_cast<std::int64_t>(cat.requirements.size()), now};
      CS_TRY(c.exec("INSERT INTO cert_catalogues (version, title, effective, content, requirement_count, stored_at) "
                    "VALUES ($1, $2, $3, $4, $5, $6)",
                    row));
      std::int64_t position = 0;
      for (const auto& r : cat.requirements) {
        Value req[] = {cat.version,        r.id,         position++,
                       r.title,            r.category,   joined(r.evidence),
                       joined(r.functions), std::int64_t{r.required ? 1 : 0}, r.check,
                       r.stage};
        CS_TRY(c.exec("INSERT INTO cert_catalogue_requirements (catalogue_version, requirement_id, position, title, "
                      "category, evidence, functions, required, check_name, stage) "
                      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                      req));
      }
    }
    return {};
  });
}

Result<Catalogue> load_catalogue(store::Connection& conn, std::string_view version) {
  Value key[] = {std::string(version)};
  auto row = CS_TRY(conn.query_one("SELECT content FROM cert_catalogues WHERE version = $1", key));
  if (!row) return fail(Errc::not_found, "No such requirements catalogue version");
  auto parsed = parse_catalogue(row->text(0));
  if (!parsed) {
    return fail(Errc::internal, "The requirements catalogue could not be read",
                "stored catalogue " + std::string(version) + ": " + parsed.error().message());
  }
  return parsed;
}

Result<std::vector<std::string>> stored_catalogue_versions(store::Connection& conn) {
  auto rows = CS_TRY(conn.query("SELECT version FROM cert_catalogues ORDER BY effective, version"));
  std::vector<std::string> out;
  for (const auto& r : rows) out.push_back(r.text(0));
  return out;
}

}  // namespace cs::certification
