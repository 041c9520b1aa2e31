#include "esign/envelope_service.hpp"

#include <map>
#include <set>

#include "core/ids.hpp"
#include "core/utf8.hpp"
#include "crypto/tokens.hpp"
#include "esign/pdf_inspect.hpp"
#include "esign/workflow.hpp"
#include "identity/audit_record.hpp"
#include "identity/validation.hpp"
#include "notify/email.hpp"
#include "store/blob_store.hpp"
#include "store/params.hpp"

namespace cs::esign {

namespace {

Error invalid(std::string message, std::string field) {
  return Error(Errc::validation_failed, std::move(message)).with_field(std::move(field));
}

Error no_envelope() { return Error(Errc::not_found, "No such envelope"); }

identity::Actor audit_actor(const ApiActor& who) {
  return identity::Actor::user(who.user_id, {who.ip, who.request_id});
}

// Inside the caller's transaction on a draft: the send transition (issue 4 §1).
Status send_draft(store::Connection& conn, const EsignDeps& deps, Envelope& env, const detail::EventActor& actor) {
  CS_CHECK(require_transition(env.status, EnvelopeStatus::sent));
  CS_CHECK(check_sendable(env));
  Micros now = deps.clock.now();
  if (!env.expires_at) env.expires_at = now + kDefaultExpiry;
  if (*env.expires_at <= now) return fail(invalid("expires_at has already passed; set a later one", "expires_at"));
  env.status = EnvelopeStatus::sent;
  env.sent_at = now;
  env.updated_at = now;
  CS_CHECK(repo::update_envelope(conn, env));
  CS_CHECK(detail::publish(conn, deps, env, "envelope.sent", nullptr, actor));
  CS_CHECK(detail::notify_due(conn, deps, env, actor));
  store::NewJob job{std::string(kExpireJobKind), nlohmann::json{{"envelope_id", env.id}}.dump(), *env.expires_at};
  CS_TRY(store::enqueue(conn, job, deps.clock));
  return {};
}

Result<std::vector<Document>> store_documents(const EsignDeps& deps, std::vector<NewDocument>& in) {
  if (in.empty()) return fail(invalid("At least one document is required", "documents"));
  if (in.size() > kMaxDocuments) return fail(invalid("At most 20 documents per envelope", "documents"));
  std::vector<Document> out;
  std::set<std::string> refs;
  for (std::size_t i = 0; i < in.size(); ++i) {
    std::string at = "documents/" + std::to_string(i);
    auto& d = in[i];
    Document doc;
    doc.id = new_id("doc");
    doc.ref = d.ref.empty() ? std::to_string(i + 1) : d.ref;
    if (doc.ref.size() > 100 || !is_valid_utf8(doc.ref)) return fail(invalid("ref must be at most 100 characters", at + "/ref"));
    if (!refs.insert(doc.ref).second) return fail(invalid("Two documents have the same ref", at + "/ref"));
    auto name = identity::validate_display_name(d.name, "name");
    if (!name) return fail(invalid(name.error().message(), at + "/name"));
    doc.name = *name;
    if (static_cast<std::int64_t>(d.bytes.size()) > deps.max_document_bytes) {
      return fail(Error(Errc::payload_too_large, "The document is larger than " +
                                                     std::to_string(deps.max_document_bytes) + " bytes")
                      .with_field(at));
    }
    auto info = inspect_pdf(d.bytes);
    if (!info) return fail(Error(info.error().errc(), info.error().message(), info.error().detail()).with_field(at));
    doc.pages = info->pages;
    auto span = std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(d.bytes.data()), d.bytes.size());
    auto ref = CS_TRY(deps.blobs.put(span));
    doc.sha256 = ref.sha256;
    doc.size_bytes = static_cast<std::int64_t>(ref.size);
    out.push_back(std::move(doc));
  }
  return out;
}

}  // namespace

EnvelopeService::EnvelopeService(EsignDeps deps) : deps_(std::move(deps)) {}

