#include "certification/artifacts.hpp"

#include <array>
#include <utility>

#include "esign/pdf_inspect.hpp"
#include "store/params.hpp"

namespace cs::certification {

namespace {

constexpr std::array<std::pair<ArtifactKind, std::string_view>, 5> kKindNames{{
    {ArtifactKind::video, "video"},
    {ArtifactKind::trace, "trace"},
    {ArtifactKind::security_report, "security_report"},
    {ArtifactKind::meeting_recording, "meeting_recording"},
    {ArtifactKind::supplemental, "supplemental"},
}};

std::string_view as_text(std::span<const std::uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

tl::unexpected<Error> invalid(std::string message, std::string detail = {}) {
  return fail(Error(Errc::artifact_invalid, std::move(message), std::move(detail)).with_field("file"));
}

tl::unexpected<Error> too_large(std::string_view what, std::int64_t limit) {
  return fail(Error(Errc::payload_too_large,
                    std::string(what) + " is larger than the limit of " + std::to_string(limit) + " bytes")
                  .with_field("file"));
}

Result<ValidatedArtifact> validate_video(const NewArtifact& upload, std::int64_t max_bytes, bool needs_label) {
  if (static_cast<std::int64_t>(upload.bytes.size()) > max_bytes) return too_large("the video", max_bytes);
  if (needs_label && !upload.label_normal && !upload.label_exception) {
    return fail(Error(Errc::validation_failed, "label the video as showing the normal flow, the exception flows, or both")
                    .with_field("labels"));
  }
  auto info = probe_video(upload.bytes, max_bytes);
  if (!info) {
    if (info.error().errc() == Errc::payload_too_large) return too_large("the video", max_bytes);
    // The probe's public message is written for the partner ("not a video file", ...).
    return invalid(info.error().message(), info.error().detail());
  }
  ValidatedArtifact v;
  v.duration_us = info->duration_us;
  v.detail = {{"container", info->container},   {"duration_us", info->duration_us},
              {"width", info->width},           {"height", info->height},
              {"video_codec", info->video_codec}, {"has_audio", info->has_audio}};
  return v;
}

Result<ValidatedArtifact> validate_trace(const NewArtifact& upload, std::int64_t max_bytes) {
  if (static_cast<std::int64_t>(upload.bytes.size()) > max_bytes) return too_large("the trace", max_bytes);
  auto report = analyse_trace(as_text(upload.bytes), upload.filename);
  if (!report) {
    if (report.error().errc() == Errc::payload_too_large) return too_large("the trace", max_bytes);
    return invalid("not a usable trace: " + report.error().message(), report.error().detail());
  }
  ValidatedArtifact v;
  v.live_secrets = static_cast<int>(report->secrets.size() + report->secrets_omitted);
  nlohmann::json secrets = nlohmann::json::array();
  for (const auto& s : report->secrets) {
    // Only the kind and where it is, with the masked preview: never the secret itself.
    secrets.push_back({{"kind", to_string(s.kind)}, {"location", s.location()}, {"preview", s.preview}});
  }
  v.detail = {{"format", to_string(report->format)},
              {"pairs", report->pair_count()},
              {"calls", report->calls.size()},
              {"functions_covered", report->functions_covered},
              {"live_secrets", secrets},
              {"secrets_omitted", report->secrets_omitted}};
  v.trace = std::move(*report);
  return v;
}

}  // namespace

std::string_view to_string(ArtifactKind k) {
  for (const auto& [kind, name] : kKindNames) {
    if (kind == k) return name;
  }
  return "supplemental";
}

std::optional<ArtifactKind> parse_artifact_kind(std::string_view text) {
  for (const auto& [kind, name] : kKindNames) {
    if (name == text) return kind;
  }
  return std::nullopt;
}

Result<ValidatedArtifact> validate_artifact(const NewArtifact& upload, const ArtifactLimits& limits) {
  if (upload.bytes.empty()) return invalid("the file is empty");
  switch (upload.kind) {
    case ArtifactKind::video:
      return validate_video(upload, limits.video_max_bytes, true);
    case ArtifactKind::meeting_recording:
      return validate_video(upload, limits.recording_max_bytes, false);
    case ArtifactKind::trace:
      return validate_trace(upload, limits.artifact_max_bytes);
    case ArtifactKind::security_report: {
      if (static_cast<std::int64_t>(upload.bytes.size()) > limits.artifact_max_bytes) {
        return too_large("the report", limits.artifact_max_bytes);
      }
      auto pdf = esign::inspect_pdf(as_text(upload.bytes));
      if (!pdf) {
        return invalid(pdf.error().errc() == Errc::pdf_encrypted ? "the report is an encrypted PDF; upload it without a password"
                                                                 : "the report is not a readable PDF",
                       pdf.error().detail());
      }
      ValidatedArtifact v;
      v.detail = {{"pages", pdf->page_count}};
      return v;
    }
    case ArtifactKind::supplemental:
      if (static_cast<std::int64_t>(upload.bytes.size()) > limits.artifact_max_bytes) {
        return too_large("the file", limits.artifact_max_bytes);
      }
      return ValidatedArtifact{};
  }
  return invalid("unknown artifact kind");
}

nlohmann::json to_json(const Artifact& a) {
  nlohmann::json j = {{"id", a.id},
                      {"request_id", a.request_id},
                      {"kind", to_string(a.kind)},
                      {"filename", a.filename},
                      {"content_type", a.content_type},
                      {"sha256", a.blob_sha256},
                      {"size_bytes", a.size_bytes},
                      {"uploaded_by", a.uploaded_by},
                      {"uploaded_at", format_rfc3339(a.uploaded_at)},
                      {"detail", a.detail}};
  if (a.kind == ArtifactKind::video) {
    nlohmann::json labels = nlohmann::json::array();
    if (a.label_normal) labels.push_back("normal");
    if (a.label_exception) labels.push_back("exception");
    j["labels"] = labels;
  }
  if (a.duration_us) j["duration_seconds"] = static_cast<double>(*a.duration_us) / 1e6;
  if (a.kind == ArtifactKind::trace) j["live_secrets"] = a.live_secrets;
  if (a.finding_id) j["finding_id"] = *a.finding_id;
  return j;
}

namespace {

constexpr std::string_view kColumns =
    "id, request_id, kind, filename, content_type, blob_sha256, size_bytes, label_normal, label_exception, "
    "duration_us, live_secrets, finding_id, detail, uploaded_by, uploaded_at";

Artifact from_row(const store::Row& r) {
  Artifact a;
  a.id = r.text(0);
  a.request_id = r.text(1);
  a.kind = parse_artifact_kind(r.text(2)).value_or(ArtifactKind::supplemental);
  a.filename = r.text(3);
  a.content_type = r.text(4);
  a.blob_sha256 = r.text(5);
  a.size_bytes = r.int64(6);
  a.label_normal = r.int64(7) != 0;
  a.label_exception = r.int64(8) != 0;
  a.duration_us = r.opt_int64(9);
  a.live_secrets = static_cast<int>(r.int64(10));
  a.finding_id = r.opt_text(11);
  a.detail = nlohmann::json::parse(r.text(12), nullptr, false);
  if (a.detail.is_discarded()) a.detail = nlohmann::json::object();
  a.uploaded_by = r.text(13);
  a.uploaded_at = r.int64(14);
  return a;
}

}  // namespace

Status insert_artifact(store::Connection& conn, const Artifact& a) {
  using store::params;
  CS_TRY(conn.exec("INSERT INTO cert_artifacts (" + std::string(kColumns) +
                       ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
                   params(a.id, a.request_id, to_string(a.kind), a.filename, a.content_type, a.blob_sha256,
                          a.size_bytes, a.label_normal, a.label_exception, a.duration_us,
                          std::int64_t{a.live_secrets}, a.finding_id, a.detail.dump(), a.uploaded_by,
                          a.uploaded_at)));
  return {};
}

Result<std::vector<Artifact>> list_artifacts(store::Connection& conn, std::string_view request_id) {
  auto rows = CS_TRY(conn.query("SELECT " + std::string(kColumns) +
                                    " FROM cert_artifacts WHERE request_id = $1 ORDER BY uploaded_at, id",
                                store::params(request_id)));
  std::vector<Artifact> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(from_row(r));
  return out;
}

Result<Artifact> find_artifact(store::Connection& conn, std::string_view request_id, std::string_view artifact_id) {
  auto row = CS_TRY(conn.query_one("SELECT " + std::string(kColumns) +
                                       " FROM cert_artifacts WHERE id = $1 AND request_id = $2",
                                   store::params(artifact_id, request_id)));
  if (!row) return fail(Errc::not_found, "no such artifact");
  return from_row(*row);
}

ArtifactFacts summarise_artifacts(const std::vector<Artifact>& artifacts) {
  ArtifactFacts f;
  for (const auto& a : artifacts) {
    if (a.kind == ArtifactKind::video) {
      ++f.videos;
      f.has_normal_flow_video = f.has_normal_flow_video || a.label_normal;
      f.exception_flows_covered = f.exception_flows_covered || a.label_exception;
    } else if (a.kind == ArtifactKind::trace) {
      ++f.traces;
      if (a.live_secrets > 0) f.traces_have_live_secrets = true;
      if (auto it = a.detail.find("functions_covered"); it != a.detail.end() && it->is_array()) {
        for (const auto& fn : *it) {
          if (fn.is_string()) f.functions_covered_by_traces.insert(fn.get<std::string>());
        }
      }
    }
  }
  return f;
}

}  // namespace cs::certification
