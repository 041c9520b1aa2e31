// The steps both services share, inside the caller's transaction on a locked envelope:
// notifying the recipients whose routing turn has come, completing, and recording events.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "esign/envelope.hpp"
#include "esign/envelope_service.hpp"
#include "esign/notices.hpp"
#include "store/database.hpp"

namespace cs::esign::detail {

// Who caused an event (events::DomainEvent actor fields).
struct EventActor {
  std::string type = "system";  // app | user | signer | system
  std::string id = "system";
  std::string ip;
  std::string user_agent;
};

EventActor actor_of(const ApiActor& who);

nlohmann::json envelope_summary(const Envelope& env);
nlohmann::json recipient_summary(const Recipient& r);

Status publish(store::Connection& conn, const EsignDeps& deps, const Envelope& env, std::string_view type,
               const Recipient* recipient, const EventActor& actor, nlohmann::json extra = nlohmann::json::object());

Result<Party> sender_of(const EsignDeps& deps, const Envelope& env);

// Mints an emailed signing link for `r`; answers the absolute URL.
Result<std::string> mint_signing_link(store::Connection& conn, const EsignDeps& deps, const Envelope& env,
                                      const Recipient& r, std::string_view kind, std::optional<Micros> expires_at);

// Sends invitations (signers without client_user_id get a link; embedded signers none; cc a
// copy) to every recipient whose turn has come, marking them sent with recipient.sent events.
Status notify_due(store::Connection& conn, const EsignDeps& deps, Envelope& env, const EventActor& actor);

// All signers done: the envelope completes, cc recipients complete, everyone and the sender
// get the completion notice.
Status complete(store::Connection& conn, const EsignDeps& deps, Envelope& env, const EventActor& actor);

// Every recipient who was notified plus the sender (decline and void notices).
std::vector<Party> notified_parties(const Envelope& env, const Party& sender);

}  // namespace cs::esign::detail