Result<Envelope> EnvelopeService::create(const ApiActor& who, CreateEnvelope in) {
  Micros now = deps_.clock.now();
  Envelope env;
  env.id = new_id("env");
  env.account_id = who.account_id;
  env.sender_user_id = who.user_id;
  env.app_id = who.app_id;
  env.email_subject = CS_TRY(validate_subject(in.email_subject));
  env.email_message = CS_TRY(validate_message(in.email_message));
  if (in.expires_at) {
    CS_CHECK(validate_expiry(*in.expires_at, now));
    env.expires_at = in.expires_at;
  }
  env.created_at = env.updated_at = now;
  // Documents first: they are the expensive, most often refused part, and blobs are
  // content-addressed, so a later refusal leaves at most an unreferenced blob behind.
  env.documents = CS_TRY(store_documents(deps_, in.documents));
  auto built = CS_TRY(build_recipients_and_fields(env.documents, in.recipients, in.fields));
  env.recipients = std::move(built.recipients);
  env.fields = std::move(built.fields);
  if (in.send) CS_CHECK(check_sendable(env));
  auto actor = detail::actor_of(who);
  return store::transact(deps_.db, [&](store::Connection& conn) -> Result<Envelope> {
    Envelope e = env;
    CS_CHECK(repo::insert_envelope(conn, e));
    CS_CHECK(detail::publish(conn, deps_, e, "envelope.created", nullptr, actor));
    if (in.send) CS_CHECK(send_draft(conn, deps_, e, actor));
    return e;
  });
}

Result<Envelope> EnvelopeService::get(const ApiActor& who, std::string_view id) {
  if (!is_valid_id(id, "env")) return fail(no_envelope());
  auto lease = CS_TRY(deps_.db.connect());
  auto env = CS_TRY(repo::load_envelope(*lease, who.account_id, id, false));
  if (!env) return fail(no_envelope());
  return *env;
}

Result<EnvelopePage> EnvelopeService::list(const ApiActor& who, const ListFilter& filter) {
  auto lease = CS_TRY(deps_.db.connect());
  EnvelopePage page;
  page.items = CS_TRY(repo::list_envelopes(*lease, who.account_id, filter));
  if (static_cast<int>(page.items.size()) > filter.limit) {
    page.items.resize(static_cast<std::size_t>(filter.limit));
    page.next = std::pair{page.items.back().updated_at, page.items.back().id};
  }
  return page;
}

Result<Envelope> EnvelopeService::transition(const ApiActor& who, std::string_view id,
                                             const std::function<Status(store::Connection&, Envelope&)>& change) {
  if (!is_valid_id(id, "env")) return fail(no_envelope());
  return store::transact(deps_.db, [&](store::Connection& conn) -> Result<Envelope> {
    auto env = CS_TRY(repo::load_envelope(conn, who.account_id, id, true));
    if (!env) return fail(no_envelope());
    CS_CHECK(change(conn, *env));
    return *env;
  });
}

Result<Envelope> EnvelopeService::update_draft(const ApiActor& who, std::string_view id, UpdateDraft in) {
  Micros now = deps_.clock.now();
  auto actor = detail::actor_of(who);
  return transition(who, id, [&](store::Connection& conn, Envelope& env) -> Status {
    if (env.status != EnvelopeStatus::created) {
      return fail(Errc::invalid_state, "Only a draft can be changed; this envelope is " + std::string(to_string(env.status)));
    }
    if (in.email_subject) env.email_subject = CS_TRY(validate_subject(*in.email_subject));
    if (in.email_message) env.email_message = CS_TRY(validate_message(*in.email_message));
    if (in.expires_at) {
      if (*in.expires_at) CS_CHECK(validate_expiry(**in.expires_at, now));
      env.expires_at = *in.expires_at;
    }
    if (in.recipients || in.fields) {
      // Fields name recipients by ref, so both are rebuilt together from the request, taking
      // whichever part it leaves out from the stored draft.
      std::map<std::string, std::string> ref_of;  // recipient id -> ref
      std::vector<NewRecipient> recipients;
      for (const auto& r : env.recipients) {
        ref_of[r.id] = r.ref;
        recipients.push_back({r.ref, r.type, r.name, r.email, r.routing_order, r.client_user_id});
      }
      std::vector<NewField> fields;
      for (const auto& f : env.fields) {
        const Document* d = env.document(f.document_id);
        fields.push_back({d ? d->ref : "", ref_of[f.recipient_id], f.type, f.page, f.x, f.y, f.width, f.height, f.required});
      }
      auto built = CS_TRY(build_recipients_and_fields(env.documents, in.recipients ? *in.recipients : recipients,
                                                      in.fields ? *in.fields : fields));
      env.recipients = std::move(built.recipients);
      env.fields = std::move(built.fields);
      CS_CHECK(repo::replace_recipients_and_fields(conn, env));
    }
    env.updated_at = now;
    CS_CHECK(repo::update_envelope(conn, env));
    return detail::publish(conn, deps_, env, "envelope.updated", nullptr, actor);
  });
}

