#include "certification/final_review.hpp"

#include <set>

#include <nlohmann/json.hpp>

#include "certification/assignments.hpp"
#include "certification/catalogue.hpp"
#include "certification/findings.hpp"
#include "certification/request_service.hpp"
#include "crypto/tokens.hpp"
#include "identity/directory.hpp"
#include "oauth/app.hpp"
#include "oauth/app_service.hpp"
#include "store/params.hpp"

namespace cs::certification {

namespace {

const identity::Actor kSystem = identity::Actor::system("final-review");

Result<nlohmann::json> job_payload(const store::Job& job) {
  auto p = nlohmann::json::parse(job.payload, nullptr, false);
  if (p.is_discarded() || !p.is_object() || !p.contains("request_id") ||
      !p["request_id"].is_string()) {
    return fail(Errc::internal, "Malformed job", "bad " + job.kind + " payload: " + job.payload);
  }
  return p;
}

std::vector<std::string> split_words(const std::string& text) {
  std::vector<std::string> out;
  std::string word;
  for (char c : text + " ") {
    if (c == ' ') {
      if (!word.empty()) out.push_back(std::move(word));
      word.clear();
    } else {
      word += c;
    }
  }
  return out;
}

}  // namespace

Result<esign::ApiActor> platform_sender(identity::Directory& directory) {
  auto account = CS_TRY(directory.find_account_by_name(kPlatformAccountName));
  if (!account) {
    account = CS_TRY(directory.create_account(
        {std::string(kPlatformAccountName), identity::Environment::production, std::nullopt},
        identity::Actor::system("final-review")));
  }
  auto user = CS_TRY(directory.find_user_by_email(kPlatformSenderEmail));
  if (!user) {
    // Nobody signs in as the sender: its password is random and never shown.
    user = CS_TRY(
        directory.create_user({std::string(kPlatformSenderEmail), std::string(kPlatformSenderName),
                               crypto::generate_token("pw_")},
                              identity::Actor::system("final-review")));
  }
  CS_TRY(directory.grant_account_role(account->id, user->id, identity::AccountRole::sender,
                                      identity::Actor::system("final-review")));
  esign::ApiActor who;
  who.account_id = account->id;
  who.user_id = user->id;
  who.ip = "127.0.0.1";
  who.user_agent = "countersign-final-review";
  return who;
}

void FinalReview::attach() {
  deps_.requests.on_transition([clock = &deps_.clock](store::Connection& conn, const Request& after,
                                                      Action action,
                                                      const identity::Actor&) -> Status {
    if (action != Action::request_promotion || after.state != State::promotion_requested) return {};
    store::NewJob job{std::string(kFinalReviewJobKind),
                      nlohmann::json{{"request_id", after.id}}.dump()};
    CS_TRY(store::enqueue(conn, job, *clock));
    return {};
  });
  // Inside the signer's transaction: only a lookup and a durable job, so signing never waits on
  // (or fails with) the certification side.
  deps_.envelopes.add_event_listener([clock = &deps_.clock](
                                         store::Connection& conn,
                                         const events::DomainEvent& e) -> Status {
    if (e.type != "envelope.completed" && e.type != "envelope.declined") return {};
    auto request = CS_TRY(find_request_by_envelope(conn, e.envelope_id));
    if (!request) return {};
    std::string reason = e.data.contains("reason") && e.data["reason"].is_string()
                             ? e.data["reason"].get<std::string>()
                             : std::string();
    nlohmann::json payload{{"request_id", request->id},
                           {"envelope_id", e.envelope_id},
                           {"outcome", e.type == "envelope.completed" ? "completed" : "declined"},
                           {"reason", reason}};
    CS_TRY(store::enqueue(conn, {std::string(kEnvelopeOutcomeJobKind), payload.dump()}, *clock));
    return {};
  });
}

Status FinalReview::handle_final_review_job(const store::Job& job) {
  auto payload = CS_TRY(job_payload(job));
  return start(payload["request_id"].get<std::string>(),
               payload.value("replaces_envelope_id", std::string()));
}

Status FinalReview::handle_envelope_outcome_job(const store::Job& job) {
  auto p = CS_TRY(job_payload(job));
  return conclude(p["request_id"].get<std::string>(), p.value("envelope_id", ""),
                  p.value("outcome", ""), p.value("reason", ""));
}

Result<CertificateContent> FinalReview::certificate_content(std::string_view request_id,
                                                            std::string_view approver_name) {
  auto lease = CS_TRY(deps_.db.connect());
  Request request = CS_TRY(load_request(*lease, request_id));
  auto version = CS_TRY(lease->query_one("SELECT number, functions FROM app_versions WHERE id = $1",
                                         store::params(request.app_version_id)));
  if (!version)
    return fail(Errc::internal, "The request's app version is missing", request.app_version_id);
  oauth::App app = CS_TRY(deps_.apps.find_by_id(request.app_id));
  auto partner = CS_TRY(deps_.directory.get_partner_org(request.partner_org_id));

  // The catalogue the request was judged under: stored at server start; the embedded copy is
  // the same text (published versions never change).
  auto catalogue = load_catalogue(*lease, request.catalogue_version);
  if (!catalogue) {
    if (catalogue.error().errc() != Errc::not_found) return fail(catalogue.error());
    for (const auto& c : embedded_catalogues()) {
      if (c.version == request.catalogue_version) catalogue = c;
    }
    if (!catalogue)
      return fail(Errc::internal, "Unknown catalogue version", request.catalogue_version);
  }
  auto words = split_words(version->text(1));
  std::set<std::string> functions(words.begin(), words.end());

  CertificateContent c;
  c.request_id = request.id;
  c.kind = std::string(to_string(request.kind));
  c.app_name = app.name;
  c.client_id = app.client_id;
  c.version_number = static_cast<int>(version->int64(0));
  c.partner_name = partner.name;
  c.catalogue_version = request.catalogue_version;
  c.issued_on = format_local_date(deps_.calendar.local_date(deps_.clock.now()));
  c.approver_name = std::string(approver_name);
  for (const Requirement* r : catalogue->applicable(functions))
    c.requirements.push_back({r->id, r->title});
  return c;
}

Status FinalReview::start(std::string_view request_id, std::string_view superseded_envelope_id) {
  esign::ApiActor sender = CS_TRY(platform_sender(deps_.directory));
  // 0. A reassigned approver's envelope stops working first (void_superseded is a no-op for an
  //    envelope that is still the request's certificate, or that can no longer be signed).
  if (!superseded_envelope_id.empty())
    CS_CHECK(void_superseded(sender, request_id, superseded_envelope_id));

  // 1. The final approver (least loaded), unless one is assigned already (a retried job, or a
  //    reassignment). Work remains while the request waits for its envelope: promotion_requested,
  //    or final_review after a reassignment cleared the envelope.
  auto approver = CS_TRY(
      store::transact(deps_.db, [&](store::Connection& conn) -> Result<std::optional<Assignment>> {
        Request request = CS_TRY(load_request(conn, request_id, true));
        bool waiting = request.state == State::promotion_requested ||
                       (request.state == State::final_review && !request.certification_envelope_id);
        if (!waiting) return std::optional<Assignment>{};
        auto current = CS_TRY(current_assignment(conn, request.id, AssignmentRole::final_approver));
        if (current) return current;
        auto assigned = CS_TRY(deps_.requests.assign(
            conn, request.id, AssignmentRole::final_approver, std::nullopt, kSystem));
        return std::optional<Assignment>(assigned);
      }));
  if (!approver) return {};  // already in final review, or withdrawn/rejected meanwhile

  std::optional<std::string> envelope_id;
  {
    auto lease = CS_TRY(deps_.db.connect());
    envelope_id = CS_TRY(load_request(*lease, request_id)).certification_envelope_id;
  }
  // An earlier round's certificate that was declined (or voided) cannot be signed again: the
  // round after the remedy gets a new envelope in its place.
  std::optional<std::string> replaces;
  if (envelope_id) {
    esign::Envelope previous = CS_TRY(deps_.envelopes.get(sender, *envelope_id));
    if (previous.status == esign::EnvelopeStatus::declined ||
        previous.status == esign::EnvelopeStatus::voided ||
        previous.status == esign::EnvelopeStatus::expired) {
      replaces = std::move(envelope_id);
      envelope_id.reset();
    }
  }
  // 2. The certificate envelope, created as a draft and remembered before it is sent.
  if (!envelope_id) {
    CertificateContent content = CS_TRY(certificate_content(request_id, approver->user_name));
    CertificatePdf pdf = render_certificate(content);
    esign::CreateEnvelope in;
    in.email_subject = "Certification of " + content.app_name + " version " +
                       std::to_string(content.version_number) + ": your final approval";
    in.email_message =
        "Please review and sign the certificate of " + content.app_name + " (" +
        content.partner_name + "), certification request " + content.request_id +
        ". Sign to certify it, or decline with your reason to send it back for remedy.";
    in.documents.push_back(
        {"certificate", "Certificate " + content.request_id + ".pdf", pdf.bytes});
    in.recipients.push_back({"approver", esign::RecipientType::signer, approver->user_name,
                             approver->user_email, 1, std::nullopt});
    in.fields.push_back({"certificate", "approver", esign::FieldType::signature, pdf.signature.page,
                         pdf.signature.x, pdf.signature.y, pdf.signature.width,
                         pdf.signature.height, true});
    in.fields.push_back({"certificate", "approver", esign::FieldType::date_signed,
                         pdf.date_signed.page, pdf.date_signed.x, pdf.date_signed.y,
                         pdf.date_signed.width, pdf.date_signed.height, true});
    esign::Envelope env = CS_TRY(deps_.envelopes.create(sender, std::move(in)));
    auto stored =
        CS_TRY(store::transact(deps_.db, [&](store::Connection& conn) -> Result<std::int64_t> {
          // Compare-and-set against what this run read: nothing stored, or the dead envelope of
          // an earlier round.
          auto changed = CS_TRY(
              replaces ? conn.exec("UPDATE cert_requests SET certification_envelope_id = $1 WHERE id = $2 "
                                   "AND certification_envelope_id = $3 "
                                   "AND state IN ('promotion_requested', 'final_review')",
                                   store::params(env.id, request_id, *replaces))
                       : conn.exec("UPDATE cert_requests SET certification_envelope_id = $1 WHERE id = $2 "
                                   "AND certification_envelope_id IS NULL "
                                   "AND state IN ('promotion_requested', 'final_review')",
                                   store::params(env.id, request_id)));
          if (changed == 0) return changed;
          Request request = CS_TRY(load_request(conn, request_id));
          nlohmann::json detail{{"envelope_id", env.id},
                                {"final_approver", approver->user_id}};
          if (replaces) detail["replaces_envelope_id"] = *replaces;
          if (!superseded_envelope_id.empty()) detail["replaces_envelope_id"] = superseded_envelope_id;
          CS_CHECK(append_history(conn,
                                  HistoryEntry{.request_id = request.id,
                                               .actor = kSystem,
                                               .action = "certificate_envelope_created",
                                               .from_state = std::nullopt,
                                               .to_state = std::nullopt,
                                               .reason = {},
                                               .detail_json = detail.dump()},
                                  deps_.clock.now()));
          return changed;
        }));
    if (stored == 0) {
      // Another worker stored its envelope first, or the request moved on: this draft is not
      // needed.
      CS_TRY(deps_.envelopes.void_envelope(sender, env.id, "Superseded certification draft"));
      return start_final_review_if_ready(request_id);
    }
    envelope_id = env.id;
  }
  // 3. Send it (a retry finds it sent already), then 4. the transition.
  esign::Envelope env = CS_TRY(deps_.envelopes.get(sender, *envelope_id));
  if (env.status == esign::EnvelopeStatus::created)
    CS_TRY(deps_.envelopes.send(sender, *envelope_id));
  return start_final_review_if_ready(request_id);
}

Status FinalReview::void_superseded(const esign::ApiActor& sender, std::string_view request_id,
                                    std::string_view envelope_id) {
  {
    auto lease = CS_TRY(deps_.db.connect());
    Request request = CS_TRY(load_request(*lease, request_id));
    if (request.certification_envelope_id == envelope_id) return {};  // still the certificate
  }
  esign::Envelope env = CS_TRY(deps_.envelopes.get(sender, envelope_id));
  if (env.status != esign::EnvelopeStatus::sent && env.status != esign::EnvelopeStatus::delivered &&
      env.status != esign::EnvelopeStatus::created) {
    return {};  // voided already (a retry), or finished: nothing left to stop
  }
  std::string who = "another final approver";
  {
    auto lease = CS_TRY(deps_.db.connect());
    if (auto current = CS_TRY(current_assignment(*lease, request_id, AssignmentRole::final_approver)))
      who = current->user_name;
  }
  auto voided = deps_.envelopes.void_envelope(
      sender, envelope_id,
      "The final approval of certification request " + std::string(request_id) +
          " was reassigned to " + who + "; this certificate envelope is replaced by a new one.");
  if (!voided) {
    // Signed or declined in the meantime: that outcome no longer decides the request (conclude
    // only listens to the current certificate), and nothing is left to void.
    esign::Envelope now = CS_TRY(deps_.envelopes.get(sender, envelope_id));
    if (now.status == esign::EnvelopeStatus::sent || now.status == esign::EnvelopeStatus::delivered)
      return fail(voided.error());
  }
  return {};
}

Status FinalReview::start_final_review_if_ready(std::string_view request_id) {
  return store::transact(deps_.db, [&](store::Connection& conn) -> Status {
    Request request = CS_TRY(load_request(conn, request_id, true));
    if (request.state != State::promotion_requested || !request.certification_envelope_id)
      return {};
    CS_TRY(deps_.requests.transition(conn, request.id, Action::start_final_review, kSystem,
                                     "The certificate envelope was sent to the final approver"));
    return {};
  });
}

Status FinalReview::conclude(std::string_view request_id, std::string_view envelope_id,
                             std::string_view outcome, std::string_view reason) {
  return store::transact(deps_.db, [&](store::Connection& conn) -> Status {
    Request request = CS_TRY(load_request(conn, request_id, true));
    // Only the current certificate decides, and only once.
    if (request.state != State::final_review || request.certification_envelope_id != envelope_id)
      return {};
    auto approver = CS_TRY(current_assignment(conn, request.id, AssignmentRole::final_approver));
    identity::Actor actor = approver ? identity::Actor::user(approver->user_id) : kSystem;
    Micros now = deps_.clock.now();
    if (outcome == "completed") {
      CS_TRY(deps_.requests.transition(conn, request.id, Action::certify, actor,
                                       "The final approver signed the certificate"));
      return {};
    }
    if (outcome != "declined")
      return fail(Errc::internal, "Unknown envelope outcome", std::string(outcome));
    std::string why = reason.empty() ? std::string("No reason given") : std::string(reason);
    // The decline edge: a final_review finding moves the request to changes_requested, and the
    // partner remedies it like any other finding.
    NewFinding finding{std::string(kFinalApprovalRequirement),
                       "final_review",
                       "reviewer",
                       "high",
                       "The final approver declined the certificate: " + why,
                       "Certification envelope " + std::string(envelope_id)};
    CS_TRY(file_finding(conn, deps_.audit, request.id, finding, actor, now));
    return {};
  });
}

Result<Assignment> FinalReview::assign_final_approver(const identity::Principal* who,
                                                      std::string_view request_id,
                                                      std::optional<std::string> user_id,
                                                      const identity::Actor& actor) {
  std::optional<std::string> before;
  {
    auto lease = CS_TRY(deps_.db.connect());
    // Read only to know which envelope a reassignment replaces; the assignment below authorises.
    if (auto r = load_request(*lease, request_id)) before = r->certification_envelope_id;
  }
  Assignment assigned =
      who ? CS_TRY(deps_.requests.assign(*who, request_id, AssignmentRole::final_approver,
                                         std::move(user_id), actor))
          : CS_TRY(store::transact(deps_.db, [&](store::Connection& conn) -> Result<Assignment> {
              return deps_.requests.assign(conn, request_id, AssignmentRole::final_approver,
                                           std::move(user_id), actor);
            }));
  if (before) {
    std::optional<std::string> after;
    {
      auto lease = CS_TRY(deps_.db.connect());
      after = CS_TRY(load_request(*lease, request_id)).certification_envelope_id;
    }
    if (after != before) {
      // Best effort now; the job enqueued with the assignment repeats it (idempotent).
      auto replaced = start(request_id, *before);
      (void)replaced;
    }
  }
  return assigned;
}

Result<esign::Envelope> FinalReview::certificate_envelope(std::string_view request_id) {
  std::optional<std::string> envelope_id;
  {
    auto lease = CS_TRY(deps_.db.connect());
    envelope_id = CS_TRY(load_request(*lease, request_id)).certification_envelope_id;
  }
  if (!envelope_id) return fail(Errc::not_found, "This request has no certificate yet");
  esign::ApiActor sender = CS_TRY(platform_sender(deps_.directory));
  return deps_.envelopes.get(sender, *envelope_id);
}

Result<std::string> FinalReview::certificate_document(std::string_view request_id) {
  esign::Envelope env = CS_TRY(certificate_envelope(request_id));
  if (env.documents.empty())
    return fail(Errc::internal, "The certificate envelope has no document", env.id);
  esign::ApiActor sender = CS_TRY(platform_sender(deps_.directory));
  return deps_.envelopes.document_pdf(sender, env.id, env.documents.front().id);
}

}  // namespace cs::certification
