// The certification certificate (issue 6 §2 "final review"): a PDF naming the app, its version,
// the partner, the catalogue version and every requirement judged, with a signature line for the
// final approver. It is the one document of the certification envelope; the esign signature and
// date fields are placed on the boxes this answers, so the approver signs on the line.
#pragma once

#include <string>
#include <vector>

namespace cs::certification {

struct CertificateRequirement {
  std::string id;  // catalogue id, e.g. SEC-2
  std::string title;
};

struct CertificateContent {
  std::string request_id;  // crq_...
  std::string kind;        // initial | recertification
  std::string app_name;
  std::string client_id;  // the integration key
  int version_number = 1;
  std::string partner_name;
  std::string catalogue_version;
  std::string issued_on;  // YYYY-MM-DD in the team's time zone
  std::string approver_name;
  std::vector<CertificateRequirement> requirements;
};

// A rectangle on a page, in PDF points from the page's top-left corner (the esign field
// convention: x right, y down).
struct PageBox {
  int page = 1;  // 1-based
  double x = 0, y = 0, width = 0, height = 0;
};

struct CertificatePdf {
  std::string bytes;
  int page_count = 1;
  PageBox signature;    // the final approver's signature field
  PageBox date_signed;  // the date the approver signs
};

// Letter-size pages; the requirement list continues on further pages when it is long. Text
// outside printable ASCII is shown as '?' (the standard Helvetica font has no other glyphs).
CertificatePdf render_certificate(const CertificateContent& content);

}  // namespace cs::certification