Result<Envelope> EnvelopeService::send(const ApiActor& who, std::string_view id) {
  auto actor = detail::actor_of(who);
  return transition(who, id, [&](store::Connection& conn, Envelope& env) { return send_draft(conn, deps_, env, actor); });
}

Result<Envelope> EnvelopeService::void_envelope(const ApiActor& who, std::string_view id, std::string_view reason) {
  auto why = CS_TRY(validate_reason(reason, "reason"));
  auto actor = detail::actor_of(who);
  return transition(who, id, [&](store::Connection& conn, Envelope& env) -> Status {
    CS_CHECK(require_transition(env.status, EnvelopeStatus::voided));
    Micros now = deps_.clock.now();
    env.status = EnvelopeStatus::voided;
    env.status_reason = why;
    env.finished_at = now;
    env.updated_at = now;
    CS_CHECK(repo::update_envelope(conn, env));
    Party sender = CS_TRY(detail::sender_of(deps_, env));
    for (const auto& r : env.recipients) {
      if (r.status == RecipientStatus::created || r.client_user_id) continue;
      CS_TRY(notify::enqueue_email(conn, voided_email(env, {r.name, r.email}, sender, why), deps_.clock));
    }
    CS_CHECK(detail::publish(conn, deps_, env, "envelope.voided", nullptr, actor, {{"reason", why}}));
    return identity::record(deps_.audit, conn, audit_actor(who),
                            {"envelope.voided", "envelope", env.id, env.account_id, "", {{"reason", why}}});
  });
}

Result<Envelope> EnvelopeService::resend(const ApiActor& who, std::string_view id) {
  auto actor = detail::actor_of(who);
  return transition(who, id, [&](store::Connection& conn, Envelope& env) -> Status {
    if (env.status != EnvelopeStatus::sent && env.status != EnvelopeStatus::delivered) {
      return fail(Errc::invalid_state, "Only a sent envelope can be resent; this one is " + std::string(to_string(env.status)));
    }
    Party sender = CS_TRY(detail::sender_of(deps_, env));
    nlohmann::json to = nlohmann::json::array();
    for (const auto& r : env.recipients) {
      bool waiting = r.status == RecipientStatus::sent || r.status == RecipientStatus::delivered;
      if (!waiting || r.client_user_id) continue;
      std::optional<std::string> url;
      if (r.type == RecipientType::signer) url = CS_TRY(detail::mint_signing_link(conn, deps_, env, r, "email", std::nullopt));
      CS_TRY(notify::enqueue_email(conn, invitation_email(env, r, sender, url), deps_.clock));
      to.push_back(r.id);
    }
    env.updated_at = deps_.clock.now();
    CS_CHECK(repo::update_envelope(conn, env));
    return detail::publish(conn, deps_, env, "envelope.resent", nullptr, actor, {{"recipient_ids", to}});
  });
}

Result<std::string> EnvelopeService::document_pdf(const ApiActor& who, std::string_view envelope_id,
                                                  std::string_view document_id) {
  auto env = CS_TRY(get(who, envelope_id));
  const Document* doc = env.document(document_id);
  if (!doc) return fail(Errc::not_found, "No such document in this envelope");
  auto bytes = CS_TRY(deps_.blobs.get(doc->sha256));
  return std::string(bytes.begin(), bytes.end());
}

Result<std::vector<events::DomainEvent>> EnvelopeService::events(const ApiActor& who, std::string_view id) {
  if (!is_valid_id(id, "env")) return fail(no_envelope());
  auto lease = CS_TRY(deps_.db.connect());
  auto exists = CS_TRY(lease->query_one("SELECT 1 FROM envelopes WHERE id = $1 AND account_id = $2",
                                        store::params(id, who.account_id)));
  if (!exists) return fail(no_envelope());
  return events::list_for_envelope(*lease, who.account_id, id);
}

