// /v1/envelopes (issue 4 §1): thin routes over esign::EnvelopeService. Each parses, authorises
// (bearer tokens; envelope:read / envelope:write / envelope:send / signing:embedded), calls one
// service function and renders. JSON is snake_case and close to DocuSign's envelope model.
#include <charconv>
#include <cmath>
#include <memory>
#include <sstream>

#include <date/date.h>
#include <nlohmann/json.hpp>

#include "crypto/primitives.hpp"
#include "esign/envelope_service.hpp"
#include "http/json_body.hpp"
#include "web/api_support.hpp"
#include "web/bearer_auth.hpp"
#include "web/idempotency.hpp"
#include "web/multipart.hpp"
#include "web/web_context.hpp"

namespace cs::web {

namespace {

using nlohmann::json;

http::Response problem(const Error& e, const http::Request& req) { return http::Response::problem(e, req.request_id); }

Error at(const Error& e, const std::string& prefix) {
  return Error(e.errc(), e.message(), e.detail()).with_field(e.field().empty() ? prefix : prefix + "/" + e.field());
}

Error invalid(std::string message, std::string field) {
  return Error(Errc::validation_failed, std::move(message)).with_field(std::move(field));
}

// RFC 3339 with a Z or numeric offset, optional fraction (microseconds kept).
Result<Micros> parse_time(std::string_view text, std::string_view field) {
  Error bad = invalid(std::string(field) + " must be an RFC 3339 time such as 2026-05-01T12:00:00Z", std::string(field));
  std::string s(text);
  if (s.size() < 20 || s.size() > 40) return fail(bad);
  std::istringstream in(s);
  date::sys_time<std::chrono::microseconds> tp;
  in >> date::parse("%FT%T%Ez", tp);
  if (in.fail()) {
    in.clear();
    in.str(s);
    in >> date::parse("%FT%TZ", tp);
    if (in.fail()) return fail(bad);
  }
  if (in.peek() != std::char_traits<char>::eof()) return fail(bad);
  return tp.time_since_epoch().count();
}

Result<std::optional<Micros>> optional_time(const json& obj, std::string_view key) {
  auto s = CS_TRY(http::optional_string(obj, key));
  if (!s) return std::optional<Micros>{};
  return std::optional<Micros>(CS_TRY(parse_time(*s, key)));
}

Result<double> number(const json& obj, std::string_view key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_number()) return fail(invalid(std::string(key) + " must be a number", std::string(key)));
  return it->get<double>();
}

template <class T, class F>
Result<std::vector<T>> array_of(const json& obj, std::string_view key, F&& item) {
  std::vector<T> out;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return out;
  if (!it->is_array()) return fail(invalid(std::string(key) + " must be an array", std::string(key)));
  for (std::size_t i = 0; i < it->size(); ++i) {
    std::string where = std::string(key) + "/" + std::to_string(i);
    if (!(*it)[i].is_object()) return fail(invalid("Each item must be an object", where));
    auto v = item((*it)[i]);
    if (!v) return fail(at(v.error(), where));
    out.push_back(std::move(*v));
  }
  return out;
}

Result<esign::NewRecipient> parse_recipient(const json& o) {
  CS_CHECK(http::reject_unknown_fields(o, {"ref", "type", "name", "email", "routing_order", "client_user_id"}));
  esign::NewRecipient r;
  r.ref = CS_TRY(http::optional_string(o, "ref")).value_or("");
  auto type = CS_TRY(http::optional_string(o, "type")).value_or("signer");
  auto t = esign::parse_recipient_type(type);
  if (!t) return fail(invalid("type must be signer or cc", "type"));
  r.type = *t;
  r.name = CS_TRY(http::required_string(o, "name"));
  r.email = CS_TRY(http::required_string(o, "email"));
  auto order = CS_TRY(http::optional_int(o, "routing_order")).value_or(1);
  if (order < esign::kMinRoutingOrder || order > esign::kMaxRoutingOrder) {
    return fail(invalid("routing_order must be from 1 to 99", "routing_order"));
  }
  r.routing_order = static_cast<int>(order);
  r.client_user_id = CS_TRY(http::optional_string(o, "client_user_id"));
  return r;
}

Result<esign::NewField> parse_field(const json& o) {
  CS_CHECK(http::reject_unknown_fields(o, {"document", "recipient", "type", "page", "x", "y", "width", "height", "required"}));
  esign::NewField f;
  f.document_ref = CS_TRY(http::optional_string(o, "document")).value_or("");
  f.recipient_ref = CS_TRY(http::required_string(o, "recipient"));
  auto t = esign::parse_field_type(CS_TRY(http::required_string(o, "type")));
  if (!t) return fail(invalid("type must be signature, initials, date_signed, full_name, text or checkbox", "type"));
  f.type = *t;
  auto page = CS_TRY(http::required_int(o, "page"));
  if (page < 1 || page > 100000) return fail(invalid("page must be a page number from 1", "page"));
  f.page = static_cast<int>(page);
  f.x = CS_TRY(number(o, "x"));
  f.y = CS_TRY(number(o, "y"));
  f.width = CS_TRY(number(o, "width"));
  f.height = CS_TRY(number(o, "height"));
  f.required = CS_TRY(http::optional_bool(o, "required")).value_or(true);
  return f;
}

// A document's bytes come from `content_base64` (JSON) or from the multipart part named by
// `file` (multipart/form-data).
Result<esign::NewDocument> parse_document(const json& o, const std::vector<MultipartPart>* parts) {
  CS_CHECK(http::reject_unknown_fields(o, {"ref", "name", "content_base64", "file"}));
  esign::NewDocument d;
  d.ref = CS_TRY(http::optional_string(o, "ref")).value_or("");
  auto name = CS_TRY(http::optional_string(o, "name"));
  if (parts) {
    auto file = CS_TRY(http::required_string(o, "file"));
    const MultipartPart* found = nullptr;
    for (const auto& p : *parts) {
      if (p.name == file) found = &p;
    }
    if (!found || file == "metadata") return fail(invalid("No multipart part is named \"" + file + "\"", "file"));
    d.bytes = found->body;
    d.name = name ? *name : found->filename.value_or(file);
  } else {
    auto b64 = CS_TRY(http::required_string(o, "content_base64"));
    auto bytes = crypto::base64_decode(b64);
    if (!bytes) return fail(invalid("content_base64 is not valid base64", "content_base64"));
    d.bytes.assign(bytes->begin(), bytes->end());
    d.name = name.value_or("document.pdf");
  }
  return d;
}

Result<esign::CreateEnvelope> parse_create(const json& o, const std::vector<MultipartPart>* parts) {
  CS_CHECK(http::reject_unknown_fields(
      o, {"email_subject", "email_message", "expires_at", "status", "documents", "recipients", "fields"}));
  esign::CreateEnvelope in;
  in.email_subject = CS_TRY(http::required_string(o, "email_subject"));
  in.email_message = CS_TRY(http::optional_string(o, "email_message")).value_or("");
  in.expires_at = CS_TRY(optional_time(o, "expires_at"));
  auto status = CS_TRY(http::optional_string(o, "status")).value_or("created");
  if (status != "created" && status != "sent") return fail(invalid("status must be created or sent", "status"));
  in.send = status == "sent";
  in.documents = CS_TRY(array_of<esign::NewDocument>(o, "documents", [&](const json& d) { return parse_document(d, parts); }));
  in.recipients = CS_TRY(array_of<esign::NewRecipient>(o, "recipients", parse_recipient));
  in.fields = CS_TRY(array_of<esign::NewField>(o, "fields", parse_field));
  return in;
}

Result<esign::UpdateDraft> parse_update(const json& o) {
  CS_CHECK(http::reject_unknown_fields(o, {"email_subject", "email_message", "expires_at", "recipients", "fields"}));
  esign::UpdateDraft in;
  in.email_subject = CS_TRY(http::optional_string(o, "email_subject"));
  in.email_message = CS_TRY(http::optional_string(o, "email_message"));
  if (o.contains("expires_at")) in.expires_at = CS_TRY(optional_time(o, "expires_at"));
  if (o.contains("recipients")) in.recipients = CS_TRY(array_of<esign::NewRecipient>(o, "recipients", parse_recipient));
  if (o.contains("fields")) in.fields = CS_TRY(array_of<esign::NewField>(o, "fields", parse_field));
  return in;
}

json opt_time(const std::optional<Micros>& t) { return time_json(t); }

json summary_json(const esign::Envelope& e) {
  return {{"id", e.id},
          {"status", std::string(to_string(e.status))},
          {"email_subject", e.email_subject},
          {"email_message", e.email_message},
          {"expires_at", opt_time(e.expires_at)},
          {"status_reason", e.status_reason ? json(*e.status_reason) : json(nullptr)},
          {"created_at", format_rfc3339(e.created_at)},
          {"updated_at", format_rfc3339(e.updated_at)},
          {"sent_at", opt_time(e.sent_at)},
          {"delivered_at", opt_time(e.delivered_at)},
          {"completed_at", opt_time(e.completed_at)}};
}

json recipient_json(const esign::Recipient& r) {
  return {{"id", r.id},
          {"ref", r.ref},
          {"type", std::string(to_string(r.type))},
          {"name", r.name},
          {"email", r.email},
          {"routing_order", r.routing_order},
          {"client_user_id", r.client_user_id ? json(*r.client_user_id) : json(nullptr)},
          {"status", std::string(to_string(r.status))},
          {"sent_at", opt_time(r.sent_at)},
          {"delivered_at", opt_time(r.delivered_at)},
          {"completed_at", opt_time(r.completed_at)},
          {"declined_at", opt_time(r.declined_at)},
          {"decline_reason", r.decline_reason ? json(*r.decline_reason) : json(nullptr)}};
}

json envelope_json(const esign::Envelope& e) {
  json out = summary_json(e);
  out["documents"] = json::array();
  for (const auto& d : e.documents) {
    json pages = json::array();
    for (const auto& p : d.pages) pages.push_back({{"width", p.width}, {"height", p.height}});
    out["documents"].push_back({{"id", d.id}, {"ref", d.ref}, {"name", d.name}, {"sha256", d.sha256},
                                {"size_bytes", d.size_bytes}, {"page_count", d.page_count()}, {"pages", pages}});
  }
  out["recipients"] = json::array();
  for (const auto& r : e.recipients) out["recipients"].push_back(recipient_json(r));
  out["fields"] = json::array();
  for (const auto& f : e.fields) {
    out["fields"].push_back({{"id", f.id}, {"document_id", f.document_id}, {"recipient_id", f.recipient_id},
                             {"type", std::string(to_string(f.type))}, {"page", f.page}, {"x", f.x}, {"y", f.y},
                             {"width", f.width}, {"height", f.height}, {"required", f.required},
                             {"value", f.value ? json(*f.value) : json(nullptr)}});
  }
  return out;
}

// Opaque list cursor: base64url("<updated_at>:<id>").
std::string encode_cursor(const std::pair<Micros, std::string>& k) {
  std::string s = std::to_string(k.first) + ":" + k.second;
  return crypto::base64url_encode(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
}

Result<esign::ListFilter> parse_list_query(const http::Request& req) {
  esign::ListFilter f;
  Error bad_cursor = Error(Errc::invalid_request, "The cursor is not valid").with_field("cursor");
  if (auto raw = req.query_param("limit")) {
    int n = 0;
    auto [end, ec] = std::from_chars(raw->data(), raw->data() + raw->size(), n);
    if (ec != std::errc() || end != raw->data() + raw->size() || n < 1 || n > 100) {
      return fail(Error(Errc::invalid_request, "limit must be an integer from 1 to 100").with_field("limit"));
    }
    f.limit = n;
  }
  if (auto s = req.query_param("status")) {
    f.status = esign::parse_envelope_status(*s);
    if (!f.status) return fail(Error(Errc::invalid_request, "Unknown status").with_field("status"));
  }
  auto time_param = [&](std::string_view name, std::optional<Micros>& slot) -> Status {
    if (auto v = req.query_param(name)) {
      auto t = parse_time(*v, name);
      if (!t) return fail(Error(Errc::invalid_request, t.error().message()).with_field(std::string(name)));
      slot = *t;
    }
    return {};
  };
  CS_CHECK(time_param("created_from", f.created_from));
  CS_CHECK(time_param("created_to", f.created_to));
  CS_CHECK(time_param("updated_from", f.updated_from));
  CS_CHECK(time_param("updated_to", f.updated_to));
  // DocuSign's polling idiom: "what changed since my last poll" (inclusive).
  std::optional<Micros> since;
  CS_CHECK(time_param("updated_since", since));
  if (since && (!f.updated_from || *since > *f.updated_from)) f.updated_from = since;
  if (auto c = req.query_param("cursor")) {
    auto raw = crypto::base64url_decode(*c);
    if (!raw) return fail(bad_cursor);
    std::string s(raw->begin(), raw->end());
    auto colon = s.find(':');
    if (colon == std::string::npos) return fail(bad_cursor);
    Micros t = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + colon, t);
    if (ec != std::errc() || end != s.data() + colon) return fail(bad_cursor);
    f.after = std::pair{t, s.substr(colon + 1)};
  }
  return f;
}

class EnvelopeRoutes {
 public:
  explicit EnvelopeRoutes(WebContext& ctx) : ctx_(ctx) {}

