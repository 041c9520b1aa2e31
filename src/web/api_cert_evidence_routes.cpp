// The evidence of a certification request (issue 6 §2-§4): thin routes over
// certification::EvidenceService, for the partner console and the staff (session cookie + CSRF).
// Route prefix (cert-common): /v1/certification/requests/{id}/artifacts..., /questionnaire,
// /instance-access..., /kickoff, /dry-run, /call-log-date, /pre-review, /checks/..., and the
// questionnaire definition GET /v1/certification/questionnaire.
#include <algorithm>

#include <nlohmann/json.hpp>

#include "certification/evidence_service.hpp"
#include "http/json_body.hpp"
#include "web/api_support.hpp"
#include "web/bearer_auth.hpp"
#include "web/multipart.hpp"
#include "web/web_context.hpp"

namespace cs::web {
namespace {

using nlohmann::json;
namespace cert = cs::certification;

constexpr ApiAuth kConsole{.scope = {}, .bearer = false, .session = true};
constexpr std::size_t kMaxJsonBody = 256 * 1024;
// Multipart framing and the small form fields around the file.
constexpr std::size_t kMultipartOverhead = 64 * 1024;

http::Response problem(const Error& e, const http::Request& req) { return http::Response::problem(e, req.request_id); }

Error invalid(std::string message, std::string field) {
  return Error(Errc::validation_failed, std::move(message)).with_field(std::move(field));
}

template <class Fn>
http::Response with_staff_or_partner(WebContext& ctx, http::Request& req, Fn&& fn) {
  auto caller = authenticate_api(ctx, req, kConsole);
  if (!caller) return std::move(caller.error());
  if (!ctx.evidence) return problem(Error(Errc::unavailable, "The certification service is not available"), req);
  return fn(caller->session->principal);
}

const MultipartPart* part_named(const std::vector<MultipartPart>& parts, std::string_view name) {
  for (const auto& p : parts) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

// Multipart fields: file (the bytes), kind, labels ("normal", "exception" or "normal,exception";
// the field may repeat), finding_id.
Result<cert::NewArtifact> parse_upload(const http::Request& req, const std::vector<MultipartPart>& parts) {
  for (const auto& p : parts) {
    static const std::vector<std::string_view> kKnown = {"file", "kind", "labels", "finding_id"};
    if (std::find(kKnown.begin(), kKnown.end(), p.name) == kKnown.end()) {
      return fail(Error(Errc::unknown_field, "Unknown form field \"" + p.name + "\"").with_field(p.name));
    }
  }
  (void)req;
  cert::NewArtifact a;
  const auto* kind = part_named(parts, "kind");
  if (!kind) return fail(invalid("kind is required", "kind"));
  auto k = cert::parse_artifact_kind(kind->body);
  if (!k) {
    return fail(invalid("kind must be video, trace, security_report, meeting_recording or supplemental", "kind"));
  }
  a.kind = *k;
  for (const auto& p : parts) {
    if (p.name != "labels") continue;
    std::string_view rest = p.body;
    while (!rest.empty()) {
      auto comma = rest.find(',');
      auto label = rest.substr(0, comma);
      while (!label.empty() && label.front() == ' ') label.remove_prefix(1);
      while (!label.empty() && label.back() == ' ') label.remove_suffix(1);
      if (label == "normal") {
        a.label_normal = true;
      } else if (label == "exception") {
        a.label_exception = true;
      } else if (!label.empty()) {
        return fail(invalid("labels must be normal and/or exception", "labels"));
      }
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  if ((a.label_normal || a.label_exception) && a.kind != cert::ArtifactKind::video) {
    return fail(invalid("only videos carry labels", "labels"));
  }
  if (const auto* f = part_named(parts, "finding_id")) a.finding_id = f->body;
  const auto* file = part_named(parts, "file");
  if (!file) return fail(invalid("the file part is required", "file"));
  a.filename = file->filename.value_or("upload");
  a.content_type = file->content_type;
  a.bytes = std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(file->body.data()), file->body.size());
  return a;
}

Result<cert::InstanceAccessInput> parse_instance_access(const http::Request& req) {
  auto body = CS_TRY(http::parse_json_object(req));
  CS_CHECK(http::reject_unknown_fields(body, {"url", "username", "password", "notes"}));
  cert::InstanceAccessInput in;
  in.url = CS_TRY(http::required_string(body, "url"));
  in.username = CS_TRY(http::required_string(body, "username"));
  in.password = CS_TRY(http::required_string(body, "password"));
  in.notes = CS_TRY(http::optional_string(body, "notes")).value_or("");
  return in;
}

Result<cert::KickoffInput> parse_kickoff(const http::Request& req) {
  auto body = CS_TRY(http::parse_json_object(req));
  CS_CHECK(http::reject_unknown_fields(body, {"held_on", "participants", "notes", "recording_artifact_id"}));
  cert::KickoffInput in;
  in.held_on = CS_TRY(http::required_string(body, "held_on"));
  auto participants = CS_TRY(optional_string_list(body, "participants"));
  if (!participants) return fail(invalid("participants is required", "participants"));
  in.participants = std::move(*participants);
  in.notes = CS_TRY(http::optional_string(body, "notes")).value_or("");
  in.recording_artifact_id = CS_TRY(http::optional_string(body, "recording_artifact_id"));
  return in;
}

Result<cert::DryRunInput> parse_dry_run(const http::Request& req) {
  auto body = CS_TRY(http::parse_json_object(req));
  CS_CHECK(http::reject_unknown_fields(body, {"scheduled_on", "planned_certification_date", "notes", "held"}));
  cert::DryRunInput in;
  in.scheduled_on = CS_TRY(http::optional_string(body, "scheduled_on"));
  in.planned_certification_date = CS_TRY(http::optional_string(body, "planned_certification_date"));
  in.notes = CS_TRY(http::optional_string(body, "notes"));
  in.held = CS_TRY(http::optional_bool(body, "held"));
  return in;
}

json kickoff_or_null(const std::optional<cert::Kickoff>& k) { return k ? cert::to_json(*k) : json(nullptr); }

}  // namespace

void register_cert_evidence_routes(http::Router& router, WebContext& ctx) {
  const http::RouteOptions json_route{.max_body = kMaxJsonBody};
  std::size_t upload_max = kMultipartOverhead;
  if (ctx.evidence) {
    const auto& l = ctx.evidence->limits();
    upload_max += static_cast<std::size_t>(std::max({l.video_max_bytes, l.recording_max_bytes, l.artifact_max_bytes}));
  }
  const http::RouteOptions upload_route{.max_body = upload_max};
  const std::string base = "/v1/certification/requests/{id}";

  // The questionnaire definition is public, like the requirements catalogue.
  router.add("GET", "/v1/certification/questionnaire", [](http::Request&) {
    return http::Response::json(200, cert::to_json(cert::current_questionnaire()));
  });

  router.add("POST", base + "/artifacts", upload_route, [&ctx](http::Request& req) {
    return with_staff_or_partner(ctx, req, [&](const identity::Principal& who) {
      auto parts = parse_multipart(req.header("Content-Type").value_or(""), req.body);
      if (!parts) return problem(parts.error(), req);
      auto upload = parse_upload(req, *parts);
      if (!upload) return problem(upload.error(), req);
      auto a = ctx.evidence->upload_artifact(who, audit_context(req), req.param("id"), *upload);
      if (!a) return problem(a.error(), req);
      auto res = http::Response::json(201, cert::to_json(*a));
      res.set_header("Location", "/v1/certification/requests/" + a->request_id + "/artifacts/" + a->id);
      return res;
    });
  });

  router.add("GET", base + "/artifacts", [&ctx](http::Request& req) {
    return with_staff_or_partner(ctx, req, [&](const identity::Principal& who) {
      auto list = ctx.evidence->list_artifacts(who, req.param("id"));
      if (!list) return problem(list.error(), req);
      std::vector<json> items;
      for (const auto& a : *list) items.push_back(cert::to_json(a));
      auto page = paginate(req, items);
      if (!page) return problem(page.error(), req);
      return http::Response::json(200, *page);
    });
  });

  router.add("GET", base + "/artifacts/{artifact_id}", [&ctx](http::Request& req) {
    return with_staff_or_partner(ctx, req, [&](const identity::Principal& who) {
      auto a = ctx.evidence->get_artifact(who, req.param("id"), req.param("artifact_id"));
      if (!a) return problem(a.error(), req);
      return http::Response::json(200, cert::to_json(*a));
    });
  });

  router.add("GET", base + "/artifacts/{artifact_id}/content", [&ctx](http::Request& req) {
    return with_staff_or_partner(ctx, req, [&](const identity::Principal& who) {
      cert::Artifact meta;
      auto bytes = ctx.evidence->artifact_content(who, req.param("id"), req.param("artifact_id"), &meta);
      if (!bytes) return problem(bytes.error(), req);
      http::Response res;
      res.status = 200;
      res.body.assign(bytes->begin(), bytes->end());
      // Always a download, never rendered in our origin (an uploaded HTML file must not run).
      res.set_header("Content-Type", "application/octet-stream");
      res.set_header("Content-Disposition", "attachment; filename=\"" + meta.id + "\"");
      res.set_header("X-Content-Type-Options", "nosniff");
      return res;
    });
  });

  router.add("GET", base + "/questionnaire", [&ctx](http::Request& req) {
    return with_staff_or_partner(ctx, req, [&](const identity::Principal& who) {
      auto a = ctx.evidence->questionnaire(who, req.param("id"));
      if (!a) return problem(a.error(), req);
      return http::Response::json(200, cert::to_json(*a, cert::completeness(cert::current_questionnaire(), a->answers)));
    });
  });

  router.add("PUT", base + "/questionnaire", json_route, [&ctx](http::Request& req) {
    return with_staff_or_partner(ctx, req, [&](const identity::Principal& who) {
      auto body = http::parse_json_object(req);
      if (!body) return problem(body.error(), req);
      if (auto ok = http::reject_unknown_fields(*body, {"answers"}); !ok) return problem(ok.error(), req);
      if (!body->contains("answers")) return problem(invalid("answers is required", "answers"), req);
      auto a = ctx.evidence->put_questionnaire(who, audit_context(req), req.param("id"), (*body)["answers"]);
      if (!a) return problem(a.error(), req);
      return http::Response::json(200, cert::to_json(*a, cert::completeness(cert::current_questionnaire(), a->answers)));
    });
  });

  router.add("GET", base + "/instance-access", [&ctx](http::Request& req) {
    return with_staff_or_partner(ctx, req, [&](const identity::Principal& who) {
      auto s = ctx.evidence->instance_access_summary(who, req.param("id"));
      if (!s) return problem(s.error(), req);
      return http::Response::json(200, *s ? cert::to_json(**s) : json{{"given", false}});
    });
  });

  router.add("PUT", base + "/instance-access", json_route, [&ctx](http::Request& req) {
    return with_staff_or_partner(ctx, req, [&](const identity::Principal& who) {
      auto in = parse_instance_access(req);
      if (!in) return problem(in.error(), req);
      auto s = ctx.evidence->set_instance_access(who, audit_context(req), req.param("id"), *in);
      if (!s) return problem(s.error(), req);
      return http::Response::json(200, cert::to_json(*s));
    });
  });

  // The credentials themselves: the assigned reviewers only, every reading audited.
  router.add("GET", base + "/instance-access/credentials", [&ctx](http::Request& req) {
    return with_staff_or_partner(ctx, req, [&](const identity::Principal& who) {
      auto a = ctx.evidence->read_instance_access(who, audit_context(req), req.param("id"));
      if (!a) return problem(a.error(), req);
      auto res = http::Response::json(200, cert::to_json(*a));
      res.set_header("Cache-Control", "no-store");
      return res;
    });
  });

  router.add("GET", base + "/kickoff", [&ctx](http::Request& req) {
    return with_staff_or_partner(ctx, req, [&](const identity::Principal& who) {
      auto k = ctx.evidence->kickoff(who, req.param("id"));
      if (!k) return problem(k.error(), req);
      return http::Response::json(200, kickoff_or_null(*k));
    });
  });

  router.add("PUT", base + "/kickoff", json_route, [&ctx](http::Request& req) {
    return with_staff_or_partner(ctx, req, [&](const identity::Principal& who) {
      auto in = parse_kickoff(req);
      if (!in) return problem(in.error(), req);
      auto k = ctx.evidence->put_kickoff(who, audit_context(req), req.param("id"), *in);
      if (!k) return problem(k.error(), req);
      return http::Response::json(200, cert::to_json(*k));
    });
  });

  router.add("GET", base + "/dry-run", [&ctx](http::Request& req) {
    return with_staff_or_partner(ctx, req, [&](const identity::Principal& who) {
      auto d = ctx.evidence->dry_run(who, req.param("id"));
      if (!d) return problem(d.error(), req);
      return http::Response::json(200, *d ? cert::to_json(**d) : json(nullptr));
    });
  });

  router.add("PUT", base + "/dry-run", json_route, [&ctx](http::Request& req) {
    return with_staff_or_partner(ctx, req, [&](const identity::Principal& who) {
      auto in = parse_dry_run(req);
      if (!in) return problem(in.error(), req);
      auto d = ctx.evidence->put_dry_run(who, audit_context(req), req.param("id"), *in);
      if (!d) return problem(d.error(), req);
      return http::Response::json(200, cert::to_json(*d));
    });
  });

  router.add("PUT", base + "/call-log-date", json_route, [&ctx](http::Request& req) {
    return with_staff_or_partner(ctx, req, [&](const identity::Principal& who) {
      auto body = http::parse_json_object(req);
      if (!body) return problem(body.error(), req);
      if (auto ok = http::reject_unknown_fields(*body, {"call_log_date"}); !ok) return problem(ok.error(), req);
      auto date = http::required_string(*body, "call_log_date");
      if (!date) return problem(date.error(), req);
      auto ok = ctx.evidence->set_call_log_date(who, audit_context(req), req.param("id"), *date);
      if (!ok) return problem(ok.error(), req);
      return http::Response::json(200, {{"request_id", std::string(req.param("id"))}, {"call_log_date", *date}});
    });
  });

  router.add("POST", base + "/pre-review", json_route, [&ctx](http::Request& req) {
    return with_staff_or_partner(ctx, req, [&](const identity::Principal& who) {
      auto run = ctx.evidence->request_pre_review(who, audit_context(req), req.param("id"));
      if (!run) return problem(run.error(), req);
      auto res = http::Response::json(202, cert::to_json(*run));
      res.set_header("Location", "/v1/certification/requests/" + run->request_id + "/pre-review");
      return res;
    });
  });

  router.add("GET", base + "/pre-review", [&ctx](http::Request& req) {
    return with_staff_or_partner(ctx, req, [&](const identity::Principal& who) {
      auto run = ctx.evidence->latest_pre_review(who, req.param("id"));
      if (!run) return problem(run.error(), req);
      return http::Response::json(200, cert::to_json(*run));
    });
  });

  router.add("POST", base + "/checks/{requirement_id}/waive", json_route, [&ctx](http::Request& req) {
    return with_staff_or_partner(ctx, req, [&](const identity::Principal& who) {
      auto body = http::parse_json_object(req);
      if (!body) return problem(body.error(), req);
      if (auto ok = http::reject_unknown_fields(*body, {"reason"}); !ok) return problem(ok.error(), req);
      auto reason = http::required_string(*body, "reason");
      if (!reason) return problem(reason.error(), req);
      auto w = ctx.evidence->waive_check(who, audit_context(req), req.param("id"), req.param("requirement_id"), *reason);
      if (!w) return problem(w.error(), req);
      return http::Response::json(201, cert::to_json(*w));
    });
  });
}

}  // namespace cs::web