Result<RecipientView> EnvelopeService::create_recipient_view(const ApiActor& who, std::string_view id,
                                                             const RecipientViewRequest& in) {
  const auto& url = in.return_url;
  bool http_url = url.rfind("https://", 0) == 0 || url.rfind("http://", 0) == 0;
  if (!http_url || url.size() > 2000 || !is_valid_utf8(url) || url.find_first_of(" \r\n\t<>\"#") != std::string::npos) {
    // No fragment: the signing page appends `event=...` to the query when it sends the signer back.
    return fail(invalid("return_url must be an absolute http(s) URL without a fragment", "return_url"));
  }
  if (!in.recipient_id && !in.client_user_id) return fail(invalid("Give recipient_id or client_user_id", "recipient_id"));
  RecipientView view;
  auto done = transition(who, id, [&](store::Connection& conn, Envelope& env) -> Status {
    const Recipient* r = nullptr;
    for (const auto& x : env.recipients) {
      if ((in.recipient_id && x.id == *in.recipient_id) || (!in.recipient_id && x.client_user_id == in.client_user_id)) r = &x;
    }
    if (!r) return fail(Errc::not_found, "No such recipient in this envelope");
    if (in.recipient_id && in.client_user_id && r->client_user_id != in.client_user_id) {
      return fail(Errc::not_found, "No such recipient in this envelope");
    }
    if (!r->client_user_id) {
      return fail(invalid("The recipient is not an embedded signer (it has no client_user_id)", "recipient_id"));
    }
    if (env.status != EnvelopeStatus::sent && env.status != EnvelopeStatus::delivered) {
      return fail(Errc::invalid_state, "The envelope is " + std::string(to_string(env.status)) + "; it cannot be signed");
    }
    if (r->status != RecipientStatus::sent && r->status != RecipientStatus::delivered) {
      return fail(Errc::invalid_state, r->status == RecipientStatus::created
                                           ? "It is not this recipient's turn to sign yet"
                                           : "The recipient has already " + std::string(to_string(r->status)));
    }
    Micros now = deps_.clock.now();
    std::string token = crypto::generate_token(crypto::kEmbeddedViewPrefix);
    EmbeddedView v{new_id("evw"), env.id, r->id, url, now + kEmbeddedViewLifetime, std::nullopt};
    CS_CHECK(repo::insert_embedded_view(conn, v, deps_.tokens.hash(token), now));
    view = {deps_.public_url + "/sign/embedded/" + token, v.expires_at};
    // A signing URL lets its holder sign in the recipient's name: who asked for one is audited.
    return identity::record(deps_.audit, conn, audit_actor(who),
                            {"envelope.recipient_view.created", "envelope", env.id, env.account_id, "",
                             {{"recipient_id", r->id}, {"app_id", who.app_id ? nlohmann::json(*who.app_id) : nullptr}}});
  });
  if (!done) return fail(std::move(done).error());
  return view;
}

Status EnvelopeService::expire_one(store::Connection& conn, std::string_view envelope_id) {
  return store::in_transaction(conn, [&](store::Connection& c) -> Status {
    auto env = CS_TRY(repo::load_envelope(c, "", envelope_id, true));
    if (!env) return {};
    Micros now = deps_.clock.now();
    bool open = env->status == EnvelopeStatus::sent || env->status == EnvelopeStatus::delivered;
    if (!open || !env->expires_at || *env->expires_at > now) return {};
    env->status = EnvelopeStatus::expired;
    env->finished_at = now;
    env->updated_at = now;
    CS_CHECK(repo::update_envelope(c, *env));
    return detail::publish(c, deps_, *env, "envelope.expired", nullptr, detail::EventActor{});
  });
}

Status EnvelopeService::handle_expire_job(const store::Job& job) {
  auto payload = nlohmann::json::parse(job.payload, nullptr, false);
  if (!payload.is_object() || !payload.contains("envelope_id") || !payload["envelope_id"].is_string()) {
    return fail(Errc::internal, "bad envelope.expire payload", job.payload);
  }
  auto lease = CS_TRY(deps_.db.connect());
  return expire_one(*lease, payload["envelope_id"].get<std::string>());
}

Result<std::int64_t> EnvelopeService::expire_overdue() {
  auto lease = CS_TRY(deps_.db.connect());
  auto rows = CS_TRY(lease->query(
      "SELECT id FROM envelopes WHERE status IN ('sent', 'delivered') AND expires_at <= $1 ORDER BY expires_at LIMIT 500",
      store::params(deps_.clock.now())));
  std::int64_t n = 0;
  for (const auto& r : rows) {
    CS_CHECK(expire_one(*lease, r.text(0)));
    ++n;
  }
  return n;
}

}  // namespace cs::esign
