// Video validation (issue 6 §3 and "Done when": the 4.5 MB boundary and fake files). Every video
// here is made by the real ffmpeg CLI in the suite's setup; the fakes are real files of other
// kinds (a qpdf PDF, audio, an image, playlists) handed over as if they were videos.
#include "certification/video_probe.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "support/temp_dir.hpp"

namespace cs::certification {
namespace {

using Bytes = std::vector<std::uint8_t>;
using ::testing::HasSubstr;

Bytes read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

Bytes text_bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

class VideoProbeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<testing::TempDir>();
    const std::string src2 = "-f lavfi -i testsrc=duration=2:size=320x240:rate=10 ";
    const std::string tone = "-f lavfi -i sine=frequency=440:duration=2 ";
    ffmpeg(src2 + "-pix_fmt yuv420p -c:v libx264", "normal.mp4");
    ffmpeg(src2 + tone + "-pix_fmt yuv420p -c:v libx264 -c:a aac -movflags +faststart", "faststart.mp4");
    ffmpeg("-f lavfi -i testsrc=duration=2:size=160x120:rate=10 " + tone +
               "-c:v libvpx-vp9 -deadline realtime -cpu-used 8 -c:a libopus",
           "flow.webm");
    ffmpeg(tone + "-c:a aac", "audio.m4a");
    ffmpeg(tone + "-c:a libmp3lame", "audio.mp3");
    ffmpeg("-f lavfi -i testsrc=size=64x64 -frames:v 1", "cover.png");
    ffmpeg(tone + "-i " + (dir_->path() / "cover.png").string() +
               " -map 0 -map 1 -c:a aac -c:v png -disposition:v:0 attached_pic",
           "cover.m4a");
    ASSERT_EQ(std::system(("qpdf --empty " + (dir_->path() / "renamed.pdf").string()).c_str()), 0);
  }
  static void TearDownTestSuite() { dir_.reset(); }

