// The requirements catalogue (issue 6 §1): strict parsing, the shipped file, storage per version
// on SQLite and PostgreSQL, and immutability of published versions.
#include "certification/catalogue.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>

#include "support/test_database.hpp"

namespace cs::certification {
namespace {

const char* const kGood = R"(
version = "2030.1"
title = "Test catalogue"
effective = "2030-01-01"

[[requirement]]
id = "OAUTH-1"
title = "Connect"
text = "Use OAuth."
category = "oauth"
evidence = ["automated", "reviewer"]
functions = []
required = true
check = "oauth_flow"
stage = "submission"
source = "Adobe"

[[requirement]]
id = "API-3"
title = "Polling"
text = "Poll slowly."
category = "api-usage"
evidence = ["reviewer"]
functions = ["track", "webhooks"]
required = false
stage = "review"
source = "DocuSign 7"
)";

// kGood with one line of its first requirement replaced (or a line appended when `from` is empty).
std::string with(const std::string& from, const std::string& to) {
  std::string s = kGood;
  if (from.empty()) return s + to + "\n";
  auto at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return s.replace(at, from.size(), to);
}

void expect_invalid(const std::string& text, const std::string& needle) {
  auto parsed = parse_catalogue(text);
  ASSERT_FALSE(parsed) << "accepted a catalogue that should fail with: " << needle;
  EXPECT_EQ(parsed.error().errc(), Errc::validation_failed);
  EXPECT_NE(parsed.error().message().find(needle), std::string::npos) << parsed.error().message();
}

TEST(CatalogueParse, ReadsAGoodFile) {
  auto c = parse_catalogue(kGood);
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->version, "2030.1");
  EXPECT_EQ(c->effective, "2030-01-01");
  ASSERT_EQ(c->requirements.size(), 2u);
  const auto& r = c->requirements[0];
  EXPECT_EQ(r.id, "OAUTH-1");
  EXPECT_EQ(r.category, "oauth");
  EXPECT_EQ(r.evidence, (std::vector<std::string>{"automated", "reviewer"}));
  EXPECT_TRUE(r.functions.empty());
  EXPECT_TRUE(r.required);
  EXPECT_EQ(r.check, "oauth_flow");
  EXPECT_EQ(r.stage, "submission");
  EXPECT_EQ(r.source, "Adobe");
  EXPECT_FALSE(c->requirements[1].required);
  EXPECT_EQ(c->find("API-3"), &c->requirements[1]);
  EXPECT_EQ(c->find("API-9"), nullptr);
}

TEST(CatalogueParse, ApplicabilityFollowsDeclaredFunctions) {
  auto c = parse_catalogue(kGood);
  ASSERT_TRUE(c);
  auto ids = [&](const std::set<std::string>& fns) {
    std::vector<std::string> out;
    for (const auto* r : c->applicable(fns)) out.push_back(r->id);
    return out;
  };
  EXPECT_EQ(ids({}), (std::vector<std::string>{"OAUTH-1"}));
  EXPECT_EQ(ids({"send"}), (std::vector<std::string>{"OAUTH-1"}));
  EXPECT_EQ(ids({"send", "track"}), (std::vector<std::string>{"OAUTH-1", "API-3"}));
  EXPECT_EQ(ids({"webhooks"}), (std::vector<std::string>{"OAUTH-1", "API-3"}));
}

