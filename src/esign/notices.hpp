// What the envelope emails say (issue 4 §3): invitations in routing order, completion notices
// to every recipient and the sender, decline and void notices. Pure composition: the services
// queue the messages with notify::enqueue_email in the transaction that causes them.
// Every message has a plain-text body and a simple HTML alternative in which every value
// (subject, names, the sender's message, reasons) is escaped.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "esign/envelope.hpp"
#include "notify/email.hpp"

namespace cs::esign {

struct Party {
  std::string name;
  std::string email;
};

// A signer's invitation with the absolute signing link, or a cc's "for your information".
notify::EmailMessage invitation_email(const Envelope& env, const Recipient& to, const Party& sender,
                                      const std::optional<std::string>& signing_url);
notify::EmailMessage completed_email(const Envelope& env, const Party& to);
notify::EmailMessage declined_email(const Envelope& env, const Party& to, const Recipient& decliner,
                                    std::string_view reason);
notify::EmailMessage voided_email(const Envelope& env, const Party& to, const Party& sender, std::string_view reason);

std::string html_escape(std::string_view s);

}  // namespace cs::esign
