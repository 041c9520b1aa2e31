// Client authentication on one indexed read (the token endpoint's hot path shares it with
// AppService::authenticate_client).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "identity/actor.hpp"
#include "oauth/app.hpp"
#include "oauth/authorization_server.hpp"

namespace cs::store {
class Connection;
}
namespace cs::crypto {
class TokenHasher;
}
namespace cs::audit {
class AuditLog;
}

namespace cs::oauth::detail {

struct AuthenticatedClient {
  std::string app_id;
  std::string client_id;
  std::string partner_org_id;
  ClientType client_type = ClientType::confidential;
};

// Errc::oauth_invalid_client (public message without detail of which check failed) for an
// unknown client, a disabled app, a wrong or missing secret of a confidential client, or a
// secret presented by a public client. Every active secret is compared in constant time; an
// unknown client still costs one HMAC. Records the secret's last use at most once a minute.
Result<AuthenticatedClient> authenticate(store::Connection& conn, const crypto::TokenHasher& hasher,
                                         Micros now, std::string_view client_id,
                                         std::optional<std::string_view> secret);

tl::unexpected<Error> invalid_client(std::string detail);

// authenticate() for an OAuth endpoint; a failure is audited (oauth.client.auth_failed) in a
// transaction of its own before the error is returned.
Result<AuthenticatedClient> authenticate_audited(store::Connection& conn,
                                                 const crypto::TokenHasher& hasher,
                                                 audit::AuditLog& audit, Micros now,
                                                 const ClientCredentials& client,
                                                 std::string_view endpoint,
                                                 const identity::RequestContext& ctx);

}  // namespace cs::oauth::detail