  // Authenticates with `scope`, then runs `body` with the acting account and user.
  template <class F>
  http::Response with_actor(http::Request& req, std::string_view scope, F&& body) {
    auto caller = authenticate_api(ctx_, req, {.scope = scope, .bearer = true, .session = false});
    if (!caller) return std::move(caller.error());
    if (!ctx_.envelopes) return problem(Error(Errc::unavailable, "The envelope service is not available"), req);
    const auto& t = *caller->token;
    esign::ApiActor who{t.account_id, t.user_id, t.app_id, req.remote_ip,
                        std::string(req.header("User-Agent").value_or("")).substr(0, 512), req.request_id};
    return body(*caller, who);
  }

  http::Response render(const Result<esign::Envelope>& env, const http::Request& req, int status = 200) {
    if (!env) return problem(env.error(), req);
    return http::Response::json(status, envelope_json(*env));
  }

  http::Response create(http::Request& req) {
    return with_actor(req, "envelope:write", [&](const ApiCaller& caller, const esign::ApiActor& who) {
      return idempotent(ctx_, req, idempotency_scope(caller), [&] {
        auto content_type = req.header("Content-Type").value_or("");
        Result<esign::CreateEnvelope> in = fail(Errc::internal, "unset");
        if (is_multipart_form_data(content_type)) {
          auto parts = parse_multipart(content_type, req.body);
          if (!parts) return problem(parts.error(), req);
          const MultipartPart* meta = nullptr;
          for (const auto& p : *parts) {
            if (p.name == "metadata") meta = &p;
          }
          if (!meta) return problem(invalid("A multipart request needs a \"metadata\" JSON part", "metadata"), req);
          auto obj = http::parse_json_object("application/json", meta->body);
          if (!obj) return problem(obj.error(), req);
          in = parse_create(*obj, &*parts);
        } else {
          auto obj = http::parse_json_object(req);
          if (!obj) return problem(obj.error(), req);
          in = parse_create(*obj, nullptr);
        }
        if (!in) return problem(in.error(), req);
        return render(ctx_.envelopes->create(who, std::move(*in)), req, 201);
      });
    });
  }

