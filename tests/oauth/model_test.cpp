// Pure pieces: scope catalogue, configuration diffs, version selection, redirect URI and link
// validation, PKCE.
#include <gtest/gtest.h>

#include "oauth/app.hpp"
#include "oauth/detail/pkce.hpp"
#include "oauth/validation.hpp"

namespace cs::oauth {
namespace {

TEST(ScopeCatalogue, EightScopesInOrderEachDescribed) {
  auto cat = scope_catalogue();
  ASSERT_EQ(cat.size(), 8u);
  const char* names[] = {"account:read",  "user:read",        "envelope:read",  "envelope:write",
                         "envelope:send", "signing:embedded", "webhook:manage", "offline_access"};
  for (std::size_t i = 0; i < 8; ++i) {
    EXPECT_EQ(cat[i].name, names[i]);
    EXPECT_FALSE(cat[i].description.empty());
    EXPECT_TRUE(is_known_scope(names[i]));
  }
  EXPECT_FALSE(is_known_scope("admin"));
  EXPECT_FALSE(is_known_scope(""));
  EXPECT_EQ(app_functions().size(), 5u);
  EXPECT_TRUE(is_known_function("embedded_signing"));
  EXPECT_FALSE(is_known_function("delete_everything"));
}

TEST(Scopes, SplitSortsAndDeduplicatesJoinJoins) {
  auto s = split_scopes("  user:read account:read  user:read ");
  EXPECT_EQ(s, (std::vector<std::string>{"account:read", "user:read"}));
  EXPECT_EQ(join_scopes(s), "account:read user:read");
  EXPECT_TRUE(split_scopes("").empty());
}

TEST(ConfigurationDiff, ListsEveryChange) {
  AppConfiguration a{{"account:read", "user:read"}, {"https://a.example/cb"}, {"send"}};
  AppConfiguration b{{"account:read", "envelope:read"}, {"https://b.example/cb"}, {"send", "sign"}};
  auto d = diff(a, b);
  EXPECT_EQ(d.added_scopes, (std::vector<std::string>{"envelope:read"}));
  EXPECT_EQ(d.removed_scopes, (std::vector<std::string>{"user:read"}));
  EXPECT_EQ(d.added_redirect_uris, (std::vector<std::string>{"https://b.example/cb"}));
  EXPECT_EQ(d.removed_redirect_uris, (std::vector<std::string>{"https://a.example/cb"}));
  EXPECT_EQ(d.added_functions, (std::vector<std::string>{"sign"}));
  EXPECT_TRUE(d.removed_functions.empty());
  EXPECT_FALSE(d.empty());
  EXPECT_FALSE(d.only_removes_scopes());
  EXPECT_TRUE(diff(a, a).empty());
  AppConfiguration c = a;
  c.scopes = {"account:read"};
  EXPECT_TRUE(diff(a, c).only_removes_scopes());
}

TEST(App, EffectiveVersionSandboxCurrentProductionCertified) {
  App app;
  app.current.id = "apv_2";
  EXPECT_EQ(app.effective_version(identity::Environment::production).id, "apv_2");
  EXPECT_FALSE(app.has_pending_version());
  app.certified = AppVersion{};
  app.certified->id = "apv_1";
  EXPECT_EQ(app.effective_version(identity::Environment::sandbox).id, "apv_2");
  EXPECT_EQ(app.effective_version(identity::Environment::production).id, "apv_1");
  EXPECT_TRUE(app.has_pending_version());
}

TEST(RedirectUri, Accepted) {
  for (const char* uri :
       {"https://partner.example/callback", "https://partner.example:8443/cb?tenant=1",
        "http://127.0.0.1:8765/callback", "http://localhost/cb", "http://[::1]:9000/cb",
        "https://partner.example"}) {
    EXPECT_TRUE(validate_redirect_uri(uri)) << uri;
  }
}

TEST(RedirectUri, Refused) {
  std::string long_uri = "https://partner.example/" + std::string(2048, 'a');
  for (std::string uri :
       {std::string("http://partner.example/callback"),  // http, not loopback
        std::string("http://127.0.0.2/cb"), std::string("http://localhost.evil.example/cb"),
        std::string("https://partner.example/cb#frag"), std::string("https://*.partner.example/cb"),
        std::string("https://partner.example/*"), std::string("/relative/callback"),
        std::string("partner.example/cb"), std::string("ftp://partner.example/cb"),
        std::string("javascript://alert(1)"), std::string("https://user:pw@partner.example/cb"),
        std::string("https://partner.example/a b"), std::string("https:///nohost"),
        std::string("https://partner.example:99999999/cb"), std::string(""), long_uri}) {
    auto r = validate_redirect_uri(uri);
    ASSERT_FALSE(r) << uri;
    EXPECT_EQ(r.error().errc(), Errc::validation_failed);
  }
}

TEST(Configuration, ValidatesAndNamesTheField) {
  auto ok = validate_configuration({"user:read", "account:read", "user:read"},
                                   {"https://a.example/cb", "https://a.example/cb"}, {"send"});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->scopes, (std::vector<std::string>{"account:read", "user:read"}));
  EXPECT_EQ(ok->redirect_uris.size(), 1u);

  auto bad_scope = validate_configuration({"account:read", "root"}, {"https://a.example/cb"}, {});
  ASSERT_FALSE(bad_scope);
  EXPECT_EQ(bad_scope.error().field(), "scopes/1");
  auto bad_uri = validate_configuration({"account:read"},
                                        {"https://a.example/cb", "http://evil.example/cb"}, {});
  ASSERT_FALSE(bad_uri);
  EXPECT_EQ(bad_uri.error().field(), "redirect_uris/1");
  auto bad_fn = validate_configuration({"account:read"}, {"https://a.example/cb"}, {"hack"});
  ASSERT_FALSE(bad_fn);
  EXPECT_EQ(bad_fn.error().field(), "functions/0");
  EXPECT_FALSE(validate_configuration({"account:read"}, {}, {}));
  EXPECT_FALSE(validate_configuration({}, {"https://a.example/cb"}, {}));
  std::vector<std::string> eleven;
  for (int i = 0; i < 11; ++i) eleven.push_back("https://a.example/cb" + std::to_string(i));
  EXPECT_FALSE(validate_configuration({"account:read"}, eleven, {}));
}

TEST(Links, EmptyOrHttps) {
  EXPECT_TRUE(validate_link("", "documentation_url"));
  EXPECT_TRUE(validate_link("https://docs.example/x", "documentation_url"));
  auto r = validate_link("http://docs.example/x", "support_url");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field(), "support_url");
}

TEST(Pkce, S256MatchesRfc7636AppendixB) {
  EXPECT_EQ(detail::s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  EXPECT_TRUE(detail::verify_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
                                  "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
  EXPECT_FALSE(detail::verify_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXK",
                                   "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
  EXPECT_FALSE(detail::is_pkce_value("short"));
  EXPECT_FALSE(detail::is_pkce_value(std::string(43, '!')));
  EXPECT_EQ(detail::url_encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
}

}  // namespace
}  // namespace cs::oauth
