#include <gtest/gtest.h>

#include <string>

#include "identity/validation.hpp"

namespace cs::identity {
namespace {

TEST(EmailValidation, NormalisesCaseAndWhitespace) {
  auto e = validate_email("  Alice.Smith+tag@Example.COM \n");
  ASSERT_TRUE(e) << e.error().message();
  EXPECT_EQ(*e, "alice.smith+tag@example.com");
  EXPECT_EQ(normalize_email(" Bob@X.org"), "bob@x.org");
}

TEST(EmailValidation, AcceptsOrdinaryAddresses) {
  for (const char* ok :
       {"a@b.co", "first.last@sub.example.org", "o'neil@example.ie", "x_y-z@my-host.example.com"}) {
    EXPECT_TRUE(validate_email(ok)) << ok;
  }
}

TEST(EmailValidation, RejectsMalformedAddresses) {
  for (const char* bad : {"",
                          "   ",
                          "plain",
                          "@example.com",
                          "user@",
                          "a@@b.com",
                          "a@b@c.com",
                          "a b@example.com",
                          "a@example",
                          "a@-example.com",
                          "a@example-.com",
                          "a@exa_mple.com",
                          ".a@example.com",
                          "a.@example.com",
                          "a..b@example.com",
                          "a@example..com",
                          "a@example.c0m",
                          "a@example.c",
                          "a\x01@example.com",
                          "\xc3\xa9@example.com",
                          "a@ex ample.com"}) {
    auto e = validate_email(bad);
    ASSERT_FALSE(e) << bad;
    EXPECT_EQ(e.error().errc(), Errc::validation_failed);
    EXPECT_EQ(e.error().field(), "email");
  }
}

TEST(EmailValidation, EnforcesLengthLimits) {
  std::string local64(64, 'a');
  EXPECT_TRUE(validate_email(local64 + "@example.com"));
  EXPECT_FALSE(validate_email(local64 + "a@example.com"));
  // 254 bytes total is the limit.
  std::string domain = std::string(60, 'b') + "." + std::string(60, 'c') + "." +
                       std::string(60, 'd') + "." + std::string(60, 'e') + ".com";
  std::string at_limit = std::string(254 - domain.size() - 1, 'a') + "@" + domain;
  ASSERT_EQ(at_limit.size(), 254u);
  EXPECT_TRUE(validate_email(at_limit));
  EXPECT_FALSE(validate_email("a" + at_limit));
}

TEST(PasswordValidation, LengthRules) {
  EXPECT_TRUE(validate_password("twelve chars"));
  auto short_pw = validate_password("elevenchars");
  ASSERT_FALSE(short_pw);
  EXPECT_EQ(short_pw.error().errc(), Errc::validation_failed);
  EXPECT_EQ(short_pw.error().field(), "password");
  EXPECT_TRUE(validate_password(std::string(1024, 'x')));
  EXPECT_FALSE(validate_password(std::string(1025, 'x')));
}

TEST(PasswordValidation, CountsCharactersNotBytes) {
  // Eleven two-byte characters are 22 bytes but still too short; twelve are enough.
  std::string e_acute = "\xc3\xa9";
  std::string eleven, twelve;
  for (int i = 0; i < 11; ++i) eleven += e_acute;
  twelve = eleven + e_acute;
  EXPECT_FALSE(validate_password(eleven));
  EXPECT_TRUE(validate_password(twelve));
}

TEST(PasswordValidation, RejectsInvalidUtf8) {
  EXPECT_FALSE(validate_password("valid-prefix-\xff\xfe-and-more"));
  EXPECT_FALSE(validate_password("overlong-form-\xc0\xaf-here"));
}

TEST(NameValidation, TrimsAndBounds) {
  auto n = validate_display_name("  Acme Integrations ", "name");
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, "Acme Integrations");
  EXPECT_TRUE(validate_display_name(std::string(200, 'n'), "name"));
  auto too_long = validate_display_name(std::string(201, 'n'), "name");
  ASSERT_FALSE(too_long);
  EXPECT_EQ(too_long.error().field(), "name");
  EXPECT_FALSE(validate_display_name("   ", "name"));
  EXPECT_FALSE(validate_display_name("bad\nname", "name"));
  EXPECT_FALSE(validate_display_name("bad\xff", "name"));
}

}  // namespace
}  // namespace cs::identity
