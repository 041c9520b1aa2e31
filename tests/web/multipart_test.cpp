// multipart/form-data parsing (src/web/multipart.hpp): well-formed bodies and each kind of bad one.
#include <gtest/gtest.h>

#include "web/multipart.hpp"

namespace cs::web {
namespace {

using namespace std::string_literals;

const std::string kType = "multipart/form-data; boundary=XyZ";

std::string body() {
  return "--XyZ\r\n"
         "Content-Disposition: form-data; name=\"metadata\"\r\n"
         "Content-Type: application/json\r\n\r\n"
         "{\"a\":1}\r\n"
         "--XyZ\r\n"
         "Content-Disposition: form-data; name=\"file1\"; filename=\"con\\\"tract.pdf\"\r\n"
         "Content-Type: application/pdf\r\n\r\n"
         "%PDF-1.4\r\n\r\nbinary\x00\xff bytes\r\n"
         "--XyZ--\r\n"s;
}

TEST(Multipart, ParsesPartsWithNamesFilenamesAndTypes) {
  std::string b = body();
  auto parts = parse_multipart(kType, b);
  ASSERT_TRUE(parts) << parts.error().message();
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].name, "metadata");
  EXPECT_EQ((*parts)[0].content_type, "application/json");
  EXPECT_EQ((*parts)[0].body, "{\"a\":1}");
  EXPECT_EQ((*parts)[1].filename, "con\"tract.pdf");
  EXPECT_EQ((*parts)[1].body.substr(0, 12), "%PDF-1.4\r\n\r\n");
  EXPECT_EQ((*parts)[1].body, "%PDF-1.4\r\n\r\nbinary\x00\xff bytes"s);
}

TEST(Multipart, QuotedBoundaryAndPreambleAreAccepted) {
  std::string b = "preamble\r\n" + body();
  auto parts = parse_multipart("Multipart/Form-Data; boundary=\"XyZ\"", b);
  ASSERT_TRUE(parts);
  EXPECT_EQ(parts->size(), 2u);
}

TEST(Multipart, NotMultipartIs415) {
  auto r = parse_multipart("application/json", body());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().errc(), Errc::unsupported_media_type);
}

TEST(Multipart, MalformedBodiesAre400) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"multipart/form-data", body()},                                   // no boundary
      {"multipart/form-data; boundary=" + std::string(71, 'a'), body()},  // boundary too long
      {kType, "no boundary here"},
      {kType, body().substr(0, body().size() - 20)},  // no closing boundary
      {kType, "--XyZ\r\nContent-Type: text/plain\r\n\r\nx\r\n--XyZ--"},  // no Content-Disposition
      {kType, "--XyZ\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--XyZ--"},
      {kType, "--XyZ\r\nContent-Disposition: form-data; name=\"\"\r\n\r\nx\r\n--XyZ--"},
      {kType, "--XyZ\r\nContent-Disposition: form-data; name=\"a\r\n\r\nx\r\n--XyZ--"},
      {kType, "--XyZ\r\nbad header line\r\n\r\nx\r\n--XyZ--"},
  };
  for (const auto& [type, b] : cases) {
    auto r = parse_multipart(type, b);
    ASSERT_FALSE(r) << b;
    EXPECT_EQ(r.error().errc(), Errc::invalid_request) << b;
  }
}

TEST(Multipart, LimitsPartsAndHeaderSize) {
  std::string many;
  for (int i = 0; i < 5; ++i) many += "--XyZ\r\nContent-Disposition: form-data; name=\"p" + std::to_string(i) + "\"\r\n\r\nx\r\n";
  many += "--XyZ--";
  EXPECT_TRUE(parse_multipart(kType, many));
  EXPECT_FALSE(parse_multipart(kType, many, {.max_parts = 4}));
  std::string big = "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\nX-Pad: " + std::string(9000, 'p') +
                    "\r\n\r\nx\r\n--XyZ--";
  EXPECT_FALSE(parse_multipart(kType, big));
}

}  // namespace
}  // namespace cs::web
