// Video artifacts (issue 6 §3; DESIGN.md "The certification program": "Videos are validated as
// real video files"). A submission video is at most 4.5 MB; kickoff meeting recordings use the
// same check with a larger, configured limit.
//
// The probe runs entirely in memory on libavformat/libavcodec: a custom AVIOContext reads the
// uploaded bytes, nested opens (playlists, references to other files or URLs) are refused, only
// ordinary video containers may be demuxed, and one video frame must actually decode. It is
// blocking CPU work: callers run it on a worker pool or in a job, never on a network thread.
// Thread-safe: each call owns its libav contexts.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "core/clock.hpp"
#include "core/error.hpp"

namespace cs::certification {

// Process rule (DocuSign step 5): "a 4.5MB video". 4.5 × 1024 × 1024 bytes.
inline constexpr std::int64_t kMaxSubmissionVideoBytes = 4'718'592;

struct VideoInfo {
  std::int64_t size_bytes = 0;
  // libavformat's demuxer name, as `ffprobe -show_format` reports it ("mov,mp4,m4a,3gp,3g2,mj2",
  // "matroska,webm", "avi", ...).
  std::string container;
  Micros duration_us = 0;  // always > 0
  int width = 0;
  int height = 0;
  std::string video_codec;  // libavcodec's codec name: "h264", "vp9", "av1", ...
  bool has_audio = false;
};

// Validates `bytes` as a real video of at most `max_bytes` bytes.
// Errors:
//   payload_too_large  over max_bytes;
//   validation_failed  empty; not a video container ("not a video file"); no video stream
//                      (audio-only, or only a cover picture); no duration; a damaged or truncated
//                      file whose frames cannot be read or decoded.
// The public message is safe to show to the partner; libav's own error text goes to detail().
Result<VideoInfo> probe_video(std::span<const std::uint8_t> bytes,
                              std::int64_t max_bytes = kMaxSubmissionVideoBytes);

}  // namespace cs::certification
