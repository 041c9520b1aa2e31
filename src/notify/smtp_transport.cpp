#include "notify/smtp_transport.hpp"

#include <curl/curl.h>

#include <cstring>
#include <memory>
#include <mutex>

#include <fmt/format.h>

namespace cs::notify {
namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Upload {
  std::string_view data;
  std::size_t offset = 0;
};

std::size_t read_chunk(char* buffer, std::size_t size, std::size_t nitems, void* userdata) {
  auto* up = static_cast<Upload*>(userdata);
  const std::size_t room = size * nitems;
  const std::size_t n = std::min(room, up->data.size() - up->offset);
  std::memcpy(buffer, up->data.data() + up->offset, n);
  up->offset += n;
  return n;
}

std::string url_for(const SmtpSettings& s) {
  const bool v6 = s.host.find(':') != std::string::npos;
  const std::string host = v6 ? "[" + s.host + "]" : s.host;
  return fmt::format("{}://{}:{}", s.tls == SmtpTls::tls ? "smtps" : "smtp", host, s.port);
}

}  // namespace

Result<SmtpTls> parse_smtp_tls(std::string_view text) {
  if (text == "starttls") return SmtpTls::starttls;
  if (text == "tls") return SmtpTls::tls;
  if (text == "none") return SmtpTls::none;
  return fail(Errc::validation_failed, "smtp.tls must be starttls, tls or none");
}

Status send_smtp(const SmtpSettings& settings, std::string_view mail_from, std::string_view rcpt_to,
                 std::string_view message, SmtpFailure* failure) {
  global_init();
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) return fail(Errc::internal, "The email could not be sent", "curl_easy_init failed");
  CURL* h = curl.get();
  const std::string url = url_for(settings);
  const std::string from = "<" + std::string(mail_from) + ">";
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> rcpt(
      curl_slist_append(nullptr, ("<" + std::string(rcpt_to) + ">").c_str()), &curl_slist_free_all);
  Upload upload{message};
  char errbuf[CURL_ERROR_SIZE] = {0};

  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(h, CURLOPT_USE_SSL,
                   settings.tls == SmtpTls::none ? CURLUSESSL_NONE : CURLUSESSL_ALL);
  curl_easy_setopt(h, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt.get());
  curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(h, CURLOPT_READFUNCTION, &read_chunk);
  curl_easy_setopt(h, CURLOPT_READDATA, &upload);
  curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(settings.connect_timeout.count()));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(settings.timeout.count()));
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // worker threads: no SIGALRM-based DNS timeouts
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  if (!settings.user.empty()) {
    curl_easy_setopt(h, CURLOPT_USERNAME, settings.user.c_str());
    curl_easy_setopt(h, CURLOPT_PASSWORD, settings.password.c_str());
  }

  const CURLcode rc = curl_easy_perform(h);
  long reply = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &reply);
  if (failure != nullptr) failure->reply_code = rc == CURLE_OK ? 0 : reply;
  if (rc == CURLE_OK) return {};
  const std::string why = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
  return fail(Errc::unavailable, "The email could not be delivered",
              fmt::format("SMTP {}: {} (curl error {}: {}){}", url, why, static_cast<int>(rc),
                          curl_easy_strerror(rc),
                          reply != 0 ? fmt::format("; last SMTP reply {}", reply) : std::string()));
}

}  // namespace cs::notify
