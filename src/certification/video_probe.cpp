#include "certification/video_probe.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <string>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/error.h>
#include <libavutil/log.h>
#include <libavutil/mem.h>
}

namespace cs::certification {
namespace {

// Ordinary video containers only (token match against the demuxer's comma-separated names).
// Everything else a probe could pick (image2, playlists, concat scripts, raw bitstreams, text
// demuxers) is refused before its read_header runs.
constexpr const char* kContainerWhitelist = "mov,matroska,avi,mpegts,mpeg,ogg,asf,flv";
constexpr int kIoBufferBytes = 64 * 1024;
constexpr std::int64_t kProbeBytes = 5'000'000;       // libavformat's own default, pinned
constexpr std::int64_t kAnalyzeMicros = 10'000'000;
constexpr int kMaxStreams = 64;
constexpr std::int64_t kMaxPixels = 8192LL * 4320;  // 8K; a hostile header cannot ask for more
// Demuxing is cheap, but the loop must end even if a demuxer misbehaves on hostile input.
constexpr std::int64_t kMaxPackets = 4'000'000;
constexpr int kMaxPacketsBeforeFrame = 512;

std::string av_error_text(int code) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, text, sizeof text);
  return text;
}

void quiet_libav() {
  static std::once_flag once;
  std::call_once(once, [] { av_log_set_level(AV_LOG_QUIET); });
}

struct MemoryInput {
  std::span<const std::uint8_t> bytes;
  std::int64_t pos = 0;
};

int read_memory(void* opaque, std::uint8_t* buf, int buf_size) {
  auto* in = static_cast<MemoryInput*>(opaque);
  const auto remaining = static_cast<std::int64_t>(in->bytes.size()) - in->pos;
  const auto n = static_cast<int>(std::min<std::int64_t>(remaining, buf_size));
  if (n <= 0) return AVERROR_EOF;
  std::memcpy(buf, in->bytes.data() + in->pos, static_cast<std::size_t>(n));
  in->pos += n;
  return n;
}

std::int64_t seek_memory(void* opaque, std::int64_t offset, int whence) {
  auto* in = static_cast<MemoryInput*>(opaque);
  const auto size = static_cast<std::int64_t>(in->bytes.size());
  std::int64_t target = 0;
  switch (whence & ~AVSEEK_FORCE) {
    case AVSEEK_SIZE: return size;
    case SEEK_SET: target = offset; break;
    case SEEK_CUR: target = in->pos + offset; break;
    case SEEK_END: target = size + offset; break;
    default: return AVERROR(EINVAL);
  }
  if (target < 0 || target > size) return AVERROR(EINVAL);
  in->pos = target;
  return target;
}

// Playlists (hls, dash), concat scripts and mov external data references open further files or
// URLs through this hook: an upload must never make the server read anything else.
int refuse_nested_open(AVFormatContext*, AVIOContext**, const char*, int, AVDictionary**) {
  return AVERROR(EPERM);
}

