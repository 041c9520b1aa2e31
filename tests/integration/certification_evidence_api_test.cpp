// Certification evidence over real HTTP (issue 6 §3): the partner uploads a real ffmpeg video
// (multipart/form-data) to its draft request; a renamed text file is refused with
// artifact_invalid, a missing CSRF token with csrf_failed, another org with 404; the
// questionnaire definition is public.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

#include "oauth_client.hpp"

namespace cs::testing {
namespace {

class CertificationEvidenceApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    crypto::init();
    world_ = new OAuthWorld();
    const auto mp4 = (world_->data_dir_parent() / "flow.mp4").string();
    ASSERT_EQ(std::system(("ffmpeg -hide_banner -loglevel error -nostdin -y -f lavfi -i "
                           "testsrc=duration=1:size=160x120:rate=10 -pix_fmt yuv420p -c:v libx264 " + mp4).c_str()),
              0);
    std::ifstream in(mp4, std::ios::binary);
    video_ = std::string(std::istreambuf_iterator<char>(in), {});
  }
  static void TearDownTestSuite() { delete world_; }

  struct Console {
    CookieJar jar;
    std::string csrf;
  };
  static Console sign_in(const std::string& email, const std::string& password) {
    OAuthDriver d(*world_->server);
    Console c{d.sign_in(email, password), {}};
    c.csrf = d.session_csrf(c.jar);
    return c;
  }
  static HttpResponse call(const Console& c, const std::string& method, const std::string& path,
                           const std::string& body = {}, const std::string& type = "application/json") {
    std::vector<std::pair<std::string, std::string>> h{{"Cookie", c.jar.header()}};
    if (!c.csrf.empty()) h.emplace_back("X-CSRF-Token", c.csrf);
    if (!body.empty()) h.emplace_back("Content-Type", type);
    return OAuthDriver(*world_->server).send(method, path, body, h);
  }
  static std::string multipart(const std::string& kind, const std::string& labels, const std::string& filename,
                               const std::string& bytes) {
    const std::string b = "----certev";
    std::string body = "--" + b + "\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\n" + kind + "\r\n";
    if (!labels.empty()) body += "--" + b + "\r\nContent-Disposition: form-data; name=\"labels\"\r\n\r\n" + labels + "\r\n";
    body += "--" + b + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + filename +
            "\"\r\nContent-Type: video/mp4\r\n\r\n" + bytes + "\r\n--" + b + "--\r\n";
    return body;
  }
  static constexpr const char* kMultipart = "multipart/form-data; boundary=----certev";

  static inline OAuthWorld* world_ = nullptr;
  static inline std::string video_;
};

TEST_F(CertificationEvidenceApiTest, UploadsAreValidatedAndScopedToTheOrg) {
  // The definition is public.
  auto def = http_get(world_->server->base_url() + "/v1/certification/questionnaire");
  ASSERT_EQ(def.status, 200) << def.body;
  EXPECT_EQ(def.json()["version"], "2026.1");

  auto dev = sign_in(world_->email("partner_developer"), world_->password("partner_developer"));
  auto apps = call(dev, "GET", "/v1/apps");
  ASSERT_EQ(apps.status, 200) << apps.body;
  ASSERT_FALSE(apps.json()["data"].empty());
  auto created = call(dev, "POST", "/v1/certification/requests",
                      nlohmann::json{{"app_id", apps.json()["data"][0]["id"]}}.dump());
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string base = "/v1/certification/requests/" + created.json()["id"].get<std::string>();

  auto ok = call(dev, "POST", base + "/artifacts", multipart("video", "normal,exception", "flow.mp4", video_), kMultipart);
  ASSERT_EQ(ok.status, 201) << ok.body;
  EXPECT_EQ(ok.json()["kind"], "video");
  EXPECT_EQ(ok.json()["labels"], nlohmann::json::array({"normal", "exception"}));
  EXPECT_GT(ok.json()["duration_seconds"].get<double>(), 0.5);

  auto fake = call(dev, "POST", base + "/artifacts", multipart("video", "normal", "flow.mp4", "just text, not a video"),
                   kMultipart);
  EXPECT_EQ(fake.status, 422) << fake.body;
  EXPECT_EQ(fake.header("content-type"), "application/problem+json");
  EXPECT_EQ(fake.json()["code"], "artifact_invalid");

  auto no_csrf = dev;
  no_csrf.csrf.clear();
  EXPECT_EQ(call(no_csrf, "POST", base + "/artifacts", multipart("video", "normal", "flow.mp4", video_), kMultipart).json()["code"],
            "csrf_failed");
  auto rival = sign_in("rival@initech.example", world_->rival_password);
  auto hidden = call(rival, "GET", base + "/artifacts");
  EXPECT_EQ(hidden.status, 404) << hidden.body;

  auto list = call(dev, "GET", base + "/artifacts");
  ASSERT_EQ(list.status, 200) << list.body;
  ASSERT_EQ(list.json()["data"].size(), 1u);
  auto download = call(dev, "GET", base + "/artifacts/" + ok.json()["id"].get<std::string>() + "/content");
  EXPECT_EQ(download.status, 200);
  EXPECT_EQ(download.body, video_);
}

}  // namespace
}  // namespace cs::testing
