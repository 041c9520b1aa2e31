#include "esign/workflow.hpp"

#include "core/ids.hpp"
#include "crypto/tokens.hpp"
#include "esign/envelope_repository.hpp"
#include "events/domain_event.hpp"
#include "identity/directory.hpp"
#include "notify/email.hpp"

namespace cs::esign::detail {

EventActor actor_of(const ApiActor& who) {
  if (who.app_id) return {"app", *who.app_id, who.ip, who.user_agent};
  return {"user", who.user_id, who.ip, who.user_agent};
}

nlohmann::json envelope_summary(const Envelope& env) {
  return {{"id", env.id},
          {"status", std::string(to_string(env.status))},
          {"email_subject", env.email_subject},
          {"account_id", env.account_id},
          {"updated_at", format_rfc3339(env.updated_at)}};
}

nlohmann::json recipient_summary(const Recipient& r) {
  return {{"id", r.id},
          {"name", r.name},
          {"email", r.email},
          {"status", std::string(to_string(r.status))},
          {"routing_order", r.routing_order}};
}

Status publish(store::Connection& conn, const EsignDeps& deps, const Envelope& env, std::string_view type,
               const Recipient* recipient, const EventActor& actor, nlohmann::json extra) {
  events::DomainEvent e;
  e.type = std::string(type);
  e.account_id = env.account_id;
  e.envelope_id = env.id;
  if (recipient) e.recipient_id = recipient->id;
  e.actor_type = actor.type;
  e.actor_id = actor.id;
  e.ip = actor.ip;
  e.user_agent = actor.user_agent;
  e.data = std::move(extra);
  e.data["envelope"] = envelope_summary(env);
  if (recipient) e.data["recipient"] = recipient_summary(*recipient);
  auto stored = CS_TRY(events::publish(conn, std::move(e), deps.clock));
  for (const auto& listener : deps.event_listeners) CS_CHECK(listener(conn, stored));
  return {};
}

Result<Party> sender_of(const EsignDeps& deps, const Envelope& env) {
  auto user = CS_TRY(deps.directory.get_user(env.sender_user_id));
  return Party{user.name, user.email};
}

Result<std::string> mint_signing_link(store::Connection& conn, const EsignDeps& deps, const Envelope& env,
                                      const Recipient& r, std::string_view kind, std::optional<Micros> expires_at) {
  std::string token = crypto::generate_token(crypto::kSigningLinkPrefix);
  SigningLink link{new_id("sgl"), env.id, r.id, std::string(kind), expires_at};
  CS_CHECK(repo::insert_signing_link(conn, link, deps.tokens.hash(token), deps.clock.now()));
  return deps.public_url + "/sign/" + token;
}

Status notify_due(store::Connection& conn, const EsignDeps& deps, Envelope& env, const EventActor& actor) {
  auto due = recipients_due(env.recipients);
  if (due.empty()) return {};
  Party sender = CS_TRY(sender_of(deps, env));
  Micros now = deps.clock.now();
  for (auto i : due) {
    Recipient& r = env.recipients[i];
    r.status = RecipientStatus::sent;
    r.sent_at = now;
    CS_CHECK(repo::update_recipient(conn, r));
    // Embedded (captive) signers are the sending app's users: the app shows them the ceremony
    // through an embedded view, so no email (DocuSign behaves the same).
    if (!r.client_user_id) {
      std::optional<std::string> url;
      if (r.type == RecipientType::signer) url = CS_TRY(mint_signing_link(conn, deps, env, r, "email", std::nullopt));
      CS_TRY(notify::enqueue_email(conn, invitation_email(env, r, sender, url), deps.clock));
    }
    CS_CHECK(publish(conn, deps, env, "recipient.sent", &r, actor));
  }
  return {};
}

std::vector<Party> notified_parties(const Envelope& env, const Party& sender) {
  std::vector<Party> out;
  for (const auto& r : env.recipients) {
    if (r.status != RecipientStatus::created && !r.client_user_id) out.push_back({r.name, r.email});
  }
  out.push_back(sender);
  return out;
}

Status complete(store::Connection& conn, const EsignDeps& deps, Envelope& env, const EventActor& actor) {
  CS_CHECK(require_transition(env.status, EnvelopeStatus::completed));
  Micros now = deps.clock.now();
  Party sender = CS_TRY(sender_of(deps, env));
  env.status = EnvelopeStatus::completed;
  env.completed_at = now;
  env.updated_at = now;
  CS_CHECK(repo::update_envelope(conn, env));
  for (auto& r : env.recipients) {
    if (r.type == RecipientType::cc && r.status != RecipientStatus::completed) {
      r.status = RecipientStatus::completed;
      r.completed_at = now;
      if (!r.sent_at) r.sent_at = now;
      CS_CHECK(repo::update_recipient(conn, r));
    }
  }
  // Completion notices go to every recipient and the sender (issue 4 §3); embedded signers
  // have no mailbox here, their app learns it from the webhook.
  for (const auto& r : env.recipients) {
    if (!r.client_user_id) CS_TRY(notify::enqueue_email(conn, completed_email(env, {r.name, r.email}), deps.clock));
  }
  CS_TRY(notify::enqueue_email(conn, completed_email(env, sender), deps.clock));
  return publish(conn, deps, env, "envelope.completed", nullptr, actor);
}

}  // namespace cs::esign::detail
