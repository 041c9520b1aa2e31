// The envelope model's pure rules: validation of recipients and fields, the send rule, the
// state machine and routing order.
#include <gtest/gtest.h>

#include "esign/envelope.hpp"

namespace cs::esign {
namespace {

std::vector<Document> one_doc(int pages = 2) {
  Document d;
  d.id = "doc_1";
  d.ref = "contract";
  d.name = "contract.pdf";
  d.pages.assign(static_cast<std::size_t>(pages), PageSize{612, 792});
  return {d};
}

NewRecipient signer(std::string ref, std::string email, int order = 1) {
  return {std::move(ref), RecipientType::signer, "Sam Signer", std::move(email), order, std::nullopt};
}
NewRecipient cc(std::string ref, std::string email, int order = 1) {
  return {std::move(ref), RecipientType::cc, "Carl Copy", std::move(email), order, std::nullopt};
}
NewField sig(std::string recipient, int page = 1, double x = 100, double y = 100) {
  return {"contract", std::move(recipient), FieldType::signature, page, x, y, 150, 40, true};
}

std::string field_of(const Result<RecipientsAndFields>& r) { return r ? "" : r.error().field(); }

TEST(EnvelopeValidation, BuildsRecipientsAndFieldsWithIds) {
  auto r = build_recipients_and_fields(one_doc(), {signer("1", "A@Example.com"), cc("2", "c@example.com", 2)},
                                       {sig("1"), sig("1", 2)});
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->recipients.size(), 2u);
  EXPECT_EQ(r->recipients[0].email, "a@example.com");
  EXPECT_EQ(r->fields[1].recipient_id, r->recipients[0].id);
  EXPECT_EQ(r->fields[1].document_id, "doc_1");
}

TEST(EnvelopeValidation, FieldOffThePageIsRefused) {
  auto r = build_recipients_and_fields(one_doc(), {signer("1", "a@example.com")}, {sig("1", 1, 500, 100)});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().errc(), Errc::validation_failed);
  EXPECT_EQ(field_of(r), "fields/0");
  EXPECT_FALSE(build_recipients_and_fields(one_doc(), {signer("1", "a@example.com")}, {sig("1", 1, -1, 0)}));
  EXPECT_FALSE(build_recipients_and_fields(one_doc(), {signer("1", "a@example.com")}, {sig("1", 1, 10, 760)}));
}

TEST(EnvelopeValidation, FieldOnMissingPageOrDocumentIsRefused) {
  auto page = build_recipients_and_fields(one_doc(2), {signer("1", "a@example.com")}, {sig("1", 3)});
  EXPECT_EQ(field_of(page), "fields/0/page");
  NewField f = sig("1");
  f.document_ref = "nope";
  auto doc = build_recipients_and_fields(one_doc(), {signer("1", "a@example.com")}, {f});
  EXPECT_EQ(field_of(doc), "fields/0/document");
}

TEST(EnvelopeValidation, FieldAssignedToCcIsRefused) {
  auto r = build_recipients_and_fields(one_doc(), {signer("1", "a@example.com"), cc("2", "c@example.com")}, {sig("2")});
  EXPECT_EQ(field_of(r), "fields/0/recipient");
  auto unknown = build_recipients_and_fields(one_doc(), {signer("1", "a@example.com")}, {sig("9")});
  EXPECT_EQ(field_of(unknown), "fields/0/recipient");
}

TEST(EnvelopeValidation, DuplicateEmailInOneRoutingOrderIsRefused) {
  auto r = build_recipients_and_fields(one_doc(), {signer("1", "a@example.com"), signer("2", "A@example.com")}, {});
  EXPECT_EQ(field_of(r), "recipients/1/email");
  // The same person in two routing orders is fine (DocuSign allows it).
  EXPECT_TRUE(build_recipients_and_fields(one_doc(), {signer("1", "a@example.com"), signer("2", "a@example.com", 2)}, {}));
}

TEST(EnvelopeValidation, RoutingOrderOutOfRangeIsRefused) {
  EXPECT_EQ(field_of(build_recipients_and_fields(one_doc(), {signer("1", "a@example.com", 0)}, {})),
            "recipients/0/routing_order");
  EXPECT_EQ(field_of(build_recipients_and_fields(one_doc(), {signer("1", "a@example.com", 100)}, {})),
            "recipients/0/routing_order");
  EXPECT_TRUE(build_recipients_and_fields(one_doc(), {signer("1", "a@example.com", 99)}, {}));
}