TEST(CatalogueParse, RejectsEveryStrictnessError) {
  expect_invalid("version = ", "not valid TOML");
  expect_invalid(with("", "owner = \"x\""), "unknown key `owner`");
  expect_invalid(with("stage = \"submission\"", "stage = \"submission\"\ncolour = \"red\""), "unknown key `colour`");
  expect_invalid(with("category = \"oauth\"", "category = \"billing\""), "unknown category \"billing\"");
  expect_invalid(with("evidence = [\"automated\", \"reviewer\"]", "evidence = [\"automated\", \"vibes\"]"),
                 "unknown evidence value \"vibes\"");
  expect_invalid(with("evidence = [\"automated\", \"reviewer\"]", "evidence = []"), "`evidence` must not be empty");
  expect_invalid(with("evidence = [\"automated\", \"reviewer\"]", "evidence = \"automated\""),
                 "`evidence` must be an array");
  expect_invalid(with("evidence = [\"automated\", \"reviewer\"]", "evidence = [\"automated\", \"automated\"]"),
                 "twice");
  expect_invalid(with("functions = []", "functions = [\"teleport\"]"), "unknown functions value \"teleport\"");
  expect_invalid(with("stage = \"submission\"", "stage = \"someday\""), "unknown stage \"someday\"");
  expect_invalid(with("required = true", "required = \"yes\""), "`required` must be true or false");
  expect_invalid(with("check = \"oauth_flow\"\n", ""), "automated evidence needs a `check`");
  expect_invalid(with("stage = \"review\"", "stage = \"review\"\ncheck = \"x\""), "`check` is only for automated");
  expect_invalid(with("title = \"Connect\"", "title = \"\""), "`title` must be a non-empty string");
  expect_invalid(with("text = \"Use OAuth.\"\n", ""), "`text` is missing");
  expect_invalid(with("source = \"Adobe\"\n", ""), "`source` is missing");
  expect_invalid(with("id = \"OAUTH-1\"", "id = \"oauth one\""), "id must look like CATEGORY-N");
  expect_invalid(with("id = \"OAUTH-1\"", "id = \"API-3\""), "requirement id API-3 appears twice");
  expect_invalid(with("version = \"2030.1\"", "version = \"latest\""), "version must look like");
  expect_invalid(with("effective = \"2030-01-01\"", "effective = \"2030-13-01\""), "effective must be a date");
  expect_invalid(with("effective = \"2030-01-01\"", "effective = 2030-01-01"), "`effective` must be a non-empty string");
  expect_invalid("version = \"2030.1\"\ntitle = \"t\"\neffective = \"2030-01-01\"\n", "no [[requirement]]");
}

TEST(ShippedCatalogue, EveryRequirementIsWellFormedAndUnique) {
  const auto& all = embedded_catalogues();
  ASSERT_FALSE(all.empty());
  std::set<std::string> versions;
  for (const auto& c : all) {
    EXPECT_TRUE(versions.insert(c.version).second) << "two files publish version " << c.version;
    std::set<std::string> ids;
    for (const auto& r : c.requirements) {
      EXPECT_TRUE(ids.insert(r.id).second) << r.id;
      // The id's prefix names its category, so an id never moves between categories.
      EXPECT_FALSE(r.text.empty()) << r.id;
      EXPECT_FALSE(r.source.empty()) << r.id;
    }
    EXPECT_EQ(parse_catalogue(embedded_catalogue_text(c.version))->requirements.size(), c.requirements.size());
  }
  EXPECT_EQ(&current_catalogue(), &all.back());
}

