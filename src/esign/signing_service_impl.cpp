#include "esign/signing_service_impl.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "core/ids.hpp"
#include "core/utf8.hpp"
#include "crypto/tokens.hpp"
#include "esign/envelope_repository.hpp"
#include "esign/workflow.hpp"
#include "notify/email.hpp"
#include "store/blob_store.hpp"

namespace cs::esign {

namespace {

struct Resolved {
  SigningLink link;
  Envelope env;
  std::size_t recipient = 0;  // index into env.recipients
};

detail::EventActor signer_actor(const Recipient& r, const SignerContext& who) {
  return {"signer", r.id, to_storable_utf8(who.ip, 64), to_storable_utf8(who.user_agent, 512)};
}

Error link_gone(std::string message) { return Error(Errc::link_expired, std::move(message)); }

// The checks every step shares: a well-formed token of a live link, on an envelope that can
// still be signed.
Result<Resolved> resolve(store::Connection& conn, const EsignDeps& deps, std::string_view token, bool lock) {
  Error unknown(Errc::not_found, "This signing link is not valid");
  if (token.rfind(crypto::kSigningLinkPrefix, 0) != 0 || token.size() > 200) return fail(unknown);
  auto link = CS_TRY(repo::find_signing_link(conn, deps.tokens.hash(token)));
  if (!link) return fail(unknown);
  auto env = CS_TRY(repo::load_envelope(conn, "", link->envelope_id, lock));
  if (!env) return fail(unknown);
  Micros now = deps.clock.now();
  if (link->expires_at && *link->expires_at <= now) return fail(link_gone("This signing link has expired"));
  switch (env->status) {
    case EnvelopeStatus::voided: return fail(link_gone("The sender voided this envelope"));
    case EnvelopeStatus::expired: return fail(link_gone("This envelope has expired"));
    case EnvelopeStatus::declined: return fail(link_gone("This envelope was declined"));
    case EnvelopeStatus::completed: return fail(link_gone("This envelope is already completed"));
    case EnvelopeStatus::created: return fail(unknown);  // cannot happen: drafts have no links
    default: break;
  }
  // The expiry job may not have run yet; the link must not outlive the envelope meanwhile.
  if (env->expires_at && *env->expires_at <= now) return fail(link_gone("This envelope has expired"));
  for (std::size_t i = 0; i < env->recipients.size(); ++i) {
    if (env->recipients[i].id == link->recipient_id) return Resolved{*link, std::move(*env), i};
  }
  return fail(unknown);
}

bool can_act(const Recipient& r) {
  return r.type == RecipientType::signer && (r.status == RecipientStatus::sent || r.status == RecipientStatus::delivered);
}

Status require_can_act(const Recipient& r) {
  if (r.status == RecipientStatus::completed) return fail(Errc::invalid_state, "You have already signed this envelope");
  if (r.status == RecipientStatus::declined) return fail(Errc::invalid_state, "You have declined this envelope");
  if (!can_act(r)) return fail(Errc::invalid_state, "It is not your turn to sign yet");
  return {};
}

// First open: recipient (and, for the first recipient, the envelope) delivered.
Status mark_delivered(store::Connection& conn, const EsignDeps& deps, Envelope& env, Recipient& r,
                      const SignerContext& who) {
  if (r.status != RecipientStatus::sent) return {};
  Micros now = deps.clock.now();
  auto actor = signer_actor(r, who);
  r.status = RecipientStatus::delivered;
  r.delivered_at = now;
  r.delivered_ip = actor.ip;
  r.delivered_user_agent = actor.user_agent;
  CS_CHECK(repo::update_recipient(conn, r));
  bool first = env.status == EnvelopeStatus::sent;
  if (first) {
    env.status = EnvelopeStatus::delivered;
    env.delivered_at = now;
  }
  env.updated_at = now;
  CS_CHECK(repo::update_envelope(conn, env));
  CS_CHECK(detail::publish(conn, deps, env, "recipient.delivered", &r, actor));
  if (first) CS_CHECK(detail::publish(conn, deps, env, "envelope.delivered", nullptr, actor));
  return {};
}

std::string trimmed(std::string_view s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

std::size_t code_points(std::string_view s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

bool plain_text(std::string_view s, bool newlines) {
  if (!is_valid_utf8(s)) return false;
  return std::none_of(s.begin(), s.end(), [&](char ch) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (newlines && (c == '\n' || c == '\r' || c == '\t')) return false;
    return c < 0x20 || c == 0x7f;
  });
}

Error invalid(std::string message, std::string field) {
  return Error(Errc::validation_failed, std::move(message)).with_field(std::move(field));
}

std::string date_of(Micros t) { return format_rfc3339(t).substr(0, 10); }

}  // namespace

bool looks_like_png(std::string_view b) {
  static constexpr std::string_view kSignature("\x89PNG\r\n\x1a\n", 8);
  return b.size() >= 8 + 25 + 12 && b.substr(0, 8) == kSignature && b.substr(12, 4) == "IHDR" &&
         b.substr(b.size() - 8, 4) == "IEND";
}

Result<SigningSession> SigningServiceImpl::open(std::string_view token, const SignerContext& who) {
  auto out = store::transact(deps().db, [&](store::Connection& conn) -> Result<Resolved> {
    auto res = CS_TRY(resolve(conn, deps(), token, true));
    CS_CHECK(mark_delivered(conn, deps(), res.env, res.env.recipients[res.recipient], who));
    return res;
  });
  if (!out) return fail(std::move(out).error());
  const Envelope& env = out->env;
  const Recipient& r = env.recipients[out->recipient];
  auto sender = CS_TRY(detail::sender_of(deps(), env));
  SigningSession s;
  s.envelope_id = env.id;
  s.envelope_status = std::string(to_string(env.status));
  s.email_subject = env.email_subject;
  s.email_message = env.email_message;
  s.sender_name = sender.name;
  s.sender_email = sender.email;
  s.recipient_id = r.id;
  s.recipient_name = r.name;
  s.recipient_email = r.email;
  s.recipient_status = std::string(to_string(r.status));
  s.disclosure_accepted = r.disclosure_accepted_at.has_value();
  s.can_act = can_act(r);
  std::map<std::string, std::size_t> doc_position;
  for (const auto& d : env.documents) {
    doc_position[d.id] = s.documents.size();
    s.documents.push_back({d.id, d.name, d.page_count(), d.pages});
  }
  for (const auto& f : env.fields) {
    if (f.recipient_id != r.id) continue;
    s.fields.push_back({f.id, f.document_id, std::string(to_string(f.type)), f.page, f.x, f.y, f.width, f.height,
                        f.required, f.value});
  }
  std::stable_sort(s.fields.begin(), s.fields.end(), [&](const SigningField& a, const SigningField& b) {
    return std::tuple(doc_position[a.document_id], a.page, a.y, a.x) <
           std::tuple(doc_position[b.document_id], b.page, b.y, b.x);
  });
  return s;
}

Status SigningServiceImpl::accept_disclosure(std::string_view token, const SignerContext& who) {
  return store::transact(deps().db, [&](store::Connection& conn) -> Status {
    auto res = CS_TRY(resolve(conn, deps(), token, true));
    Recipient& r = res.env.recipients[res.recipient];
    if (r.disclosure_accepted_at) return {};
    CS_CHECK(require_can_act(r));
    CS_CHECK(mark_delivered(conn, deps(), res.env, r, who));
    auto actor = signer_actor(r, who);
    r.disclosure_accepted_at = deps().clock.now();
    r.disclosure_ip = actor.ip;
    r.disclosure_user_agent = actor.user_agent;
    CS_CHECK(repo::update_recipient(conn, r));
    return detail::publish(conn, deps(), res.env, "recipient.disclosure_accepted", &r, actor);
  });
}

Result<std::string> SigningServiceImpl::document_pdf(std::string_view token, std::string_view document_id) {
  auto lease = CS_TRY(deps().db.connect());
  auto res = CS_TRY(resolve(*lease, deps(), token, false));
  const Document* doc = res.env.document(document_id);
  if (!doc) return fail(Errc::not_found, "No such document in this envelope");
  auto bytes = CS_TRY(deps().blobs.get(doc->sha256));
  return std::string(bytes.begin(), bytes.end());
}

Status SigningServiceImpl::finish(std::string_view token, const AdoptedSignature& signature,
                                  const std::vector<FieldValue>& values, const SignerContext& who) {
  // The signature is checked before any lock is taken.
  std::string typed = trimmed(signature.typed_name);
  std::optional<std::string> png_sha;
  if (signature.kind == AdoptedSignature::Kind::typed) {
    if (typed.empty() || code_points(typed) > 100 || !plain_text(typed, false)) {
      return fail(invalid("Type your name (1 to 100 characters) to adopt a signature", "typed_name"));
    }
  } else {
    if (signature.png.empty() || signature.png.size() > kMaxSignaturePngBytes || !looks_like_png(signature.png)) {
      return fail(invalid("The drawn signature must be a PNG image of at most 512 KiB", "signature"));
    }
  }
  std::string initials_in = trimmed(signature.initials);
  if (code_points(initials_in) > 10 || !plain_text(initials_in, false)) {
    return fail(invalid("Initials must be at most 10 characters", "initials"));
  }
  std::map<std::string, std::string> given;
  for (const auto& v : values) {
    if (!given.emplace(v.field_id, v.value).second) return fail(invalid("A field was given twice", v.field_id));
  }
  if (signature.kind == AdoptedSignature::Kind::drawn) {
    auto span = std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(signature.png.data()),
                                              signature.png.size());
    png_sha = CS_TRY(deps().blobs.put(span)).sha256;
  }

