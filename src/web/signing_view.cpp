#include "web/signing_view.hpp"

#include <algorithm>
#include <set>
#include <string_view>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "crypto/primitives.hpp"
#include "web/page_support.hpp"
#include "web/vendor_assets.hpp"

namespace cs::web {
namespace {

constexpr std::string_view kPngDataUrl = "data:image/png;base64,";

std::string_view field_label(std::string_view type) {
  if (type == "signature") return "Signature";
  if (type == "initials") return "Initials";
  if (type == "date_signed") return "Date signed";
  if (type == "full_name") return "Full name";
  if (type == "checkbox") return "Checkbox";
  return "Text";
}

// Filled in by the server when the signer finishes: shown, never typed.
bool is_auto_field(std::string_view type) { return type == "date_signed" || type == "full_name"; }

// The first letter (a whole UTF-8 sequence) of each word of the name.
std::string initials_of(std::string_view name) {
  std::string out;
  std::size_t i = 0;
  while (i < name.size() && out.size() < 24) {
    while (i < name.size() && name[i] == ' ') ++i;
    if (i == name.size()) break;
    out.push_back(name[i++]);
    while (i < name.size() && (static_cast<unsigned char>(name[i]) & 0xC0) == 0x80)
      out.push_back(name[i++]);
    while (i < name.size() && name[i] != ' ') ++i;
  }
  return out;
}

std::string percent(double part, double whole) {
  if (whole <= 0) return "0";
  return fmt::format("{:.4f}", part / whole * 100.0);
}

std::string previous_value(const Form* previous, const std::string& name) {
  return previous ? form_value(*previous, name) : std::string();
}

mstch::map common_model(const esign::SigningSession& s) {
  return mstch::map{
      {"title", s.email_subject.empty() ? std::string("Review and sign") : s.email_subject},
      {"email_subject", s.email_subject},
      {"email_message", s.email_message},
      {"has_message", !s.email_message.empty()},
      {"sender_name", s.sender_name},
      {"sender_email", s.sender_email},
      {"recipient_name", s.recipient_name},
      {"recipient_email", s.recipient_email}};
}

}  // namespace

Result<FinishForm> read_finish_form(const Form& form) {
  FinishForm out;
  std::string kind = form_value(form, "signature_kind");
  if (kind.empty() || kind == "typed") {
    out.signature.kind = esign::AdoptedSignature::Kind::typed;
    out.signature.typed_name = form_value(form, "typed_name");
  } else if (kind == "drawn") {
    out.signature.kind = esign::AdoptedSignature::Kind::drawn;
    std::string url = form_value(form, "signature_png");
    auto bytes = url.starts_with(kPngDataUrl)
                     ? crypto::base64_decode(std::string_view(url).substr(kPngDataUrl.size()))
                     : std::nullopt;
    if (!bytes || bytes->empty()) {
      return fail(Error(Errc::validation_failed,
                        "Draw your signature in the box, or type your name instead.")
                      .with_field("signature_png"));
    }
    out.signature.png.assign(bytes->begin(), bytes->end());
    // The typed name still names the signer on the certificate when given.
    out.signature.typed_name = form_value(form, "typed_name");
  } else {
    return fail(Error(Errc::validation_failed, "Choose to type or draw your signature.")
                    .with_field("signature_kind"));
  }
  out.signature.initials = form_value(form, "initials");

  std::set<std::string> checkboxes;
  for (const auto& [name, value] : form) {
    if (name.starts_with("cb.") && name.size() > 3) checkboxes.insert(name.substr(3));
  }
  for (const auto& [name, value] : form) {
    if (!name.starts_with("field.") || name.size() <= 6) continue;
    std::string id = name.substr(6);
    if (!checkboxes.contains(id)) out.values.push_back({id, value});
  }
  for (const auto& id : checkboxes) {
    out.values.push_back({id, form.contains("field." + id) ? "true" : "false"});
  }
  return out;
}

mstch::map document_page_model(const esign::SigningSession& s, const DocumentPageInput& in) {
  auto page = common_model(s);
  page.emplace("base_url", in.base_url);
  page.emplace("csrf_token", in.csrf_token);
  std::string vendor = "/vendor/" + std::string(vendor_version()) + "/";
  page.emplace("pdfjs_url", vendor + "pdf.min.mjs");
  page.emplace("pdf_worker_url", vendor + "pdf.worker.min.mjs");
  page.emplace("signature_pad_url", vendor + "signature_pad.umd.min.js");

  int interactive_total = 0;
  for (const auto& f : s.fields) interactive_total += is_auto_field(f.type) ? 0 : 1;

  int ordinal = 0;
  int required_count = 0;
  mstch::array documents;
  for (const auto& d : s.documents) {
    mstch::array pages;
    for (int p = 1; p <= static_cast<int>(d.pages.size()); ++p) {
      const auto& size = d.pages[static_cast<std::size_t>(p - 1)];
      mstch::array fields;
      for (const auto& f : s.fields) {
        if (f.document_id != d.id || f.page != p) continue;
        bool automatic = is_auto_field(f.type);
        std::string label(field_label(f.type));
        std::string aria = label;
        if (!automatic) {
          ++ordinal;
          aria += fmt::format(", field {} of {}", ordinal, interactive_total);
          if (f.required) {
            aria += ", required";
            ++required_count;
          }
        } else {
          aria += ", filled in when you finish";
        }
        std::string name = "field." + f.id;
        std::string value = in.previous ? previous_value(in.previous, name) : f.value.value_or("");
        bool checked = in.previous ? in.previous->contains(name) : f.value.value_or("") == "true";
        std::string auto_value = f.type == "full_name" ? s.recipient_name : "Date of signing";
        fields.emplace_back(
            mstch::map{{"id", f.id},
                       {"type", f.type},
                       {"label", label},
                       {"aria_label", aria},
                       // Filled in by the server: nothing for the signer to do.
                       {"required", f.required && !automatic},
                       {"left", percent(f.x, size.width)},
                       {"top", percent(f.y, size.height)},
                       {"width", percent(f.width, size.width)},
                       {"height", percent(f.height, size.height)},
                       {"is_signature", f.type == "signature"},
                       {"is_initials", f.type == "initials"},
                       {"is_auto", automatic},
                       {"auto_value", auto_value},
                       {"is_text", f.type == "text"},
                       {"is_checkbox", f.type == "checkbox"},
                       {"value", value},
                       {"checked", checked},
                       {"invalid", !in.error_field.empty() && in.error_field == f.id}});
      }
      pages.emplace_back(mstch::map{{"number", p},
                                    {"page_count", d.page_count},
                                    {"width", fmt::format("{:.2f}", size.width)},
                                    {"height", fmt::format("{:.2f}", size.height)},
                                    {"has_fields", !fields.empty()},
                                    {"fields", fields}});
    }
    documents.emplace_back(mstch::map{{"id", d.id},
                                      {"name", d.name},
                                      {"url", in.base_url + "/documents/" + url_encode(d.id)},
                                      {"page_count", d.page_count},
                                      {"pages", pages}});
  }
  if (ordinal +
          static_cast<int>(std::count_if(s.fields.begin(), s.fields.end(),
                                         [](const auto& f) { return is_auto_field(f.type); })) !=
      static_cast<int>(s.fields.size())) {
    // A field on a page the document does not have: the service checks placements, so this is
    // a broken invariant, not bad input.
    spdlog::error("signing page: envelope {} has fields outside its documents' pages",
                  s.envelope_id);
  }
  page.emplace("documents", documents);
  page.emplace("field_count", interactive_total);
  page.emplace("required_count", required_count);

  std::string kind = previous_value(in.previous, "signature_kind");
  page.emplace("kind_drawn", kind == "drawn");
  std::string typed = in.previous ? previous_value(in.previous, "typed_name") : s.recipient_name;
  page.emplace("typed_name", typed);
  std::string initials =
      in.previous ? previous_value(in.previous, "initials") : initials_of(s.recipient_name);
  page.emplace("initials", initials);
  page.emplace("needs_initials", std::any_of(s.fields.begin(), s.fields.end(),
                                             [](const auto& f) { return f.type == "initials"; }));
  if (!in.error.empty()) page.emplace("error", in.error);
  if (!in.decline_error.empty()) {
    page.emplace("decline_error", in.decline_error);
    page.emplace("decline_reason", previous_value(in.previous, "reason"));
  }
  return page;
}

mstch::map disclosure_page_model(const esign::SigningSession& s, const std::string& base_url,
                                 const std::string& csrf_token, const std::string& error) {
  auto page = common_model(s);
  page.emplace("base_url", base_url);
  page.emplace("csrf_token", csrf_token);
  if (!error.empty()) page.emplace("error", error);
  return page;
}

}  // namespace cs::web