  static void ffmpeg(const std::string& args, const std::string& out) {
    const auto cmd = "ffmpeg -hide_banner -loglevel error -nostdin -y " + args + " " +
                     (dir_->path() / out).string();
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
  static Bytes file(const std::string& name) { return read_file(dir_->path() / name); }

  // A Matroska video padded by a file attachment to exactly `target` bytes. Muxing overhead
  // depends a little on the attachment's size, so the padding is corrected until it lands.
  static Bytes video_of_exact_size(std::int64_t target) {
    const auto pad = dir_->path() / "pad.bin";
    std::int64_t pad_size = target - 20'000;
    for (int attempt = 0; attempt < 6; ++attempt) {
      std::ofstream(pad, std::ios::binary | std::ios::trunc)
          << std::string(static_cast<std::size_t>(pad_size), 'p');
      ffmpeg("-f lavfi -i testsrc=duration=1:size=160x120:rate=10 -pix_fmt yuv420p -c:v libx264 -attach " +
                 pad.string() + " -metadata:s:t mimetype=application/octet-stream",
             "sized.mkv");
      auto bytes = file("sized.mkv");
      const auto size = static_cast<std::int64_t>(bytes.size());
      if (size == target) return bytes;
      pad_size += target - size;
    }
    ADD_FAILURE() << "could not pad a video to " << target << " bytes";
    return {};
  }

  static void expect_refused(const Bytes& bytes, std::string_view message_part) {
    const auto r = probe_video(bytes);
    ASSERT_FALSE(r.has_value()) << "accepted as " << r->container;
    EXPECT_EQ(r.error().errc(), Errc::validation_failed);
    EXPECT_THAT(r.error().message(), HasSubstr(std::string(message_part)));
  }

  static std::unique_ptr<testing::TempDir> dir_;
};
std::unique_ptr<testing::TempDir> VideoProbeTest::dir_;

TEST_F(VideoProbeTest, Mp4IsProbedWithDurationSizeAndCodec) {
  const auto bytes = file("normal.mp4");
  const auto info = probe_video(bytes);
  ASSERT_TRUE(info.has_value()) << info.error().message() << " / " << info.error().detail();
  EXPECT_EQ(info->size_bytes, static_cast<std::int64_t>(bytes.size()));
  EXPECT_THAT(info->container, HasSubstr("mp4"));
  EXPECT_NEAR(static_cast<double>(info->duration_us), 2'000'000.0, 100'000.0);
  EXPECT_EQ(info->width, 320);
  EXPECT_EQ(info->height, 240);
  EXPECT_EQ(info->video_codec, "h264");
  EXPECT_FALSE(info->has_audio);
}

TEST_F(VideoProbeTest, WebmWithAudioIsProbed) {
  const auto info = probe_video(file("flow.webm"));
  ASSERT_TRUE(info.has_value()) << info.error().message() << " / " << info.error().detail();
  EXPECT_EQ(info->container, "matroska,webm");
  EXPECT_EQ(info->video_codec, "vp9");
  EXPECT_EQ(info->width, 160);
  EXPECT_EQ(info->height, 120);
  EXPECT_TRUE(info->has_audio);
  EXPECT_NEAR(static_cast<double>(info->duration_us), 2'000'000.0, 100'000.0);
}

TEST_F(VideoProbeTest, FaststartMp4WithAudioIsProbed) {
  const auto info = probe_video(file("faststart.mp4"));
  ASSERT_TRUE(info.has_value()) << info.error().message() << " / " << info.error().detail();
  EXPECT_TRUE(info->has_audio);
  EXPECT_EQ(info->video_codec, "h264");
}

TEST_F(VideoProbeTest, ExactlyTheLimitIsAcceptedOneByteMoreIsRefused) {
  ASSERT_EQ(kMaxSubmissionVideoBytes, 4'718'592);
  const auto at_limit = video_of_exact_size(kMaxSubmissionVideoBytes);
  ASSERT_EQ(static_cast<std::int64_t>(at_limit.size()), kMaxSubmissionVideoBytes);
  const auto accepted = probe_video(at_limit);
  ASSERT_TRUE(accepted.has_value()) << accepted.error().message() << " / " << accepted.error().detail();
  EXPECT_EQ(accepted->size_bytes, 4'718'592);
  EXPECT_EQ(accepted->video_codec, "h264");

  const auto over = video_of_exact_size(kMaxSubmissionVideoBytes + 1);
  ASSERT_EQ(static_cast<std::int64_t>(over.size()), 4'718'593);
  const auto refused = probe_video(over);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().errc(), Errc::payload_too_large);
  EXPECT_THAT(refused.error().message(), HasSubstr("4718592"));
  // The same file is a valid meeting recording under that artifact's larger limit.
  const auto recording = probe_video(over, 64LL * 1024 * 1024);
  ASSERT_TRUE(recording.has_value()) << recording.error().message();
  EXPECT_EQ(recording->size_bytes, 4'718'593);
}

TEST_F(VideoProbeTest, LimitIsTheCallersNotAFixedOne) {
  const auto bytes = file("normal.mp4");
  const auto size = static_cast<std::int64_t>(bytes.size());
  EXPECT_TRUE(probe_video(bytes, size).has_value());
  EXPECT_EQ(probe_video(bytes, size - 1).error().errc(), Errc::payload_too_large);
}

TEST_F(VideoProbeTest, RenamedNonVideoFilesAreRefused) {
  expect_refused({}, "empty");
  expect_refused(file("renamed.pdf"), "not a video file");
  expect_refused(text_bytes("This is my certification video, honest.\n"), "not a video file");
  expect_refused(file("cover.png"), "not a video file");
  expect_refused(file("audio.mp3"), "not a video file");
  std::mt19937 rng(6);
  Bytes noise(200'000);
  for (auto& b : noise) b = static_cast<std::uint8_t>(rng());
  expect_refused(noise, "not a video file");
}

TEST_F(VideoProbeTest, AudioOnlyContainersHaveNoVideoStream) {
  expect_refused(file("audio.m4a"), "no video stream");
  // The cover image of an audio file is a video stream to libav, but not a moving picture.
  expect_refused(file("cover.m4a"), "no video stream");
}

TEST_F(VideoProbeTest, TruncatedVideosAreRefused) {
  auto cut = [](Bytes b, double keep) {
    b.resize(static_cast<std::size_t>(static_cast<double>(b.size()) * keep));
    return b;
  };
  // The index (moov) of a default MP4 is at the end: cutting it off leaves no readable container.
  expect_refused(cut(file("normal.mp4"), 0.5), "not a video file");
  // With the index up front the header survives and promises frames that are not there.
  expect_refused(cut(file("faststart.mp4"), 0.5), "truncated");
  expect_refused(cut(file("flow.webm"), 0.5), "truncated");
  // Only a few header bytes.
  expect_refused(cut(file("flow.webm"), 0.01), "");
}

TEST_F(VideoProbeTest, PlaylistsAndScriptsNeverOpenOtherFiles) {
  // Both would make libavformat read /etc/passwd if nested opens or these demuxers were allowed.
  expect_refused(text_bytes("#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n"),
                 "not a video file");
  expect_refused(text_bytes("ffconcat version 1.0\nfile '/etc/passwd'\n"), "not a video file");
}

// Hostile input: damaged headers never crash, and whatever is accepted is still a usable video.
TEST_F(VideoProbeTest, CorruptedHeadersAreRefusedOrStillValid) {
  const auto original = file("faststart.mp4");
  std::mt19937 rng(42);
  int refused = 0;
  for (int round = 0; round < 300; ++round) {
    Bytes damaged = original;
    for (int i = 0; i < 8; ++i) damaged[rng() % std::min<std::size_t>(damaged.size(), 4096)] = static_cast<std::uint8_t>(rng());
    const auto r = probe_video(damaged);
    if (r.has_value()) {
      EXPECT_GT(r->duration_us, 0);
      EXPECT_GT(r->width, 0);
      EXPECT_GT(r->height, 0);
    } else {
      ++refused;
      EXPECT_TRUE(r.error().errc() == Errc::validation_failed) << r.error().message();
    }
  }
  EXPECT_GT(refused, 0);
}

TEST_F(VideoProbeTest, ConcurrentProbesAgreeWithSerialOnes) {
  const std::vector<Bytes> inputs = {file("normal.mp4"), file("flow.webm"), file("audio.m4a"), file("renamed.pdf")};
  std::vector<std::string> expected;
  auto describe = [](const Result<VideoInfo>& r) {
    return r ? r->container + "/" + r->video_codec + "/" + std::to_string(r->duration_us) : r.error().message();
  };
  for (const auto& in : inputs) expected.push_back(describe(probe_video(in)));
  std::vector<std::vector<std::string>> seen(4);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < seen.size(); ++t)
    threads.emplace_back([&, t] {
      for (int round = 0; round < 5; ++round)
        for (const auto& in : inputs) seen[t].push_back(describe(probe_video(in)));
    });
  for (auto& th : threads) th.join();
  for (const auto& per_thread : seen)
    for (std::size_t i = 0; i < per_thread.size(); ++i) EXPECT_EQ(per_thread[i], expected[i % inputs.size()]);
}

}  // namespace
}  // namespace cs::certification