TEST(EnvelopeValidation, BadEmailAndNameAreRefused) {
  EXPECT_EQ(field_of(build_recipients_and_fields(one_doc(), {signer("1", "not-an-email")}, {})), "recipients/0/email");
  auto blank = signer("1", "a@example.com");
  blank.name = "  ";
  EXPECT_EQ(field_of(build_recipients_and_fields(one_doc(), {blank}, {})), "recipients/0/name");
}

Envelope envelope_with(std::vector<NewRecipient> rs, std::vector<NewField> fs) {
  Envelope e;
  e.documents = one_doc();
  auto built = build_recipients_and_fields(e.documents, rs, fs);
  EXPECT_TRUE(built);
  e.recipients = built->recipients;
  e.fields = built->fields;
  return e;
}

TEST(EnvelopeSendRule, NeedsASignerWithASignatureField) {
  auto no_signer = check_sendable(envelope_with({cc("1", "c@example.com")}, {}));
  ASSERT_FALSE(no_signer);
  EXPECT_EQ(no_signer.error().field(), "recipients");
  NewField text = sig("1");
  text.type = FieldType::text;
  auto no_signature = check_sendable(envelope_with({signer("1", "a@example.com")}, {text}));
  ASSERT_FALSE(no_signature);
  EXPECT_EQ(no_signature.error().field(), "recipients/0");
  EXPECT_TRUE(check_sendable(envelope_with({signer("1", "a@example.com")}, {sig("1")})));
}

TEST(EnvelopeStateMachine, AllowsOnlyTheDocumentedTransitions) {
  using S = EnvelopeStatus;
  EXPECT_TRUE(can_transition(S::created, S::sent));
  EXPECT_TRUE(can_transition(S::sent, S::delivered));
  EXPECT_TRUE(can_transition(S::delivered, S::completed));
  EXPECT_TRUE(can_transition(S::sent, S::voided));
  EXPECT_TRUE(can_transition(S::delivered, S::declined));
  EXPECT_TRUE(can_transition(S::delivered, S::expired));
  EXPECT_FALSE(can_transition(S::created, S::voided));
  EXPECT_FALSE(can_transition(S::created, S::completed));
  EXPECT_FALSE(can_transition(S::delivered, S::sent));
  for (S final : {S::completed, S::declined, S::voided, S::expired}) {
    EXPECT_TRUE(is_final(final));
    for (S to : {S::created, S::sent, S::delivered, S::completed, S::declined, S::voided, S::expired}) {
      EXPECT_FALSE(can_transition(final, to));
    }
  }
  auto refused = require_transition(S::completed, S::voided);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().errc(), Errc::invalid_state);
}

TEST(EnvelopeRouting, NotifiesOneRoutingOrderAtATimeWithItsCarbonCopies) {
  auto e = envelope_with({signer("1", "a@example.com", 1), signer("2", "b@example.com", 1), cc("3", "c@example.com", 2),
                          signer("4", "d@example.com", 3)},
                         {sig("1"), sig("2"), sig("4")});
  EXPECT_EQ(active_routing_order(e.recipients), 1);
  EXPECT_EQ(recipients_due(e.recipients), (std::vector<std::size_t>{0, 1}));
  e.recipients[0].status = RecipientStatus::completed;
  e.recipients[1].status = RecipientStatus::sent;
  EXPECT_TRUE(recipients_due(e.recipients).empty());  // still waiting for signer 2
  e.recipients[1].status = RecipientStatus::completed;
  EXPECT_EQ(active_routing_order(e.recipients), 3);
  EXPECT_EQ(recipients_due(e.recipients), (std::vector<std::size_t>{2, 3}));
  e.recipients[3].status = RecipientStatus::completed;
  EXPECT_FALSE(active_routing_order(e.recipients));
}

TEST(EnvelopeHelpers, InitialsAndParsing) {
  EXPECT_EQ(initials_of("ada lovelace"), "AL");
  EXPECT_EQ(initials_of("Jean-Luc Picard"), "JLP");
  EXPECT_EQ(parse_envelope_status("voided"), EnvelopeStatus::voided);
  EXPECT_FALSE(parse_envelope_status("draft"));
  EXPECT_EQ(to_string(FieldType::date_signed), "date_signed");
}

}  // namespace
}  // namespace cs::esign
