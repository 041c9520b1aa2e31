#include "notify/mailer.hpp"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "notify/mime.hpp"
#include "notify/outbox.hpp"
#include "notify/smtp_password.hpp"
#include "notify/smtp_transport.hpp"

namespace cs::notify {

Mailer::Mailer(MailerSettings settings, store::Database& db, const crypto::FieldCipher& cipher,
               const Clock& clock)
    : settings_(std::move(settings)), db_(db), cipher_(cipher), clock_(clock) {}

Result<Delivery> Mailer::deliver(const EmailMessage& message, std::string_view key,
                                 Micros created_at) const {
  MimeEnvelope envelope;
  envelope.from = CS_TRY(parse_mailbox(settings_.from));
  envelope.date = clock_.now();
  const auto at = envelope.from.address.rfind('@');
  // Stable across retries, so a receiver can drop a duplicate of an at-least-once delivery.
  envelope.message_id = std::string(key) + "@" + envelope.from.address.substr(at + 1);
  const std::string text = CS_TRY(render_mime(message, envelope));

  Delivery delivery;
  delivery.message_id = envelope.message_id;
  if (!uses_smtp()) {
    delivery.via = Delivery::Via::outbox;
    delivery.file = CS_TRY(write_to_outbox(settings_.outbox_dir, key, created_at, text));
    spdlog::info("email written to the outbox (no SMTP host configured): {} [{}]",
                 delivery.file.string(), message.category);
    return delivery;
  }

  SmtpSettings smtp;
  smtp.host = settings_.smtp_host;
  smtp.port = settings_.smtp_port;
  smtp.tls = settings_.smtp_tls;
  smtp.user = settings_.smtp_user;
  smtp.connect_timeout = settings_.connect_timeout;
  smtp.timeout = settings_.timeout;
  if (!smtp.user.empty()) {
    auto password = CS_TRY(load_smtp_password(db_, cipher_));
    if (!password) {
      return fail(
          Errc::unavailable, "The email could not be delivered",
          "smtp.user is set but no SMTP password is stored (run `countersign smtp set-password`)");
    }
    smtp.password = std::move(*password);
  }
  SmtpFailure failure;
  auto sent = send_smtp(smtp, envelope.from.address, message.to, text, &failure);
  if (!sent) {
    if (failure.permanent()) {
      return fail(Error(Errc::unavailable, sent.error().message(),
                        "permanent refusal: " + sent.error().detail()));
    }
    return fail(sent.error());
  }
  delivery.via = Delivery::Via::smtp;
  spdlog::info("email {} sent over SMTP to {}:{} [{}]", envelope.message_id, smtp.host, smtp.port,
               message.category);
  return delivery;
}

Status Mailer::handle(const store::Job& job) const {
  auto payload = nlohmann::json::parse(job.payload, nullptr, /*allow_exceptions=*/false);
  auto message = email_from_json(payload);
  Result<Delivery> delivered = message ? deliver(*message, job.id, job.created_at)
                                       : Result<Delivery>(tl::unexpected(message.error()));
  if (delivered) return {};
  const Error& e = delivered.error();
  if (job.attempts >= job.max_attempts) {
    // The queue marks the job dead with this failure; say so where the operator looks.
    spdlog::error("email job {} is dead after {} attempts, the email was not delivered: {}", job.id,
                  job.attempts, e.detail().empty() ? e.message() : e.detail());
  }
  return tl::unexpected(delivered.error());
}

}  // namespace cs::notify
