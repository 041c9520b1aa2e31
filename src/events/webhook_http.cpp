#include "events/webhook_http.hpp"

#include <curl/curl.h>

#include <memory>
#include <mutex>

namespace cs::events {

namespace {

struct Sink {
  std::string body;
  bool truncated = false;
};

// Keeps the first 4 KiB and then stops the transfer: the log needs no more, and a receiver
// streaming an endless body must not hold a worker until the timeout.
std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  std::size_t len = size * n;
  std::size_t room = kMaxResponseBody - sink->body.size();
  sink->body.append(data, std::min(len, room));
  if (len > room) {
    sink->truncated = true;
    return 0;  // CURLE_WRITE_ERROR: we have the status and enough of the body
  }
  return len;
}

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

}  // namespace

OutboundResult post_webhook(const OutboundPost& post) {
  global_init();
  OutboundResult result;
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) {
    result.error = "could not start an HTTP client";
    return result;
  }
  CURL* c = curl.get();
  Sink sink;
  char error_buffer[CURL_ERROR_SIZE] = {};

  curl_slist* raw = nullptr;
  for (const auto& [name, value] : post.headers) raw = curl_slist_append(raw, (name + ": " + value).c_str());
  // No "Expect: 100-continue" round trip before the body.
  raw = curl_slist_append(raw, "Expect:");
  std::unique_ptr<curl_slist, SlistDeleter> headers(raw);

  // Connect to the checked address whatever the URL's host resolves to now (no DNS rebinding);
  // TLS still verifies the certificate against the URL's host name.
  const auto& address = post.target.address;
  std::string pinned = "::" + (address.find(':') != std::string::npos ? "[" + address + "]" : address) + ":" +
                       std::to_string(post.target.url.port);
  std::unique_ptr<curl_slist, SlistDeleter> connect_to(curl_slist_append(nullptr, pinned.c_str()));

  long timeout_ms = static_cast<long>(post.timeout.count());
  curl_easy_setopt(c, CURLOPT_URL, post.url.c_str());
  curl_easy_setopt(c, CURLOPT_CONNECT_TO, connect_to.get());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_PROXY, "");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, post.body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(post.body.size()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_USERAGENT, post.user_agent.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, nullptr);

  auto started = std::chrono::steady_clock::now();
  CURLcode rc = curl_easy_perform(c);
  result.latency_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();

  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  result.body = std::move(sink.body);
  bool complete = rc == CURLE_OK || (rc == CURLE_WRITE_ERROR && sink.truncated);
  if (complete && status > 0) {
    result.status = static_cast<int>(status);
  } else {
    if (status > 0) result.status = static_cast<int>(status);
    if (rc == CURLE_OPERATION_TIMEDOUT) {
      result.error = "timeout: no complete response within " + std::to_string(timeout_ms) + " ms";
    } else {
      result.error = std::string(curl_easy_strerror(rc)) + (error_buffer[0] ? std::string(": ") + error_buffer : "");
    }
  }
  return result;
}

}  // namespace cs::events