  return store::transact(deps().db, [&](store::Connection& conn) -> Status {
    auto res = CS_TRY(resolve(conn, deps(), token, true));
    Envelope& env = res.env;
    Recipient& r = env.recipients[res.recipient];
    CS_CHECK(require_can_act(r));
    if (!r.disclosure_accepted_at) {
      return fail(Errc::invalid_state, "Accept the electronic records and signatures disclosure first");
    }
    Micros now = deps().clock.now();
    auto actor = signer_actor(r, who);
    std::string name_for_initials = typed.empty() ? r.name : typed;
    std::string initials = initials_in.empty() ? initials_of(name_for_initials) : initials_in;
    std::set<std::string> mine;
    for (auto& f : env.fields) {
      if (f.recipient_id != r.id) continue;
      mine.insert(f.id);
      auto it = given.find(f.id);
      switch (f.type) {
        case FieldType::signature:
          f.value = png_sha ? "drawn:" + *png_sha : "typed:" + typed;
          break;
        case FieldType::initials: f.value = initials; break;
        case FieldType::date_signed: f.value = date_of(now); break;
        case FieldType::full_name: f.value = r.name; break;
        case FieldType::text: {
          std::string v = it != given.end() ? it->second : "";
          if (code_points(v) > kMaxTextValueChars || !plain_text(v, true)) {
            return fail(invalid("Text must be at most 4000 characters", f.id));
          }
          if (trimmed(v).empty()) {
            if (f.required) return fail(invalid("This field is required", f.id));
            f.value.reset();
          } else {
            f.value = v;
          }
          break;
        }
        case FieldType::checkbox: {
          std::string v = it != given.end() ? it->second : "false";
          if (v != "true" && v != "false") return fail(invalid("A checkbox is \"true\" or \"false\"", f.id));
          if (f.required && v != "true") return fail(invalid("This box must be checked", f.id));
          f.value = v;
          break;
        }
      }
    }
    for (const auto& [id, _] : given) {
      if (!mine.contains(id)) return fail(invalid("No such field for this signer", id));
    }
    for (const auto& f : env.fields) {
      if (mine.contains(f.id)) CS_CHECK(repo::update_field_value(conn, f, now));
    }
    CS_CHECK(mark_delivered(conn, deps(), env, r, who));
    r.status = RecipientStatus::completed;
    r.completed_at = now;
    r.acted_ip = actor.ip;
    r.acted_user_agent = actor.user_agent;
    r.signature_kind = png_sha ? "drawn" : "typed";
    if (!typed.empty()) r.signature_text = typed;
    r.signature_sha256 = png_sha;
    r.initials = initials;
    CS_CHECK(repo::update_recipient(conn, r));
    env.updated_at = now;
    CS_CHECK(repo::update_envelope(conn, env));
    CS_CHECK(detail::publish(conn, deps(), env, "recipient.completed", &r, actor));
    if (!active_routing_order(env.recipients)) return detail::complete(conn, deps(), env, actor);
    return detail::notify_due(conn, deps(), env, actor);
  });
}

Status SigningServiceImpl::decline(std::string_view token, std::string_view reason, const SignerContext& who) {
  auto why = CS_TRY(validate_reason(reason, "reason"));
  return store::transact(deps().db, [&](store::Connection& conn) -> Status {
    auto res = CS_TRY(resolve(conn, deps(), token, true));
    Envelope& env = res.env;
    Recipient& r = env.recipients[res.recipient];
    CS_CHECK(require_can_act(r));
    CS_CHECK(require_transition(env.status, EnvelopeStatus::declined));
    Micros now = deps().clock.now();
    auto actor = signer_actor(r, who);
    CS_CHECK(mark_delivered(conn, deps(), env, r, who));
    r.status = RecipientStatus::declined;
    r.declined_at = now;
    r.decline_reason = why;
    r.acted_ip = actor.ip;
    r.acted_user_agent = actor.user_agent;
    CS_CHECK(repo::update_recipient(conn, r));
    env.status = EnvelopeStatus::declined;
    env.status_reason = why;
    env.finished_at = now;
    env.updated_at = now;
    CS_CHECK(repo::update_envelope(conn, env));
    auto sender = CS_TRY(detail::sender_of(deps(), env));
    for (const auto& to : detail::notified_parties(env, sender)) {
      if (to.email == r.email && to.name == r.name) continue;  // the decliner knows
      CS_TRY(notify::enqueue_email(conn, declined_email(env, to, r, why), deps().clock));
    }
    CS_CHECK(detail::publish(conn, deps(), env, "recipient.declined", &r, actor, {{"reason", why}}));
    return detail::publish(conn, deps(), env, "envelope.declined", nullptr, actor, {{"reason", why}});
  });
}

Result<std::string> SigningServiceImpl::redeem_embedded_view(std::string_view view_token, const SignerContext& who) {
  (void)who;
  Error unknown(Errc::not_found, "This signing link is not valid");
  if (view_token.rfind(crypto::kEmbeddedViewPrefix, 0) != 0 || view_token.size() > 200) return fail(unknown);
  return store::transact(deps().db, [&](store::Connection& conn) -> Result<std::string> {
    auto view = CS_TRY(repo::find_embedded_view(conn, deps().tokens.hash(view_token)));
    if (!view) return fail(unknown);
    Micros now = deps().clock.now();
    if (view->used_at) return fail(link_gone("This signing link was already used"));
    if (view->expires_at <= now) return fail(link_gone("This signing link has expired"));
    if (!CS_TRY(repo::mark_embedded_view_used(conn, view->id, now))) {
      return fail(link_gone("This signing link was already used"));
    }
    auto env = CS_TRY(repo::load_envelope(conn, "", view->envelope_id, true));
    if (!env) return fail(unknown);
    if (is_final(env->status) || (env->expires_at && *env->expires_at <= now)) {
      return fail(link_gone("This envelope can no longer be signed"));
    }
    const Recipient* r = env->recipient(view->recipient_id);
    if (!r) return fail(unknown);
    CS_CHECK(require_can_act(*r));
    std::string token = crypto::generate_token(crypto::kSigningLinkPrefix);
    SigningLink link{new_id("sgl"), env->id, r->id, "embedded", now + kEmbeddedSigningLinkLifetime};
    CS_CHECK(repo::insert_signing_link(conn, link, deps().tokens.hash(token), now));
    return token;
  });
}

Result<std::optional<std::string>> SigningServiceImpl::return_url(std::string_view token) {
  if (token.rfind(crypto::kSigningLinkPrefix, 0) != 0 || token.size() > 200) {
    return fail(Errc::not_found, "This signing link is not valid");
  }
  auto lease = CS_TRY(deps().db.connect());
  auto link = CS_TRY(repo::find_signing_link(*lease, deps().tokens.hash(token)));
  if (!link) return fail(Errc::not_found, "This signing link is not valid");
  if (link->kind != "embedded") return std::optional<std::string>{};
  return repo::redeemed_view_return_url(*lease, link->recipient_id);
}

}  // namespace cs::esign
