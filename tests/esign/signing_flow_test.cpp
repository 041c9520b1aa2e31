// The envelope lifecycle at the service level on both backends: send, routing order, finish,
// completion, decline, void, signing twice, foreign tokens, concurrent finishes, expiry, embedded
// views, tenant isolation.
#include <thread>

#include "esign_fixture.hpp"
#include "store/job_queue.hpp"

namespace cs::esign::testing {
namespace {

class SigningFlowTest : public EsignTest {};

TEST_P(SigningFlowTest, RoutingOrderThenCompletionWithEventsAndEmails) {
  ASSERT_OK_AND_ASSIGN(env, envelopes_->create(who(), two_signers()));
  EXPECT_EQ(env.status, EnvelopeStatus::sent);
  // Only routing order 1 is invited; the cc (order 2) waits for its turn.
  EXPECT_EQ(emails_to("alice@example.com").size(), 1u);
  EXPECT_TRUE(emails_to("bob@example.com").empty());
  EXPECT_TRUE(emails_to("carol@example.com").empty());
  auto invite = emails_to("alice@example.com").front();
  EXPECT_EQ(invite.category, "invitation");
  ASSERT_TRUE(invite.html_body);
  EXPECT_NE(invite.html_body->find("Please sign the &lt;contract&gt;"), std::string::npos);
  EXPECT_NE(invite.html_body->find("Thanks &amp; regards"), std::string::npos);

  std::string alice = token_for("alice@example.com");
  EXPECT_EQ(signing_->return_url(alice).value(), std::nullopt);  // emailed: our own outcome page
  ASSERT_FALSE(alice.empty());
  ASSERT_OK_AND_ASSIGN(session, signing_->open(alice, {"198.51.100.7", "Browser/1.0"}));
  EXPECT_EQ(session.recipient_status, "delivered");
  EXPECT_TRUE(session.can_act);
  EXPECT_EQ(session.sender_email, "sender@customer.example");
  ASSERT_EQ(session.fields.size(), 3u);
  EXPECT_EQ(session.fields[0].type, "text");  // page 1 before page 2
  EXPECT_EQ(session.documents.at(0).page_count, 2);
  EXPECT_EQ(envelopes_->get(who(), env.id).value().status, EnvelopeStatus::delivered);

  ASSERT_TRUE(sign(alice)) << describe(sign(alice).error());
  auto after1 = envelopes_->get(who(), env.id).value();
  EXPECT_EQ(after1.recipients[0].status, RecipientStatus::completed);
  EXPECT_EQ(after1.recipients[1].status, RecipientStatus::sent);
  EXPECT_EQ(after1.recipients[2].status, RecipientStatus::sent);
  EXPECT_EQ(emails_to("bob@example.com").size(), 1u);
  EXPECT_EQ(emails_to("carol@example.com").front().category, "carbon_copy");
  // Values were filled by the server and the signer.
  for (const auto& f : after1.fields) {
    if (f.recipient_id != after1.recipients[0].id) continue;
    std::optional<std::string> want;
    if (f.type == FieldType::signature) want = "typed:Typed Name";
    if (f.type == FieldType::text) want = "ACME Corp";
    if (f.type == FieldType::checkbox) want = "false";
    EXPECT_EQ(f.value, want);
  }

  ASSERT_TRUE(sign(token_for("bob@example.com")));
  auto done = envelopes_->get(who(), env.id).value();
  EXPECT_EQ(done.status, EnvelopeStatus::completed);
  EXPECT_TRUE(done.completed_at);
  EXPECT_EQ(done.recipients[2].status, RecipientStatus::completed);
  for (const char* to : {"alice@example.com", "bob@example.com", "carol@example.com", "sender@customer.example"}) {
    auto mails = emails_to(to);
    EXPECT_TRUE(std::any_of(mails.begin(), mails.end(), [](const auto& m) { return m.category == "completed"; })) << to;
  }
  auto types = event_types(env.id);
  for (const char* t : {"envelope.created", "envelope.sent", "envelope.delivered", "envelope.completed"}) {
    EXPECT_EQ(count(types, t), 1) << t;
  }
  EXPECT_EQ(count(types, "recipient.sent"), 3);
  EXPECT_EQ(count(types, "recipient.completed"), 2);
  EXPECT_EQ(types.back(), "envelope.completed");
  // After completion the links are closed.
  auto closed = signing_->open(alice, {});
  ASSERT_FALSE(closed);
  EXPECT_EQ(closed.error().errc(), Errc::link_expired);
}

TEST_P(SigningFlowTest, SigningTwiceAndSkippingTheDisclosureAreInvalidState) {
  auto in = two_signers();
  in.recipients[1].routing_order = 1;  // Bob signs in parallel, so the envelope stays open
  in.recipients[2].routing_order = 1;
  ASSERT_OK_AND_ASSIGN(env, envelopes_->create(who(), std::move(in)));
  std::string alice = token_for("alice@example.com");
  AdoptedSignature s;
  s.typed_name = "Alice";
  auto early = signing_->finish(alice, s, {}, {});
  ASSERT_FALSE(early);
  EXPECT_EQ(early.error().errc(), Errc::invalid_state);
  ASSERT_TRUE(signing_->accept_disclosure(alice, {}));
  auto missing = signing_->finish(alice, s, {}, {});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().errc(), Errc::validation_failed);  // the required text field
  ASSERT_TRUE(sign(alice));
  auto again = sign(alice);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().errc(), Errc::invalid_state);
  EXPECT_EQ(count(event_types(env.id), "recipient.completed"), 1);
}

