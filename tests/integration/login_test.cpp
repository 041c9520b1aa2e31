// Sign-in over real HTTP with a cookie jar: CSRF, session rotation, lockout, logout.
#include <gtest/gtest.h>

#include <regex>

#include "server_process.hpp"

namespace cs::testing {
namespace {

std::string csrf_from(const std::string& html) {
  std::smatch m;
  if (std::regex_search(html, m, std::regex(R"(name="csrf_token" value="([^"]+)\")"))) return m[1];
  return {};
}

class LoginTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    auto seeded = run_cli({"demo", "seed", "--json", "--data-dir", (dir_->path() / "data").string()});
    ASSERT_EQ(seeded.exit_code, 0) << seeded.err;
    demo_ = new nlohmann::json(seeded.json());
    server_ = new ServerProcess({dir_->path() / "data", {}, {}, {}});
  }
  static void TearDownTestSuite() {
    delete server_;
    delete demo_;
    delete dir_;
  }

  // GET /login, keeping the pre-session cookie; returns the form's CSRF token.
  std::string open_form(CookieJar& jar, const std::string& query = "") {
    auto page = http({"GET", server_->base_url() + "/login" + query, {}, {{"Cookie", jar.header()}}, 5000});
    EXPECT_EQ(page.status, 200);
    jar.absorb(page);
    return csrf_from(page.body);
  }

  HttpResponse post_login(CookieJar& jar, const std::string& csrf, const std::string& email,
                          const std::string& password, const std::string& next = "/") {
    std::string body = "csrf_token=" + form_encode(csrf) + "&email=" + form_encode(email) +
                       "&password=" + form_encode(password) + "&next=" + form_encode(next);
    auto r = http({"POST", server_->base_url() + "/login", body,
                   {{"Content-Type", "application/x-www-form-urlencoded"}, {"Cookie", jar.header()}}, 10000});
    jar.absorb(r);
    return r;
  }

  static std::string email(const char* who) { return (*demo_)["users"][who]["email"]; }
  static std::string password(const char* who) { return (*demo_)["users"][who]["password"]; }

  static inline TempDir* dir_ = nullptr;
  static inline nlohmann::json* demo_ = nullptr;
  static inline ServerProcess* server_ = nullptr;
};

TEST_F(LoginTest, TheFormHasTheDocumentedFieldsAndACsrfToken) {
  CookieJar jar;
  auto page = http_get(server_->base_url() + "/login");
  EXPECT_NE(page.body.find("name=\"email\""), std::string::npos);
  EXPECT_NE(page.body.find("name=\"password\""), std::string::npos);
  EXPECT_FALSE(csrf_from(page.body).empty());
  auto cookie = page.header("set-cookie");
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Lax"), std::string::npos);
}

TEST_F(LoginTest, SignInRotatesTheSessionShowsTheHomeAndSignsOut) {
  CookieJar jar;
  auto csrf = open_form(jar);
  auto r = post_login(jar, csrf, email("production_admin"), password("production_admin"));
  ASSERT_EQ(r.status, 303) << r.body;
  EXPECT_EQ(r.header("location"), "/");
  auto session = jar.get("cs_session");
  ASSERT_EQ(session.rfind("cs_ss_", 0), 0u);
  EXPECT_TRUE(jar.get("cs_presession").empty()) << "the pre-session cookie is spent at sign-in";

  auto home = http({"GET", server_->base_url() + "/", {}, {{"Cookie", jar.header()}}, 5000});
  ASSERT_EQ(home.status, 200);
  EXPECT_NE(home.body.find(email("production_admin")), std::string::npos);
  EXPECT_NE(home.body.find("Globex"), std::string::npos);

  // Signing in again issues a different session token (rotation).
  CookieJar jar2;
  auto csrf2 = open_form(jar2);
  post_login(jar2, csrf2, email("production_admin"), password("production_admin"));
  EXPECT_NE(jar2.get("cs_session"), session);

  // Sign out needs the session-bound CSRF token.
  auto no_csrf = http({"POST", server_->base_url() + "/logout", "csrf_token=forged",
                       {{"Content-Type", "application/x-www-form-urlencoded"}, {"Cookie", jar.header()}}, 5000});
  EXPECT_EQ(no_csrf.status, 403);
  EXPECT_EQ(no_csrf.json()["code"], "csrf_failed");
  auto logout = http({"POST", server_->base_url() + "/logout", "csrf_token=" + form_encode(csrf_from(home.body)),
                      {{"Content-Type", "application/x-www-form-urlencoded"}, {"Cookie", jar.header()}}, 5000});
  EXPECT_EQ(logout.status, 303);
  auto after = http({"GET", server_->base_url() + "/", {}, {{"Cookie", "cs_session=" + session}}, 5000});
  EXPECT_EQ(after.status, 303) << "the old session no longer works";
  EXPECT_EQ(after.header("location"), "/login");
}

TEST_F(LoginTest, WrongPasswordAndUnknownEmailLookTheSame) {
  CookieJar jar;
  auto wrong = post_login(jar, open_form(jar), email("sandbox_sender"), "not-the-password-at-all");
  auto unknown = post_login(jar, open_form(jar), "nobody@nowhere.example", "not-the-password-at-all");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(unknown.status, 401);
  EXPECT_NE(wrong.body.find("Email or password is incorrect"), std::string::npos);
  EXPECT_NE(unknown.body.find("Email or password is incorrect"), std::string::npos);
  EXPECT_TRUE(jar.get("cs_session").empty());
}

TEST_F(LoginTest, MissingOrForgedCsrfIsRefused) {
  CookieJar jar;
  open_form(jar);
  auto r = post_login(jar, "forged-token", email("sandbox_admin"), password("sandbox_admin"));
  EXPECT_EQ(r.status, 403);
  EXPECT_TRUE(jar.get("cs_session").empty());
  CookieJar empty;
  auto none = post_login(empty, "", email("sandbox_admin"), password("sandbox_admin"));
  EXPECT_EQ(none.status, 403);
}

TEST_F(LoginTest, RepeatedFailuresLockTheAccountTemporarily) {
  CookieJar jar;
  for (int i = 0; i < 5; ++i) post_login(jar, open_form(jar), email("sandbox_admin"), "wrong-password-" + std::to_string(i));
  auto locked = post_login(jar, open_form(jar), email("sandbox_admin"), password("sandbox_admin"));
  EXPECT_EQ(locked.status, 429);
  EXPECT_FALSE(locked.header("retry-after").empty());
  EXPECT_TRUE(jar.get("cs_session").empty()) << "even the right password waits out the lockout";
}

TEST_F(LoginTest, PostLoginRedirectStaysOnThisSite) {
  for (const char* next : {"https://evil.example/", "//evil.example/", "/\\evil.example"}) {
    CookieJar jar;
    auto r = post_login(jar, open_form(jar), email("partner_admin"), password("partner_admin"), next);
    ASSERT_EQ(r.status, 303) << next;
    EXPECT_EQ(r.header("location"), "/") << next;
  }
  CookieJar jar;
  auto r = post_login(jar, open_form(jar), email("partner_developer"), password("partner_developer"), "/somewhere?x=1");
  EXPECT_EQ(r.header("location"), "/somewhere?x=1");
}

TEST_F(LoginTest, FormErrorsAreProblems) {
  auto wrong_type = http({"POST", server_->base_url() + "/login", "{\"email\":1}", {{"Content-Type", "application/json"}}, 5000});
  EXPECT_EQ(wrong_type.status, 415);
  EXPECT_EQ(wrong_type.json()["code"], "unsupported_media_type");
  auto bad_encoding = http({"POST", server_->base_url() + "/login", "email=%ZZ&password=%C3%28",
                            {{"Content-Type", "application/x-www-form-urlencoded"}}, 5000});
  EXPECT_EQ(bad_encoding.status, 400);
  EXPECT_EQ(bad_encoding.json()["code"], "invalid_request");
}

TEST_F(LoginTest, HomeRedirectsToSignInWithoutASession) {
  auto r = http_get(server_->base_url() + "/");
  EXPECT_EQ(r.status, 303);
  EXPECT_EQ(r.header("location"), "/login");
  auto forged = http({"GET", server_->base_url() + "/", {}, {{"Cookie", "cs_session=cs_ss_forged"}}, 5000});
  EXPECT_EQ(forged.status, 303);
}

}  // namespace
}  // namespace cs::testing