struct IoDeleter {
  void operator()(AVIOContext* io) const {
    av_freep(&io->buffer);  // libav may have replaced the buffer we gave it
    avio_context_free(&io);
  }
};
struct FormatDeleter {
  void operator()(AVFormatContext* f) const { avformat_close_input(&f); }
};
struct CodecDeleter {
  void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
struct PacketDeleter {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct FrameDeleter {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};

tl::unexpected<Error> refuse(std::string message, std::string detail = {}) {
  return fail(Errc::validation_failed, std::move(message), std::move(detail));
}

// The usable video stream: the largest one that is not a cover picture (an audio file with
// artwork carries its image as an "attached picture" video stream).
AVStream* main_video_stream(const AVFormatContext& f) {
  AVStream* best = nullptr;
  for (unsigned i = 0; i < f.nb_streams; ++i) {
    AVStream* st = f.streams[i];
    if (st->codecpar->codec_type != AVMEDIA_TYPE_VIDEO) continue;
    if (st->disposition & AV_DISPOSITION_ATTACHED_PIC) continue;
    if (st->codecpar->codec_id == AV_CODEC_ID_NONE) continue;
    const auto area = std::int64_t{st->codecpar->width} * st->codecpar->height;
    if (!best || area > std::int64_t{best->codecpar->width} * best->codecpar->height) best = st;
  }
  return best;
}

bool has_audio_stream(const AVFormatContext& f) {
  for (unsigned i = 0; i < f.nb_streams; ++i)
    if (f.streams[i]->codecpar->codec_type == AVMEDIA_TYPE_AUDIO) return true;
  return false;
}

// Clamped so that sums and differences of timestamps from a hostile file cannot overflow.
Micros to_micros(std::int64_t ts, AVRational time_base) {
  constexpr Micros kBound = Micros{1} << 61;
  return std::clamp<Micros>(av_rescale_q(ts, time_base, AVRational{1, 1'000'000}), -kBound, kBound);
}

// What demuxing every packet of the main video stream showed.
struct VideoScan {
  std::int64_t packets = 0;
  Micros first_us = std::numeric_limits<Micros>::max();
  Micros end_us = 0;  // latest pts + duration
  bool decoded = false;
  int frame_width = 0;
  int frame_height = 0;
};

// Receives whatever the decoder has ready; true once a frame came out.
bool take_frame(AVCodecContext& dec, AVFrame& frame, VideoScan& scan) {
  while (avcodec_receive_frame(&dec, &frame) == 0) {
    scan.decoded = true;
    scan.frame_width = frame.width;
    scan.frame_height = frame.height;
    av_frame_unref(&frame);
  }
  return scan.decoded;
}

Result<std::unique_ptr<AVCodecContext, CodecDeleter>> open_decoder(const AVStream& st) {
  const AVCodec* codec = avcodec_find_decoder(st.codecpar->codec_id);
  if (!codec)
    return refuse(std::string("unsupported video codec \"") + avcodec_get_name(st.codecpar->codec_id) +
                  "\": use H.264, VP8, VP9 or AV1");
  std::unique_ptr<AVCodecContext, CodecDeleter> dec(avcodec_alloc_context3(codec));
  if (!dec) return fail(Errc::internal, "video probe failed", "avcodec_alloc_context3");
  if (avcodec_parameters_to_context(dec.get(), st.codecpar) < 0)
    return refuse("the video stream is damaged", "avcodec_parameters_to_context");
  dec->thread_count = 1;  // no decoder threads per upload; the caller's pool bounds concurrency
  dec->max_pixels = kMaxPixels;
  if (const int rc = avcodec_open2(dec.get(), codec, nullptr); rc < 0)
    return refuse("the video stream is damaged", "avcodec_open2: " + av_error_text(rc));
  return dec;
}

// Reads every packet (demuxing only; bounded by the input size) and decodes until one frame of
// the main video stream comes out: a container holding garbage frames is not a real video.
Result<VideoScan> scan_video(AVFormatContext& f, AVStream& st) {
  auto dec = CS_TRY(open_decoder(st));
  std::unique_ptr<AVPacket, PacketDeleter> pkt(av_packet_alloc());
  std::unique_ptr<AVFrame, FrameDeleter> frame(av_frame_alloc());
  if (!pkt || !frame) return fail(Errc::internal, "video probe failed", "av_packet_alloc");
  VideoScan scan;
  int sent = 0;
  for (std::int64_t n = 0;; ++n) {
    if (n > kMaxPackets) return refuse("the video file has too many frames");
    const int rc = av_read_frame(&f, pkt.get());
    if (rc == AVERROR_EOF) break;
    if (rc < 0) return refuse("the video file is damaged or truncated", "av_read_frame: " + av_error_text(rc));
    if (pkt->stream_index == st.index) {
      ++scan.packets;
      if (pkt->pts != AV_NOPTS_VALUE) {
        const Micros start = to_micros(pkt->pts, st.time_base);
        scan.first_us = std::min(scan.first_us, start);
        scan.end_us = std::max(scan.end_us, start + to_micros(std::max<std::int64_t>(pkt->duration, 0), st.time_base));
      }
      if (!scan.decoded && sent < kMaxPacketsBeforeFrame) {
        ++sent;
        // A damaged packet is tolerated here; only "no frame at all" is refused below.
        if (avcodec_send_packet(dec.get(), pkt.get()) == 0) take_frame(*dec, *frame, scan);
      }
    }
    av_packet_unref(pkt.get());
  }
  if (!scan.decoded && avcodec_send_packet(dec.get(), nullptr) == 0) take_frame(*dec, *frame, scan);
  if (scan.packets == 0) return refuse("no video frames: the video stream is empty");
  if (!scan.decoded) return refuse("the video stream cannot be decoded: not a real video, or a damaged one");
  return scan;
}

Micros declared_duration(const AVFormatContext& f, const AVStream& st) {
  if (f.duration != AV_NOPTS_VALUE && f.duration > 0) return to_micros(f.duration, AVRational{1, AV_TIME_BASE});
  if (st.duration != AV_NOPTS_VALUE && st.duration > 0) return to_micros(st.duration, st.time_base);
  return 0;
}

// A cut-off upload still has the header of the whole file: its index promises more frames, or
// its duration more time, than the data holds. The slack (10 %, at most 2 s, plus 0.25 s)
// absorbs a last frame without a duration and audio that runs a little past the picture.
bool looks_truncated(const AVStream& st, const VideoScan& scan, Micros declared_us) {
  if (st.nb_frames > 0 && scan.packets < st.nb_frames) return true;
  if (declared_us <= 0 || scan.end_us <= 0 || scan.first_us == std::numeric_limits<Micros>::max()) return false;
  const Micros shown = scan.end_us - scan.first_us;
  return shown + 250'000 + std::min<Micros>(declared_us / 10, 2'000'000) < declared_us;
}

}  // namespace

Result<VideoInfo> probe_video(std::span<const std::uint8_t> bytes, std::int64_t max_bytes) {
  const auto size = static_cast<std::int64_t>(bytes.size());
  if (size > max_bytes)
    return fail(Errc::payload_too_large, "the video is " + std::to_string(size) + " bytes; at most " +
                                             std::to_string(max_bytes) + " bytes are accepted");
  if (size == 0) return refuse("the video file is empty");
  quiet_libav();

  MemoryInput input{bytes};
  auto* buffer = static_cast<std::uint8_t*>(av_malloc(kIoBufferBytes));
  if (!buffer) return fail(Errc::internal, "video probe failed", "av_malloc");
  AVIOContext* raw_io = avio_alloc_context(buffer, kIoBufferBytes, 0, &input, read_memory, nullptr, seek_memory);
  if (!raw_io) {
    av_free(buffer);
    return fail(Errc::internal, "video probe failed", "avio_alloc_context");
  }
  std::unique_ptr<AVIOContext, IoDeleter> io(raw_io);

  AVFormatContext* raw = avformat_alloc_context();
  if (!raw) return fail(Errc::internal, "video probe failed", "avformat_alloc_context");
  raw->pb = io.get();
  raw->flags |= AVFMT_FLAG_CUSTOM_IO;
  raw->probesize = kProbeBytes;
  raw->max_analyze_duration = kAnalyzeMicros;
  raw->max_streams = kMaxStreams;
  raw->io_open = refuse_nested_open;
  raw->format_whitelist = av_strdup(kContainerWhitelist);
  raw->protocol_whitelist = av_strdup("none");
  // On failure avformat_open_input frees the context (not our custom AVIOContext).
  if (const int rc = avformat_open_input(&raw, "", nullptr, nullptr); rc < 0)
    return refuse("not a video file: the content is not a supported video container (MP4, MOV, WebM, "
                  "Matroska, AVI, MPEG, Ogg, WMV, FLV), or it is damaged",
                  "avformat_open_input: " + av_error_text(rc));
  std::unique_ptr<AVFormatContext, FormatDeleter> fmt(raw);
  if (const int rc = avformat_find_stream_info(fmt.get(), nullptr); rc < 0)
    return refuse("the video file is damaged: its streams cannot be read",
                  "avformat_find_stream_info: " + av_error_text(rc));

  AVStream* st = main_video_stream(*fmt);
  if (!st) return refuse("no video stream: the file holds no moving picture (audio only, or only a cover image)");
  const auto scan = CS_TRY(scan_video(*fmt, *st));
  Micros duration = declared_duration(*fmt, *st);
  if (looks_truncated(*st, scan, duration))
    return refuse("the video file is truncated: it holds less than its header announces");
  if (duration <= 0 && scan.first_us != std::numeric_limits<Micros>::max())
    duration = scan.end_us - scan.first_us;
  if (duration <= 0) return refuse("no duration: the video has no measurable length");

  VideoInfo info;
  info.size_bytes = size;
  info.container = fmt->iformat->name;
  info.duration_us = duration;
  info.width = st->codecpar->width > 0 ? st->codecpar->width : scan.frame_width;
  info.height = st->codecpar->height > 0 ? st->codecpar->height : scan.frame_height;
  info.video_codec = avcodec_get_name(st->codecpar->codec_id);
  info.has_audio = has_audio_stream(*fmt);
  if (info.width <= 0 || info.height <= 0) return refuse("the video stream has no picture size");
  return info;
}

}  // namespace cs::certification