TEST_P(SigningFlowTest, BadSignaturesAndForeignFieldsAreRefused) {
  ASSERT_OK_AND_ASSIGN(env, envelopes_->create(who(), two_signers()));
  std::string alice = token_for("alice@example.com");
  ASSERT_TRUE(signing_->accept_disclosure(alice, {}));
  AdoptedSignature drawn;
  drawn.kind = AdoptedSignature::Kind::drawn;
  drawn.png = "GIF89a not a png";
  auto bad_png = signing_->finish(alice, drawn, {}, {});
  ASSERT_FALSE(bad_png);
  EXPECT_EQ(bad_png.error().field(), "signature");
  AdoptedSignature typed;
  typed.typed_name = "Alice";
  auto foreign = signing_->finish(alice, typed, {{"fld_doesnotexist", "x"}}, {});
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().errc(), Errc::validation_failed);
  EXPECT_EQ(envelopes_->get(who(), env.id).value().recipients[0].status, RecipientStatus::delivered);
}

TEST_P(SigningFlowTest, DeclineEndsTheEnvelopeAndNotifies) {
  ASSERT_OK_AND_ASSIGN(env, envelopes_->create(who(), two_signers()));
  std::string alice = token_for("alice@example.com");
  auto empty = signing_->decline(alice, "   ", {});
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().errc(), Errc::validation_failed);
  ASSERT_TRUE(signing_->decline(alice, "Wrong amount", {"198.51.100.7", "UA"}));
  auto e = envelopes_->get(who(), env.id).value();
  EXPECT_EQ(e.status, EnvelopeStatus::declined);
  EXPECT_EQ(e.status_reason, "Wrong amount");
  EXPECT_EQ(e.recipients[0].status, RecipientStatus::declined);
  auto sender_mail = emails_to("sender@customer.example");
  ASSERT_FALSE(sender_mail.empty());
  EXPECT_EQ(sender_mail.back().category, "declined");
  auto types = event_types(env.id);
  EXPECT_EQ(count(types, "recipient.declined"), 1);
  EXPECT_EQ(types.back(), "envelope.declined");
  auto after = signing_->open(alice, {});
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().errc(), Errc::link_expired);
}

