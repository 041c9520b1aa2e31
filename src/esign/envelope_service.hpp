// The envelope API of issue 4 §1 as a service: create, read, list, update a draft, send, void,
// resend, documents, events, embedded signing views, and the expiry job. Every call is scoped
// to the caller's account (another account's envelope id is not_found), and every transition
// runs in one transaction with its domain events, emails and audit entries.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "esign/envelope.hpp"
#include "esign/envelope_repository.hpp"
#include "events/domain_event.hpp"
#include "store/job_queue.hpp"

namespace cs::audit {
class AuditLog;
}
namespace cs::crypto {
class TokenHasher;
}
namespace cs::identity {
class Directory;
}
namespace cs::store {
class BlobStore;
}

namespace cs::esign {

inline constexpr std::string_view kExpireJobKind = "envelope.expire";  // payload {"envelope_id": ...}
inline constexpr Micros kEmbeddedViewLifetime = 5LL * 60 * kMicrosPerSecond;
inline constexpr Micros kEmbeddedSigningLinkLifetime = 30LL * 60 * kMicrosPerSecond;

// What the services need from the runtime. `public_url` is the base of the signing links in
// emails and embedded view URLs ("<public_url>/sign/<token>").
struct EsignDeps {
  store::Database& db;
  store::BlobStore& blobs;
  const Clock& clock;
  audit::AuditLog& audit;
  const crypto::TokenHasher& tokens;
  identity::Directory& directory;
  std::string public_url;
  std::int64_t max_document_bytes = 25LL * 1024 * 1024;
  // Run inside the transaction of every event esign records, right after it is stored: the
  // certification program's final review listens for envelope.completed / envelope.declined of
  // its certificate envelopes. An error rolls the change back, so a listener only enqueues
  // durable work. Added with EnvelopeService::add_event_listener while wiring.
  std::vector<std::function<Status(store::Connection&, const events::DomainEvent&)>> event_listeners{};
};

// Who acts through the API: a token acts for its account, with its user as the sender.
struct ApiActor {
  std::string account_id;
  std::string user_id;
  std::optional<std::string> app_id;
  std::string ip;
  std::string user_agent;
  std::string request_id;
};

struct CreateEnvelope {
  std::string email_subject;
  std::string email_message;
  std::optional<Micros> expires_at;
  std::vector<NewDocument> documents;
  std::vector<NewRecipient> recipients;
  std::vector<NewField> fields;
  bool send = false;  // "status": "sent" on create
};

struct UpdateDraft {
  std::optional<std::string> email_subject;
  std::optional<std::string> email_message;
  std::optional<std::optional<Micros>> expires_at;  // engaged null: clear
  // Recipients and fields are replaced together (fields reference recipients).
  std::optional<std::vector<NewRecipient>> recipients;
  std::optional<std::vector<NewField>> fields;
};

struct EnvelopePage {
  std::vector<Envelope> items;  // rows only (no documents, recipients, fields)
  std::optional<std::pair<Micros, std::string>> next;  // keyset of the last item when more follow
};

struct RecipientViewRequest {
  std::optional<std::string> recipient_id;
  std::optional<std::string> client_user_id;
  std::string return_url;
};

struct RecipientView {
  std::string url;
  Micros expires_at = 0;
};

class EnvelopeService {
 public:
  explicit EnvelopeService(EsignDeps deps);

  Result<Envelope> create(const ApiActor& who, CreateEnvelope in);
  Result<Envelope> get(const ApiActor& who, std::string_view id);
  Result<EnvelopePage> list(const ApiActor& who, const ListFilter& filter);
  Result<Envelope> update_draft(const ApiActor& who, std::string_view id, UpdateDraft in);
  Result<Envelope> send(const ApiActor& who, std::string_view id);
  Result<Envelope> void_envelope(const ApiActor& who, std::string_view id, std::string_view reason);
  // Notifies again every recipient whose turn it is and who has not acted (new links: only
  // hashes of the old ones exist).
  Result<Envelope> resend(const ApiActor& who, std::string_view id);
  // The original bytes of one document; not_found for a document of another envelope.
  Result<std::string> document_pdf(const ApiActor& who, std::string_view envelope_id, std::string_view document_id);
  Result<std::vector<events::DomainEvent>> events(const ApiActor& who, std::string_view id);
  // A one-time embedded signing URL for a recipient with client_user_id (5 minutes).
  Result<RecipientView> create_recipient_view(const ApiActor& who, std::string_view id, const RecipientViewRequest& in);

  // The `envelope.expire` job: expires a sent or delivered envelope whose time has come.
  Status handle_expire_job(const store::Job& job);
  // Expires every overdue envelope now (maintenance safety net; answers how many).
  Result<std::int64_t> expire_overdue();

  // The base URL is known only once the server has bound its port (port 0 in tests).
  void set_public_url(std::string url) { deps_.public_url = std::move(url); }
  // Register while wiring, before requests are served (see EsignDeps::event_listeners).
  void add_event_listener(std::function<Status(store::Connection&, const events::DomainEvent&)> listener) {
    deps_.event_listeners.push_back(std::move(listener));
  }
  const EsignDeps& deps() const { return deps_; }

 private:
  Result<Envelope> transition(const ApiActor& who, std::string_view id,
                              const std::function<Status(store::Connection&, Envelope&)>& change);
  Status expire_one(store::Connection& conn, std::string_view envelope_id);

  EsignDeps deps_;
};

}  // namespace cs::esign
