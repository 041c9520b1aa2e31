// The signing ceremony's page models and form reading, apart from the routes so that the
// routes stay thin (CRAFT.md "Keep I/O apart from the decision").
#pragma once

#include <string>
#include <vector>

#include <mstch/mstch.hpp>

#include "core/error.hpp"
#include "esign/signing_service.hpp"
#include "web/form.hpp"

namespace cs::web {

// What the signer sent with Finish: the adopted signature and the values of their text and
// checkbox fields. Form names: signature_kind (typed | drawn), typed_name, signature_png (a
// data:image/png;base64 URL from signature_pad), initials, field.<id> (text, or "true" for a
// ticked checkbox) and cb.<id> (present for every checkbox on the page, so that an unticked one,
// which a browser does not send, still arrives as "false").
struct FinishForm {
  esign::AdoptedSignature signature;
  std::vector<esign::FieldValue> values;
};
Result<FinishForm> read_finish_form(const Form& form);

// What the document page shows besides the session: the form's CSRF token, the signer's
// earlier input after a refused submission, and the error to show.
struct DocumentPageInput {
  std::string base_url;  // "/sign/<token, URL-encoded>"
  std::string csrf_token;
  const Form* previous = nullptr;  // the refused form, to refill it
  std::string error;               // the finish form's error
  std::string error_field;         // a field id or form name the error is about
  std::string decline_error;       // the decline form's error (opens the decline panel)
};
mstch::map document_page_model(const esign::SigningSession& session, const DocumentPageInput& in);

// The disclosure page's model.
mstch::map disclosure_page_model(const esign::SigningSession& session, const std::string& base_url,
                                 const std::string& csrf_token, const std::string& error);

}  // namespace cs::web