TEST_P(SigningFlowTest, VoidClosesLinksAndIsNotRepeatable) {
  ASSERT_OK_AND_ASSIGN(draft, envelopes_->create(who(), two_signers(false)));
  auto void_draft = envelopes_->void_envelope(who(), draft.id, "no");
  ASSERT_FALSE(void_draft);
  EXPECT_EQ(void_draft.error().errc(), Errc::invalid_state);
  ASSERT_OK_AND_ASSIGN(sent, envelopes_->send(who(), draft.id));
  EXPECT_EQ(sent.status, EnvelopeStatus::sent);
  auto no_reason = envelopes_->void_envelope(who(), draft.id, "");
  ASSERT_FALSE(no_reason);
  EXPECT_EQ(no_reason.error().errc(), Errc::validation_failed);
  clock_.advance(kMicrosPerSecond);  // emails are read back in time order
  ASSERT_OK_AND_ASSIGN(voided, envelopes_->void_envelope(who(), draft.id, "Sent by mistake"));
  EXPECT_EQ(voided.status, EnvelopeStatus::voided);
  EXPECT_EQ(emails_to("alice@example.com").back().category, "voided");
  auto link = signing_->open(token_for("alice@example.com"), {});
  ASSERT_FALSE(link);
  EXPECT_EQ(link.error().errc(), Errc::link_expired);
  auto twice = envelopes_->void_envelope(who(), draft.id, "again");
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().errc(), Errc::invalid_state);
  EXPECT_EQ(count(event_types(draft.id), "envelope.voided"), 1);
}

TEST_P(SigningFlowTest, TokenOfAnotherEnvelopeCannotReachItsDocuments) {
  ASSERT_OK_AND_ASSIGN(a, envelopes_->create(who(), two_signers()));
  clock_.advance(kMicrosPerSecond);  // emails are read back in time order
  ASSERT_OK_AND_ASSIGN(b, envelopes_->create(who(), two_signers()));
  // Both invited alice; the newest token belongs to envelope b.
  std::string token_b = token_for("alice@example.com");
  ASSERT_TRUE(signing_->document_pdf(token_b, b.documents[0].id));
  auto foreign = signing_->document_pdf(token_b, a.documents[0].id);
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().errc(), Errc::not_found);
  auto forged = signing_->open("cs_sg_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", {});
  ASSERT_FALSE(forged);
  EXPECT_EQ(forged.error().errc(), Errc::not_found);
}

TEST_P(SigningFlowTest, ConcurrentFinishesCompleteExactlyOnce) {
  auto in = two_signers();
  in.recipients[1].routing_order = 1;
  in.recipients.pop_back();  // no cc
  ASSERT_OK_AND_ASSIGN(env, envelopes_->create(who(), std::move(in)));
  std::string alice = token_for("alice@example.com"), bob = token_for("bob@example.com");
  ASSERT_TRUE(signing_->accept_disclosure(alice, {}));
  ASSERT_TRUE(signing_->accept_disclosure(bob, {}));
  Status ra, rb;
  std::thread ta([&] { ra = sign(alice); });
  std::thread tb([&] { rb = sign(bob); });
  ta.join();
  tb.join();
  ASSERT_TRUE(ra) << describe(ra.error());
  ASSERT_TRUE(rb) << describe(rb.error());
  EXPECT_EQ(envelopes_->get(who(), env.id).value().status, EnvelopeStatus::completed);
  EXPECT_EQ(count(event_types(env.id), "envelope.completed"), 1);
}