// Issue 6 §1: the catalogue covers every rule of the two process documents.
TEST(ShippedCatalogue, CoversEveryRuleOfTheProcessDocuments) {
  const auto& c = current_catalogue();
  std::set<std::string> categories;
  for (const auto& r : c.requirements) categories.insert(r.category);
  for (auto cat : kCatalogueCategories) EXPECT_TRUE(categories.count(std::string(cat))) << cat;
  // One requirement per rule; each must exist and carry the evidence the rule needs.
  struct Rule {
    const char* id;
    const char* evidence;
  };
  const Rule rules[] = {
      {"OAUTH-1", "automated"},  // OAuth connection of customers' own accounts
      {"SEC-1", "attestation"},  // OWASP Top 10
      {"SEC-2", "reviewer"},     // all tokens encrypted, verified by the reviewers
      {"SEC-3", "reviewer"},     // the app secret encrypted
      {"SEC-4", "artifact"},     // reviewer access to an instance
      {"SEC-6", "artifact"},     // optional third-party security reports
      {"SEC-7", "artifact"},     // kickoff meeting, recorded
      {"QUES-1", "automated"},   // questionnaire
      {"QUES-2", "automated"},   // dry run two weeks before
      {"QUES-3", "artifact"},    // promotion form
      {"VID-1", "automated"},    // 4.5 MB video
      {"VID-2", "automated"},    // exception flows
      {"TRC-1", "automated"},    // request/response traces
      {"API-1", "automated"},    // call-log date within the week
      {"API-2", "automated"},    // 20 happy-path calls
      {"API-3", "automated"},    // API rules: polling
      {"API-4", "automated"},    // API rules: errors and rate limits
      {"LIST-1", "artifact"},    // collateral / documentation for the listing
      {"QUES-4", "reviewer"},    // final approval in 3 business days; the 6-day review restarts
      {"OAUTH-4", "reviewer"},   // recertification when functionality or permissions change
      {"SEC-5", "reviewer"},     // the security review in the partner's instance, issues remedied
  };
  for (const auto& rule : rules) {
    const auto* r = c.find(rule.id);
    ASSERT_NE(r, nullptr) << rule.id;
    EXPECT_NE(std::find(r->evidence.begin(), r->evidence.end(), rule.evidence), r->evidence.end()) << rule.id;
  }
  EXPECT_EQ(c.find("SEC-6")->required, false);
  EXPECT_EQ(c.find("API-3")->functions, (std::vector<std::string>{"track"}));
}

class CatalogueStore : public cs::testing::BothBackends {};

TEST_P(CatalogueStore, StoresEveryVersionOnceAndLoadsIt) {
  auto conn = lease();
  ASSERT_TRUE(store_catalogues(*conn, 1000));
  ASSERT_TRUE(store_catalogues(*conn, 2000));  // idempotent: a second start stores nothing
  auto count = conn->query_one("SELECT COUNT(*), MIN(stored_at) FROM cert_catalogues");
  ASSERT_TRUE(count && *count);
  EXPECT_EQ((*count)->int64(0), static_cast<std::int64_t>(embedded_catalogues().size()));
  EXPECT_EQ((*count)->int64(1), 1000);
  const auto& current = current_catalogue();
  store::Value v[] = {current.version};
  auto reqs = conn->query_one("SELECT COUNT(*) FROM cert_catalogue_requirements WHERE catalogue_version = $1", v);
  ASSERT_TRUE(reqs && *reqs);
  EXPECT_EQ((*reqs)->int64(0), static_cast<std::int64_t>(current.requirements.size()));

  auto loaded = load_catalogue(*conn, current.version);
  ASSERT_TRUE(loaded) << loaded.error().message();
  EXPECT_EQ(loaded->version, current.version);
  ASSERT_EQ(loaded->requirements.size(), current.requirements.size());
  EXPECT_EQ(loaded->requirements.front().id, current.requirements.front().id);
  auto versions = stored_catalogue_versions(*conn);
  ASSERT_TRUE(versions);
  EXPECT_EQ(versions->back(), current.version);

  auto missing = load_catalogue(*conn, "1999.1");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().errc(), Errc::not_found);
}

TEST_P(CatalogueStore, APublishedVersionIsImmutable) {
  auto conn = lease();
  ASSERT_TRUE(store_catalogues(*conn, 1000));
  const auto& current = current_catalogue();
  store::Value v[] = {current.version};
  // Simulates a release whose file for an already-published version was edited.
  ASSERT_TRUE(conn->exec("UPDATE cert_catalogues SET content = content || '\n# edited' WHERE version = $1", v));
  auto again = store_catalogues(*conn, 2000);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().errc(), Errc::conflict);
  EXPECT_NE(again.error().message().find(current.version), std::string::npos);
}

CS_INSTANTIATE_BOTH_BACKENDS(CatalogueStore);

}  // namespace
}  // namespace cs::certification