  http::Response list(http::Request& req) {
    return with_actor(req, "envelope:read", [&](const ApiCaller&, const esign::ApiActor& who) {
      auto filter = parse_list_query(req);
      if (!filter) return problem(filter.error(), req);
      auto page = ctx_.envelopes->list(who, *filter);
      if (!page) return problem(page.error(), req);
      json data = json::array();
      for (const auto& e : page->items) data.push_back(summary_json(e));
      return http::Response::json(200, {{"data", data}, {"next_cursor", page->next ? json(encode_cursor(*page->next)) : json(nullptr)}});
    });
  }

  // Every handler holds `self`, so the routes live as long as the router's handlers.
  void add(http::Router& router, const std::shared_ptr<EnvelopeRoutes>& self) {
    std::size_t create_max = static_cast<std::size_t>(ctx_.max_document_bytes) / 3 * 4 + 4 + 1024 * 1024;
    router.add("POST", "/v1/envelopes", http::RouteOptions{.max_body = create_max}, [this, self](http::Request& req) { return create(req); });
    router.add("GET", "/v1/envelopes", [this, self](http::Request& req) { return list(req); });
    router.add("GET", "/v1/envelopes/{id}", [this, self](http::Request& req) {
      return with_actor(req, "envelope:read", [&](const ApiCaller&, const esign::ApiActor& who) {
        return render(ctx_.envelopes->get(who, req.param("id")), req);
      });
    });
    router.add("PATCH", "/v1/envelopes/{id}", [this, self](http::Request& req) {
      return with_actor(req, "envelope:write", [&](const ApiCaller&, const esign::ApiActor& who) {
        auto obj = http::parse_json_object(req);
        if (!obj) return problem(obj.error(), req);
        auto in = parse_update(*obj);
        if (!in) return problem(in.error(), req);
        return render(ctx_.envelopes->update_draft(who, req.param("id"), std::move(*in)), req);
      });
    });
    router.add("POST", "/v1/envelopes/{id}/send", [this, self](http::Request& req) {
      return with_actor(req, "envelope:send", [&](const ApiCaller&, const esign::ApiActor& who) {
        return render(ctx_.envelopes->send(who, req.param("id")), req);
      });
    });
    router.add("POST", "/v1/envelopes/{id}/void", [this, self](http::Request& req) {
      return with_actor(req, "envelope:send", [&](const ApiCaller&, const esign::ApiActor& who) {
        auto obj = http::parse_json_object(req);
        if (!obj) return problem(obj.error(), req);
        if (auto u = http::reject_unknown_fields(*obj, {"reason"}); !u) return problem(u.error(), req);
        auto reason = http::required_string(*obj, "reason");
        if (!reason) return problem(reason.error(), req);
        return render(ctx_.envelopes->void_envelope(who, req.param("id"), *reason), req);
      });
    });
    router.add("POST", "/v1/envelopes/{id}/resend", [this, self](http::Request& req) {
      return with_actor(req, "envelope:send", [&](const ApiCaller&, const esign::ApiActor& who) {
        return render(ctx_.envelopes->resend(who, req.param("id")), req);
      });
    });
    router.add("GET", "/v1/envelopes/{id}/recipients", [this, self](http::Request& req) {
      return with_actor(req, "envelope:read", [&](const ApiCaller&, const esign::ApiActor& who) {
        auto env = ctx_.envelopes->get(who, req.param("id"));
        if (!env) return problem(env.error(), req);
        json data = json::array();
        for (const auto& r : env->recipients) data.push_back(recipient_json(r));
        return http::Response::json(200, {{"data", data}});
      });
    });
    router.add("GET", "/v1/envelopes/{id}/documents/{document_id}", [this, self](http::Request& req) {
      return with_actor(req, "envelope:read", [&](const ApiCaller&, const esign::ApiActor& who) {
        auto pdf = ctx_.envelopes->document_pdf(who, req.param("id"), req.param("document_id"));
        if (!pdf) return problem(pdf.error(), req);
        http::Response res;
        res.status = 200;
        res.body = std::move(*pdf);
        res.set_header("Content-Type", "application/pdf");
        res.set_header("Content-Disposition", "attachment; filename=\"" + std::string(req.param("document_id")) + ".pdf\"");
        return res;
      });
    });
    router.add("GET", "/v1/envelopes/{id}/events", [this, self](http::Request& req) {
      return with_actor(req, "envelope:read", [&](const ApiCaller&, const esign::ApiActor& who) {
        auto evs = ctx_.envelopes->events(who, req.param("id"));
        if (!evs) return problem(evs.error(), req);
        json data = json::array();
        for (const auto& e : *evs) data.push_back(events::to_json(e));
        return http::Response::json(200, {{"data", data}});
      });
    });
    router.add("POST", "/v1/envelopes/{id}/views/recipient", [this, self](http::Request& req) {
      return with_actor(req, "signing:embedded", [&](const ApiCaller& caller, const esign::ApiActor& who) {
        return idempotent(ctx_, req, idempotency_scope(caller), [&] {
          auto obj = http::parse_json_object(req);
          if (!obj) return problem(obj.error(), req);
          if (auto u = http::reject_unknown_fields(*obj, {"recipient_id", "client_user_id", "return_url"}); !u) {
            return problem(u.error(), req);
          }
          esign::RecipientViewRequest in;
          auto rid = http::optional_string(*obj, "recipient_id");
          auto cuid = http::optional_string(*obj, "client_user_id");
          auto url = http::required_string(*obj, "return_url");
          if (!rid) return problem(rid.error(), req);
          if (!cuid) return problem(cuid.error(), req);
          if (!url) return problem(url.error(), req);
          in.recipient_id = *rid;
          in.client_user_id = *cuid;
          in.return_url = *url;
          auto view = ctx_.envelopes->create_recipient_view(who, req.param("id"), in);
          if (!view) return problem(view.error(), req);
          return http::Response::json(201, {{"url", view->url}, {"expires_at", format_rfc3339(view->expires_at)}});
        });
      });
    });
  }

 private:
  WebContext& ctx_;
};

}  // namespace

void register_envelope_routes(http::Router& router, WebContext& ctx) {
  auto routes = std::make_shared<EnvelopeRoutes>(ctx);
  routes->add(router, routes);
}

}  // namespace cs::web