TEST_P(SigningFlowTest, ExpiryJobExpiresAtItsTime) {
  auto in = two_signers();
  in.expires_at = clock_.now() + 3600 * kMicrosPerSecond;
  ASSERT_OK_AND_ASSIGN(env, envelopes_->create(who(), std::move(in)));
  std::vector<std::string> kinds{std::string(kExpireJobKind)};
  EXPECT_FALSE(store::claim(db(), "w", kMicrosPerSecond, kinds, clock_).value());  // not due yet
  clock_.advance(3601 * kMicrosPerSecond);
  ASSERT_OK_AND_ASSIGN(job, store::claim(db(), "w", kMicrosPerSecond, kinds, clock_));
  ASSERT_TRUE(job);
  ASSERT_TRUE(envelopes_->handle_expire_job(*job));
  EXPECT_EQ(envelopes_->get(who(), env.id).value().status, EnvelopeStatus::expired);
  EXPECT_EQ(event_types(env.id).back(), "envelope.expired");
  auto link = signing_->open(token_for("alice@example.com"), {});
  ASSERT_FALSE(link);
  EXPECT_EQ(link.error().errc(), Errc::link_expired);
  EXPECT_TRUE(envelopes_->handle_expire_job(*job));  // a rerun changes nothing
  EXPECT_EQ(count(event_types(env.id), "envelope.expired"), 1);
}

TEST_P(SigningFlowTest, DefaultExpiryIs120DaysAfterSending) {
  ASSERT_OK_AND_ASSIGN(env, envelopes_->create(who(), two_signers()));
  EXPECT_EQ(env.expires_at, clock_.now() + kDefaultExpiry);
}

TEST_P(SigningFlowTest, EmbeddedSignerGetsNoEmailAndAOneTimeView) {
  auto in = two_signers();
  in.recipients[0].client_user_id = "user-42";
  ASSERT_OK_AND_ASSIGN(env, envelopes_->create(who(), std::move(in)));
  EXPECT_TRUE(emails_to("alice@example.com").empty());
  auto not_embedded = envelopes_->create_recipient_view(who(), env.id, {env.recipients[1].id, std::nullopt, "https://app.example/back"});
  ASSERT_FALSE(not_embedded);
  ASSERT_OK_AND_ASSIGN(view, envelopes_->create_recipient_view(who(), env.id, {std::nullopt, "user-42", "https://app.example/back"}));
  EXPECT_EQ(view.expires_at, clock_.now() + kEmbeddedViewLifetime);
  std::string prefix = "https://cs.example/sign/embedded/";
  ASSERT_EQ(view.url.rfind(prefix, 0), 0u);
  std::string view_token = view.url.substr(prefix.size());
  ASSERT_OK_AND_ASSIGN(token, signing_->redeem_embedded_view(view_token, {}));
  ASSERT_TRUE(signing_->open(token, {}));
  // The page sends an embedded signer back to the app; an emailed signer has nowhere to go back.
  EXPECT_EQ(signing_->return_url(token).value(), std::optional<std::string>("https://app.example/back"));
  EXPECT_EQ(signing_->return_url("cs_sg_unknown").error().errc(), Errc::not_found);
  auto fragment = envelopes_->create_recipient_view(who(), env.id, {std::nullopt, "user-42", "https://app.example/back#x"});
  ASSERT_FALSE(fragment);
  EXPECT_EQ(fragment.error().field(), "return_url");
  auto reused = signing_->redeem_embedded_view(view_token, {});
  ASSERT_FALSE(reused);
  EXPECT_EQ(reused.error().errc(), Errc::link_expired);
  ASSERT_OK_AND_ASSIGN(view2, envelopes_->create_recipient_view(who(), env.id, {env.recipients[0].id, std::nullopt, "https://app.example/back"}));
  clock_.advance(kEmbeddedViewLifetime + 1);
  auto late = signing_->redeem_embedded_view(view2.url.substr(prefix.size()), {});
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().errc(), Errc::link_expired);
  // The minted signing link itself lasts 30 minutes.
  clock_.advance(kEmbeddedSigningLinkLifetime);
  auto expired = signing_->open(token, {});
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error().errc(), Errc::link_expired);
}

TEST_P(SigningFlowTest, AnotherAccountSeesNothing) {
  ASSERT_OK_AND_ASSIGN(env, envelopes_->create(who(), two_signers(false)));
  auto stranger = who(other_account_);
  EXPECT_EQ(envelopes_->get(stranger, env.id).error().errc(), Errc::not_found);
  EXPECT_EQ(envelopes_->send(stranger, env.id).error().errc(), Errc::not_found);
  EXPECT_EQ(envelopes_->events(stranger, env.id).error().errc(), Errc::not_found);
  EXPECT_EQ(envelopes_->document_pdf(stranger, env.id, env.documents[0].id).error().errc(), Errc::not_found);
  EXPECT_TRUE(envelopes_->list(stranger, {}).value().items.empty());
  EXPECT_EQ(envelopes_->get(who(), env.id).value().status, EnvelopeStatus::created);
}

