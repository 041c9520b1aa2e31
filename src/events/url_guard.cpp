#include "events/url_guard.hpp"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>
#include <sys/socket.h>

#include <cstring>
#include <memory>
#include <vector>

namespace cs::events {

namespace {

constexpr std::size_t kMaxUrlBytes = 2048;

bool in_v4(std::array<std::uint8_t, 4> a, std::uint32_t net, int bits) {
  std::uint32_t v = (std::uint32_t{a[0]} << 24) | (std::uint32_t{a[1]} << 16) | (std::uint32_t{a[2]} << 8) | a[3];
  std::uint32_t mask = bits == 0 ? 0 : ~std::uint32_t{0} << (32 - bits);
  return (v & mask) == (net & mask);
}

constexpr std::uint32_t v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  return (std::uint32_t{a} << 24) | (std::uint32_t{b} << 16) | (std::uint32_t{c} << 8) | d;
}

bool prefix_is(const std::array<std::uint8_t, 16>& a, std::initializer_list<std::uint8_t> bytes) {
  std::size_t i = 0;
  for (auto b : bytes) {
    if (a[i++] != b) return false;
  }
  return true;
}

std::array<std::uint8_t, 4> v4_at(const std::array<std::uint8_t, 16>& a, std::size_t offset) {
  return {a[offset], a[offset + 1], a[offset + 2], a[offset + 3]};
}

Error refused(std::string message, std::string detail = {}) {
  return Error(Errc::url_not_allowed, std::move(message), std::move(detail)).with_field("url");
}

struct CurlUrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};

// One part of a parsed URL; empty when absent.
std::string url_part(CURLU* u, CURLUPart part, unsigned flags = 0) {
  char* value = nullptr;
  if (curl_url_get(u, part, &value, flags) != CURLUE_OK || value == nullptr) return {};
  std::string out(value);
  curl_free(value);
  return out;
}

}  // namespace

std::string_view to_string(AddressClass c) {
  switch (c) {
    case AddressClass::public_address: return "public";
    case AddressClass::unspecified: return "unspecified";
    case AddressClass::loopback: return "loopback";
    case AddressClass::private_network: return "private";
    case AddressClass::shared_address: return "shared (carrier-grade NAT)";
    case AddressClass::link_local: return "link-local";
    case AddressClass::multicast: return "multicast";
    case AddressClass::reserved: return "reserved";
  }
  return "reserved";
}

AddressClass classify_ipv4(std::array<std::uint8_t, 4> a) {
  if (in_v4(a, v4(0, 0, 0, 0), 8)) return AddressClass::unspecified;
  if (in_v4(a, v4(127, 0, 0, 0), 8)) return AddressClass::loopback;
  if (in_v4(a, v4(10, 0, 0, 0), 8) || in_v4(a, v4(172, 16, 0, 0), 12) || in_v4(a, v4(192, 168, 0, 0), 16)) {
    return AddressClass::private_network;
  }
  if (in_v4(a, v4(100, 64, 0, 0), 10)) return AddressClass::shared_address;
  if (in_v4(a, v4(169, 254, 0, 0), 16)) return AddressClass::link_local;
  if (in_v4(a, v4(224, 0, 0, 0), 4)) return AddressClass::multicast;
  // IETF protocol assignments, the three documentation nets, benchmarking, 240/4 and broadcast.
  if (in_v4(a, v4(192, 0, 0, 0), 24) || in_v4(a, v4(192, 0, 2, 0), 24) || in_v4(a, v4(198, 51, 100, 0), 24) ||
      in_v4(a, v4(203, 0, 113, 0), 24) || in_v4(a, v4(198, 18, 0, 0), 15) || in_v4(a, v4(240, 0, 0, 0), 4)) {
    return AddressClass::reserved;
  }
  return AddressClass::public_address;
}

AddressClass classify_ipv6(const std::array<std::uint8_t, 16>& a) {
  static constexpr std::array<std::uint8_t, 16> kZero{};
  std::array<std::uint8_t, 16> loopback{};
  loopback[15] = 1;
  if (a == kZero) return AddressClass::unspecified;
  if (a == loopback) return AddressClass::loopback;
  if (prefix_is(a, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff})) return classify_ipv4(v4_at(a, 12));  // mapped
  if (prefix_is(a, {0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0})) return classify_ipv4(v4_at(a, 12));  // NAT64
  if (prefix_is(a, {0x00, 0x64, 0xff, 0x9b, 0x00, 0x01})) return AddressClass::private_network;  // local NAT64
  if (prefix_is(a, {0x20, 0x02})) return classify_ipv4(v4_at(a, 2));                           // 6to4
  // IPv4-compatible (::a.b.c.d, deprecated) and the rest of ::/8.
  if (a[0] == 0) return AddressClass::reserved;
  if ((a[0] & 0xfe) == 0xfc) return AddressClass::private_network;  // ULA fc00::/7
  if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) return AddressClass::link_local;  // fe80::/10
  if (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0) return AddressClass::reserved;    // site-local fec0::/10
  if (a[0] == 0xff) return AddressClass::multicast;
  // Documentation 2001:db8::/32, Teredo 2001::/32 (tunnels to an obfuscated IPv4 address),
  // ORCHID and the discard prefix 100::/64.
  if (prefix_is(a, {0x20, 0x01, 0x0d, 0xb8}) || prefix_is(a, {0x20, 0x01, 0x00, 0x00}) ||
      prefix_is(a, {0x20, 0x01, 0x00, 0x10}) || prefix_is(a, {0x20, 0x01, 0x00, 0x20}) ||
      prefix_is(a, {0x01, 0x00, 0, 0, 0, 0, 0, 0})) {
    return AddressClass::reserved;
  }
  return AddressClass::public_address;
}

