// Certification artifacts (issue 6 §3): what a partner (or, for meeting recordings, staff)
// uploads as evidence, validated on upload and stored in the content-addressed blob store.
// validate_artifact() is pure (no storage), so every refusal is unit-tested on bytes alone.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "certification/trace_scan.hpp"
#include "certification/video_probe.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "store/database.hpp"

namespace cs::certification {

enum class ArtifactKind { video, trace, security_report, meeting_recording, supplemental };
std::string_view to_string(ArtifactKind k);
std::optional<ArtifactKind> parse_artifact_kind(std::string_view text);

struct ArtifactLimits {
  std::int64_t video_max_bytes = kMaxSubmissionVideoBytes;
  std::int64_t recording_max_bytes = 256LL * 1024 * 1024;
  std::int64_t artifact_max_bytes = 25LL * 1024 * 1024;
};

// What the uploader sends (multipart fields).
struct NewArtifact {
  ArtifactKind kind = ArtifactKind::supplemental;
  std::string filename;
  std::string content_type;
  std::span<const std::uint8_t> bytes;
  // Videos: which flows it shows (at least one of the two).
  bool label_normal = false;
  bool label_exception = false;
  std::optional<std::string> finding_id;  // supplemental: new evidence for this finding
};

// What validation found.
struct ValidatedArtifact {
  std::optional<Micros> duration_us;
  int live_secrets = 0;
  std::optional<TraceReport> trace;  // traces only
  nlohmann::json detail = nlohmann::json::object();
};

// Errors: payload_too_large over the kind's limit; artifact_invalid for a file that is not what
// its kind claims (a renamed text file as a video, an unparsable trace, a non-PDF report), or a
// video without a label; the public message says what is wrong.
Result<ValidatedArtifact> validate_artifact(const NewArtifact& upload, const ArtifactLimits& limits);

struct Artifact {
  std::string id;  // art_...
  std::string request_id;
  ArtifactKind kind = ArtifactKind::supplemental;
  std::string filename;
  std::string content_type;
  std::string blob_sha256;
  std::int64_t size_bytes = 0;
  bool label_normal = false;
  bool label_exception = false;
  std::optional<Micros> duration_us;
  int live_secrets = 0;
  std::optional<std::string> finding_id;
  nlohmann::json detail = nlohmann::json::object();
  std::string uploaded_by;
  Micros uploaded_at = 0;
};

nlohmann::json to_json(const Artifact& a);

// Storage (cert_artifacts); the caller has authorised.
Status insert_artifact(store::Connection& conn, const Artifact& a);
Result<std::vector<Artifact>> list_artifacts(store::Connection& conn, std::string_view request_id);
Result<Artifact> find_artifact(store::Connection& conn, std::string_view request_id, std::string_view artifact_id);

// What the submission guard and the pre-review read from a request's artifacts.
struct ArtifactFacts {
  bool has_normal_flow_video = false;
  bool exception_flows_covered = false;
  std::set<std::string> functions_covered_by_traces;
  bool traces_have_live_secrets = false;
  int videos = 0;
  int traces = 0;
};
ArtifactFacts summarise_artifacts(const std::vector<Artifact>& artifacts);

}  // namespace cs::certification
