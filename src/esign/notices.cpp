#include "esign/notices.hpp"

namespace cs::esign {

namespace {

std::string html_page(std::string_view heading, const std::string& inner_html) {
  return "<!DOCTYPE html><html><body style=\"font-family:sans-serif;max-width:40em\"><h2>" + html_escape(heading) +
         "</h2>" + inner_html + "<p style=\"color:#666\">Countersign</p></body></html>";
}

std::string paragraph(std::string_view text) { return "<p>" + html_escape(text) + "</p>"; }

// The sender's own message, quoted as they wrote it (line breaks kept in the HTML part).
std::string quoted_html(std::string_view message) {
  std::string escaped = html_escape(message), out;
  for (char c : escaped) {
    if (c == '\n') {
      out += "<br>";
    } else if (c != '\r') {
      out += c;
    }
  }
  return "<blockquote>" + out + "</blockquote>";
}

notify::EmailMessage message(std::string to, std::string to_name, std::string subject, std::string text,
                             std::string html, std::string category) {
  notify::EmailMessage m;
  m.to = std::move(to);
  m.to_name = std::move(to_name);
  m.subject = std::move(subject);
  m.text_body = std::move(text);
  m.html_body = std::move(html);
  m.category = std::move(category);
  return m;
}

}  // namespace

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

notify::EmailMessage invitation_email(const Envelope& env, const Recipient& to, const Party& sender,
                                      const std::optional<std::string>& signing_url) {
  std::string intro = signing_url ? sender.name + " sent you a document to review and sign."
                                  : sender.name + " sent you a copy of a document for your information. You will "
                                                  "receive the completed document when everyone has signed.";
  std::string text = "Hello " + to.name + ",\n\n" + intro + "\n\n";
  std::string html = paragraph("Hello " + to.name + ",") + paragraph(intro);
  if (!env.email_message.empty()) {
    text += env.email_message + "\n\n";
    html += quoted_html(env.email_message);
  }
  if (signing_url) {
    text += "Review and sign: " + *signing_url + "\n\n";
    html += "<p><a href=\"" + html_escape(*signing_url) + "\">Review and sign the document</a></p>";
  }
  text += "Sent by " + sender.name + " <" + sender.email + ">\n";
  html += paragraph("Sent by " + sender.name + " <" + sender.email + ">");
  // The link is personal: forwarding the email lets the reader sign in the recipient's name.
  if (signing_url) {
    text += "Do not forward this email: the link lets anyone sign on your behalf.\n";
    html += paragraph("Do not forward this email: the link lets anyone sign on your behalf.");
  }
  return message(to.email, to.name, env.email_subject, text, html_page(env.email_subject, html),
                 signing_url ? "invitation" : "carbon_copy");
}

notify::EmailMessage completed_email(const Envelope& env, const Party& to) {
  std::string body = "All parties have completed \"" + env.email_subject + "\".";
  std::string text = "Hello " + to.name + ",\n\n" + body + "\n\nEnvelope: " + env.id + "\n";
  std::string html = paragraph("Hello " + to.name + ",") + paragraph(body) + paragraph("Envelope: " + env.id);
  return message(to.email, to.name, "Completed: " + env.email_subject, text, html_page("Completed", html), "completed");
}

notify::EmailMessage declined_email(const Envelope& env, const Party& to, const Recipient& decliner,
                                    std::string_view reason) {
  std::string body = decliner.name + " <" + decliner.email + "> declined to sign \"" + env.email_subject + "\".";
  std::string text = "Hello " + to.name + ",\n\n" + body + "\n\nReason: " + std::string(reason) + "\n\nEnvelope: " +
                     env.id + "\n";
  std::string html = paragraph("Hello " + to.name + ",") + paragraph(body) + paragraph("Reason:") +
                     quoted_html(reason) + paragraph("Envelope: " + env.id);
  return message(to.email, to.name, "Declined: " + env.email_subject, text, html_page("Declined", html), "declined");
}

notify::EmailMessage voided_email(const Envelope& env, const Party& to, const Party& sender, std::string_view reason) {
  std::string body = sender.name + " voided \"" + env.email_subject + "\". It can no longer be signed.";
  std::string text = "Hello " + to.name + ",\n\n" + body + "\n\nReason: " + std::string(reason) + "\n";
  std::string html = paragraph("Hello " + to.name + ",") + paragraph(body) + paragraph("Reason:") + quoted_html(reason);
  return message(to.email, to.name, "Voided: " + env.email_subject, text, html_page("Voided", html), "voided");
}

}  // namespace cs::esign
