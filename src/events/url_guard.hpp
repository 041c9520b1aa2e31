// SSRF protection for webhook URLs (DESIGN.md "Security baseline"): a subscription may only
// point at a public https endpoint. The host is resolved and EVERY address it yields is checked
// (one private address among public ones is enough to refuse: round-robin DNS must not smuggle
// an internal target in). The delivery code connects to exactly the checked address
// (CURLOPT_CONNECT_TO), so a DNS answer that changes between check and connect (rebinding)
// cannot redirect a delivery. The check runs when a subscription is saved and again before
// every delivery attempt.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace cs::events {

enum class AddressClass {
  public_address,
  unspecified,      // 0.0.0.0/8, ::
  loopback,         // 127.0.0.0/8, ::1
  private_network,  // RFC 1918, IPv6 ULA fc00::/7, local-use NAT64 64:ff9b:1::/48
  shared_address,   // 100.64.0.0/10 (carrier-grade NAT, RFC 6598)
  link_local,       // 169.254.0.0/16, fe80::/10
  multicast,        // 224.0.0.0/4, ff00::/8
  reserved,         // documentation, benchmarking, 240/4, broadcast, deprecated IPv6 forms
};
std::string_view to_string(AddressClass c);

// IPv4-mapped (::ffff:a.b.c.d), NAT64 (64:ff9b::/96) and 6to4 (2002::/16) addresses are
// classified by the IPv4 address they carry.
AddressClass classify_ipv4(std::array<std::uint8_t, 4> a);
AddressClass classify_ipv6(const std::array<std::uint8_t, 16>& a);
// A textual IPv4 or IPv6 address; anything else answers reserved.
AddressClass classify_address(std::string_view ip);

struct UrlPolicy {
  bool allow_private_targets = false;  // operator setting: also http, and non-public targets
};

// A syntactically acceptable webhook URL, before resolution.
struct WebhookUrl {
  std::string scheme;  // "https" (or "http" where allowed)
  std::string host;    // without IPv6 brackets
  int port = 0;
};

// Syntax only: absolute http(s) URL, a host, no user name or password, at most 2048 bytes,
// https unless private targets are allowed. Errc::url_not_allowed / validation_failed.
Result<WebhookUrl> parse_webhook_url(std::string_view url, const UrlPolicy& policy);

// A URL whose host resolved to allowed addresses; `address` is the one to connect to.
struct CheckedTarget {
  WebhookUrl url;
  std::string address;  // textual IP, no brackets
};

// parse_webhook_url, then resolution (blocking getaddrinfo: call from a worker thread) and the
// address check. Errc::url_not_allowed names the scheme, the unresolvable host, or the class of
// a refused address (the address itself only in the detail).
Result<CheckedTarget> check_webhook_url(std::string_view url, const UrlPolicy& policy);

}  // namespace cs::events
