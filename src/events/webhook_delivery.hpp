// The webhook job handlers (issue 4 §4, DESIGN.md "Durable jobs"):
//
//  * `webhook.fanout` {"event_id"}: one delivery per enabled subscription of the event's account
//    whose filter matches, in one transaction. A subscription whose app no longer holds a live
//    grant on the account (revoked, or ended by the access rule) or is disabled gets nothing:
//    losing access to an account also stops its events.
//  * `webhook.deliver` {"delivery_id", "manual"}: one attempt. The URL is checked again (DNS may
//    have changed) and curl is pinned to the checked address; the request carries the Standard
//    Webhooks headers. Every attempt is logged. A failure schedules the next attempt as a new
//    job per the retry schedule (webhook_types.hpp); after the last one the delivery is
//    `failed`, the subscription disabled, its creator emailed and the audit log told.
//
// At-least-once: a delivery's job is written with the delivery, and a crash mid-attempt leaves
// the job to be claimed again. Only the job named in the delivery's next_job_id may attempt it,
// so a manual redelivery supersedes a scheduled retry instead of doubling it.
#pragma once

#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "events/domain_event.hpp"
#include "events/webhook_types.hpp"
#include "store/job_queue.hpp"

namespace cs::audit {
class AuditLog;
}
namespace cs::crypto {
class FieldCipher;
}

namespace cs::events {

// The JSON body of a delivery: {"type", "timestamp" (the event's, RFC 3339), "data": the event's
// data (envelope summary, recipient) plus event_id, account_id, envelope_id, recipient_id}.
nlohmann::json webhook_payload(const DomainEvent& event);

class WebhookDispatcher {
 public:
  // Every reference must outlive the dispatcher.
  WebhookDispatcher(store::Database& db, const Clock& clock, audit::AuditLog& audit, const crypto::FieldCipher& cipher,
                    WebhookOptions options);

  Status fan_out(const store::Job& job);
  Status deliver(const store::Job& job);

 private:
  struct Outcome;
  Status record(const store::Job& job, const Delivery& before, bool manual, const Outcome& outcome);
  Status disable_subscription(store::Connection& conn, const Delivery& delivery, const std::string& last_error);

  store::Database& db_;
  const Clock& clock_;
  audit::AuditLog& audit_;
  const crypto::FieldCipher& cipher_;
  WebhookOptions options_;
};

}  // namespace cs::events