TEST_P(SigningFlowTest, DraftUpdateOnlyWhileDraftAndSendNeedsASignatureField) {
  auto in = two_signers(false);
  in.fields.pop_back();  // Bob has no signature field
  ASSERT_OK_AND_ASSIGN(env, envelopes_->create(who(), std::move(in)));
  auto refused = envelopes_->send(who(), env.id);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().errc(), Errc::validation_failed);
  EXPECT_EQ(envelopes_->get(who(), env.id).value().status, EnvelopeStatus::created);
  EXPECT_TRUE(emails().empty());
  UpdateDraft patch;
  patch.fields = two_signers().fields;
  patch.email_subject = "Updated";
  ASSERT_OK_AND_ASSIGN(updated, envelopes_->update_draft(who(), env.id, std::move(patch)));
  EXPECT_EQ(updated.email_subject, "Updated");
  EXPECT_EQ(updated.fields.size(), 4u);
  ASSERT_TRUE(envelopes_->send(who(), env.id));
  UpdateDraft late;
  late.email_subject = "Too late";
  auto after = envelopes_->update_draft(who(), env.id, std::move(late));
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().errc(), Errc::invalid_state);
}

TEST_P(SigningFlowTest, ListFiltersAndPagesStably) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    clock_.advance(kMicrosPerSecond);
    ids.push_back(envelopes_->create(who(), two_signers(i % 2 == 0)).value().id);
  }
  ListFilter sent;
  sent.status = EnvelopeStatus::sent;
  EXPECT_EQ(envelopes_->list(who(), sent).value().items.size(), 3u);
  ListFilter page;
  page.limit = 2;
  std::vector<std::string> seen;
  for (int guard = 0; guard < 10; ++guard) {
    auto p = envelopes_->list(who(), page).value();
    for (const auto& e : p.items) seen.push_back(e.id);
    if (!p.next) break;
    page.after = p.next;
  }
  EXPECT_EQ(seen, ids);
  ListFilter since;
  since.updated_from = clock_.now();
  EXPECT_EQ(envelopes_->list(who(), since).value().items.size(), 1u);
}

TEST_P(SigningFlowTest, ADocumentOverTheSizeLimitIsRefusedAndNothingIsStored) {
  // The fixture configures a 1 MiB limit; the check runs before the PDF is parsed.
  auto in = two_signers();
  in.documents[0].bytes = sample_pdf("Contract", {{612, 792}, {612, 792}});
  in.documents[0].bytes.resize(1024 * 1024 + 1, ' ');
  auto created = envelopes_->create(who(), in);
  ASSERT_FALSE(created.has_value());
  EXPECT_EQ(created.error().errc(), Errc::payload_too_large);
  EXPECT_EQ(created.error().http_status(), 413);
  EXPECT_EQ(created.error().field(), "documents/0");
  auto conn = lease();
  auto rows = conn->query("SELECT COUNT(*) FROM envelopes").value();
  EXPECT_EQ(rows[0].int64(0), 0);
  EXPECT_TRUE(emails().empty());

  // Exactly at the limit the size check passes and the PDF itself is judged next (this padded
  // file is then refused as a PDF, not for its size).
  in.documents[0].bytes.resize(1024 * 1024);
  auto at_limit = envelopes_->create(who(), in);
  ASSERT_FALSE(at_limit.has_value());
  EXPECT_EQ(at_limit.error().errc(), Errc::pdf_invalid);
}

CS_INSTANTIATE_BOTH_BACKENDS(SigningFlowTest);

}  // namespace
}  // namespace cs::esign::testing