AddressClass classify_address(std::string_view ip) {
  std::string text(ip);
  std::array<std::uint8_t, 4> a4{};
  if (inet_pton(AF_INET, text.c_str(), a4.data()) == 1) return classify_ipv4(a4);
  std::array<std::uint8_t, 16> a6{};
  if (inet_pton(AF_INET6, text.c_str(), a6.data()) == 1) return classify_ipv6(a6);
  return AddressClass::reserved;
}

Result<WebhookUrl> parse_webhook_url(std::string_view url, const UrlPolicy& policy) {
  if (url.empty() || url.size() > kMaxUrlBytes) {
    return fail(Error(Errc::validation_failed, "url must be 1 to 2048 characters").with_field("url"));
  }
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return fail(Error(Errc::validation_failed, "url must not contain spaces or control characters").with_field("url"));
    }
  }
  std::unique_ptr<CURLU, CurlUrlDeleter> u(curl_url());
  if (!u) return fail(Errc::internal, "could not check the URL", "curl_url() failed");
  std::string text(url);
  // No guessing of a missing scheme, and only http(s): the parser must read the URL exactly as
  // the delivery will.
  if (curl_url_set(u.get(), CURLUPART_URL, text.c_str(), 0) != CURLUE_OK) {
    return fail(Error(Errc::validation_failed, "url is not a valid absolute URL").with_field("url"));
  }
  WebhookUrl out;
  out.scheme = url_part(u.get(), CURLUPART_SCHEME);
  if (out.scheme != "https" && !(out.scheme == "http" && policy.allow_private_targets)) {
    return fail(refused("The webhook URL must use https"));
  }
  if (!url_part(u.get(), CURLUPART_USER).empty() || !url_part(u.get(), CURLUPART_PASSWORD).empty()) {
    return fail(refused("The webhook URL must not contain a user name or password"));
  }
  if (!url_part(u.get(), CURLUPART_ZONEID).empty()) return fail(refused("The webhook URL must not name a zone id"));
  out.host = url_part(u.get(), CURLUPART_HOST);
  if (out.host.size() >= 2 && out.host.front() == '[' && out.host.back() == ']') {
    out.host = out.host.substr(1, out.host.size() - 2);
  }
  if (out.host.empty()) return fail(Error(Errc::validation_failed, "url has no host").with_field("url"));
  std::string port = url_part(u.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
  out.port = port.empty() ? 0 : std::atoi(port.c_str());
  if (out.port < 1 || out.port > 65535) return fail(Error(Errc::validation_failed, "url has no valid port").with_field("url"));
  return out;
}

Result<CheckedTarget> check_webhook_url(std::string_view url, const UrlPolicy& policy) {
  auto parsed = CS_TRY(parse_webhook_url(url, policy));
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  int rc = getaddrinfo(parsed.host.c_str(), nullptr, &hints, &found);
  if (rc != 0 || found == nullptr) {
    return fail(refused("The webhook URL's host cannot be resolved", parsed.host + ": " + gai_strerror(rc)));
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> list(found, &freeaddrinfo);
  std::vector<std::string> addresses;
  for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    char text[INET6_ADDRSTRLEN] = {};
    AddressClass cls = AddressClass::reserved;
    if (ai->ai_family == AF_INET) {
      const auto* sin = reinterpret_cast<const sockaddr_in*>(ai->ai_addr);
      std::array<std::uint8_t, 4> a{};
      std::memcpy(a.data(), &sin->sin_addr, 4);
      cls = classify_ipv4(a);
      inet_ntop(AF_INET, &sin->sin_addr, text, sizeof text);
    } else if (ai->ai_family == AF_INET6) {
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(ai->ai_addr);
      std::array<std::uint8_t, 16> a{};
      std::memcpy(a.data(), &sin6->sin6_addr, 16);
      cls = classify_ipv6(a);
      inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof text);
    } else {
      continue;
    }
    if (cls != AddressClass::public_address && !policy.allow_private_targets) {
      return fail(refused("The webhook URL's host resolves to a " + std::string(to_string(cls)) +
                              " address, which is not allowed",
                          parsed.host + " -> " + text));
    }
    addresses.emplace_back(text);
  }
  if (addresses.empty()) return fail(refused("The webhook URL's host has no IP address", parsed.host));
  return CheckedTarget{std::move(parsed), addresses.front()};
}

}  // namespace cs::events
