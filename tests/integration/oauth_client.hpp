// A test OAuth client and browser for the integration tests: signs a demo user in, walks the
// real consent page (GET /oauth/authorize → POST /oauth/authorize) with PKCE, and talks to the
// token, revocation and introspection endpoints over HTTP.
#pragma once

#include <map>
#include <memory>
#include <stdexcept>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "crypto/primitives.hpp"
#include "server_process.hpp"

namespace cs::testing {

inline const std::vector<std::pair<std::string, std::string>> kFormType = {
    {"Content-Type", "application/x-www-form-urlencoded"}};

struct Pkce {
  std::string verifier;
  std::string challenge;  // S256
};

inline Pkce make_pkce() {
  Pkce p;
  p.verifier = crypto::base64url_encode(crypto::random_bytes(32));
  std::string hex = crypto::sha256_hex(p.verifier);
  std::vector<std::uint8_t> digest;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    digest.push_back(static_cast<std::uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  p.challenge = crypto::base64url_encode(digest);
  return p;
}

// Undoes the HTML escaping of an attribute value.
inline std::string html_unescape(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out += s[i];
      continue;
    }
    auto semi = s.find(';', i);
    std::string entity = s.substr(i + 1, semi - i - 1);
    if (entity == "amp") out += '&';
    else if (entity == "lt") out += '<';
    else if (entity == "gt") out += '>';
    else if (entity == "quot") out += '"';
    else if (entity == "apos") out += '\'';
    else if (!entity.empty() && entity[0] == '#') {
      int code = entity.size() > 1 && (entity[1] == 'x' || entity[1] == 'X') ? std::stoi(entity.substr(2), nullptr, 16)
                                                                               : std::stoi(entity.substr(1));
      out += static_cast<char>(code);  // the escaped characters are all ASCII
    } else {
      out += '&' + entity + ';';
    }
    i = semi;
  }
  return out;
}

inline std::string csrf_from(const std::string& html) {
  std::smatch m;
  if (std::regex_search(html, m, std::regex(R"(name="csrf_token" value="([^"]+)\")"))) return html_unescape(m[1]);
  return {};
}

// Every hidden input of the page: what the consent form carries back.
inline std::map<std::string, std::string> hidden_fields(const std::string& html) {
  std::map<std::string, std::string> out;
  std::regex input(R"re(<input type="hidden" name="([^"]+)" value="([^"]*)")re");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), input); it != std::sregex_iterator(); ++it) {
    out[(*it)[1]] = html_unescape((*it)[2]);
  }
  return out;
}

inline std::string form_body(const std::map<std::string, std::string>& fields) {
  std::string body;
  for (const auto& [k, v] : fields) {
    if (!body.empty()) body += '&';
    body += form_encode(k) + "=" + form_encode(v);
  }
  return body;
}

// The query parameters of a redirect Location (decoded).
inline std::map<std::string, std::string> query_of(const std::string& url) {
  std::map<std::string, std::string> out;
  auto q = url.find('?');
  if (q == std::string::npos) return out;
  std::string rest = url.substr(q + 1);
  auto decode = [](std::string s) {
    std::string r;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '+') r += ' ';
      else if (s[i] == '%' && i + 2 < s.size()) {
        r += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
        i += 2;
      } else r += s[i];
    }
    return r;
  };
  std::size_t pos = 0;
  while (pos <= rest.size()) {
    auto amp = rest.find('&', pos);
    std::string pair = rest.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
    auto eq = pair.find('=');
    if (!pair.empty()) out[decode(pair.substr(0, eq))] = eq == std::string::npos ? "" : decode(pair.substr(eq + 1));
    if (amp == std::string::npos) break;
    pos = amp + 1;
  }
  return out;
}

inline std::string basic_auth(const std::string& client_id, const std::string& secret) {
  std::string raw = form_encode(client_id) + ":" + form_encode(secret);
  return "Basic " + crypto::base64_encode(crypto::as_bytes(raw));
}

struct ClientApp {
  std::string client_id;
  std::string client_secret;  // empty for a public client
  std::string redirect_uri;
};

struct Tokens {
  std::string access_token;
  std::string refresh_token;
  std::string scope;
  std::string account_id;
};

class OAuthDriver {
 public:
  explicit OAuthDriver(const ServerProcess& server) : base_(server.base_url()) {}

  const std::string& base() const { return base_; }

  HttpResponse get(const std::string& path, const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    return http({"GET", base_ + path, {}, headers, 15000});
  }
  HttpResponse send(const std::string& method, const std::string& path, const std::string& body,
                    std::vector<std::pair<std::string, std::string>> headers) {
    return http({method, base_ + path, body, std::move(headers), 15000});
  }
  HttpResponse bearer_get(const std::string& path, const std::string& token) {
    return get(path, {{"Authorization", "Bearer " + token}});
  }

  // GET /login, POST /login: a signed-in cookie jar.
  CookieJar sign_in(const std::string& email, const std::string& password) {
    CookieJar jar;
    auto page = get("/login");
    jar.absorb(page);
    auto r = send("POST", "/login",
                  form_body({{"csrf_token", csrf_from(page.body)}, {"email", email}, {"password", password}, {"next", "/"}}),
                  {{"Content-Type", "application/x-www-form-urlencoded"}, {"Cookie", jar.header()}});
    jar.absorb(r);
    return jar;
  }

  // The session's CSRF token, as the signed-in home page carries it (for X-CSRF-Token).
  std::string session_csrf(const CookieJar& jar) { return csrf_from(get("/", {{"Cookie", jar.header()}}).body); }

  std::string authorize_path(const ClientApp& app, const std::string& scope, const std::string& state,
                             const std::optional<Pkce>& pkce) {
    std::string q = "/oauth/authorize?response_type=code&client_id=" + form_encode(app.client_id) +
                    "&redirect_uri=" + form_encode(app.redirect_uri) + "&scope=" + form_encode(scope) +
                    "&state=" + form_encode(state);
    if (pkce) q += "&code_challenge=" + pkce->challenge + "&code_challenge_method=S256";
    return q;
  }

  // Opens the consent page and submits `decision` for `account_id`; returns the final response
  // (a 303 to the client's redirect URI on success).
  HttpResponse consent(CookieJar& jar, const std::string& authorize_path, const std::string& account_id,
                       const std::string& decision = "approve") {
    auto page = get(authorize_path, {{"Cookie", jar.header()}});
    if (page.status != 200) return page;
    auto fields = hidden_fields(page.body);
    fields["account_id"] = account_id;
    fields["decision"] = decision;
    return send("POST", "/oauth/authorize", form_body(fields),
                {{"Content-Type", "application/x-www-form-urlencoded"}, {"Cookie", jar.header()}});
  }

  HttpResponse token(const std::map<std::string, std::string>& fields, const std::string& authorization = {}) {
    auto headers = kFormType;
    if (!authorization.empty()) headers.emplace_back("Authorization", authorization);
    return send("POST", "/oauth/token", form_body(fields), headers);
  }

  HttpResponse exchange_code(const ClientApp& app, const std::string& code, const Pkce& pkce) {
    if (app.client_secret.empty()) {
      return token({{"grant_type", "authorization_code"}, {"code", code}, {"redirect_uri", app.redirect_uri},
                    {"code_verifier", pkce.verifier}, {"client_id", app.client_id}});
    }
    return token({{"grant_type", "authorization_code"}, {"code", code}, {"redirect_uri", app.redirect_uri},
                  {"code_verifier", pkce.verifier}},
                 basic_auth(app.client_id, app.client_secret));
  }

  HttpResponse refresh(const ClientApp& app, const std::string& refresh_token, const std::string& scope = {}) {
    std::map<std::string, std::string> f{{"grant_type", "refresh_token"}, {"refresh_token", refresh_token},
                                         {"client_id", app.client_id}};
    if (!app.client_secret.empty()) f["client_secret"] = app.client_secret;  // client_secret_post
    if (!scope.empty()) f["scope"] = scope;
    return token(f);
  }

  HttpResponse client_post(const std::string& path, const ClientApp& app, std::map<std::string, std::string> fields) {
    fields["client_id"] = app.client_id;
    if (!app.client_secret.empty()) fields["client_secret"] = app.client_secret;
    return send("POST", path, form_body(fields), kFormType);
  }

  // The whole code flow for a signed-in user; "" code on failure (the test asserts on it).
  std::string obtain_code(CookieJar& jar, const ClientApp& app, const std::string& account_id,
                          const std::string& scope, const Pkce& pkce, HttpResponse* last = nullptr) {
    std::string state = "st-" + crypto::base64url_encode(crypto::random_bytes(6));
    auto r = consent(jar, authorize_path(app, scope, state, pkce), account_id);
    if (last) *last = r;
    if (r.status != 303) return {};
    auto q = query_of(r.header("location"));
    if (q["state"] != state) return {};
    return q["code"];
  }

  std::optional<Tokens> obtain_tokens(CookieJar& jar, const ClientApp& app, const std::string& account_id,
                                      const std::string& scope) {
    auto pkce = make_pkce();
    auto code = obtain_code(jar, app, account_id, scope, pkce);
    if (code.empty()) return std::nullopt;
    auto r = exchange_code(app, code, pkce);
    if (r.status != 200) return std::nullopt;
    auto j = r.json();
    return Tokens{j["access_token"], j.value("refresh_token", ""), j["scope"], j["account_id"]};
  }

 private:
  std::string base_;
};

}  // namespace cs::testing

namespace cs::testing {

// One server for a whole test suite: the demo seed, plus a second partner org with its own admin
// (another tenant) and a production account owned by the demo partner (the "own partner account"
// case of the access rule). `database_url` empty: SQLite in the data directory.
class OAuthWorld {
  TempDir dir_;  // first: destroyed after the server stops

 public:
  explicit OAuthWorld(const std::string& database_url = {}) {
    auto data = (dir_.path() / "data").string();
    std::vector<std::string> db_flag;
    if (!database_url.empty()) db_flag = {"--database", database_url};
    auto cli = [&](std::vector<std::string> args) {
      args.push_back("--json");
      args.push_back("--data-dir");
      args.push_back(data);
      args.insert(args.end(), db_flag.begin(), db_flag.end());
      auto r = run_cli(args);
      if (r.exit_code != 0) throw std::runtime_error("countersign " + args[0] + " " + args[1] + ": " + r.err);
      return r.json();
    };
    demo = cli({"demo", "seed"});
    auto rival_org = cli({"admin", "create-partner", "--name", "Initech Apps"});
    rival_partner_id = rival_org["id"];
    auto rival = cli({"admin", "create-user", "--email", "rival@initech.example", "--name", "Rival Admin"});
    rival_password = rival["password"];
    cli({"admin", "grant-role", "--user", "rival@initech.example", "--role", "partner_admin", "--partner", rival_partner_id});
    auto own = cli({"admin", "create-account", "--name", "Acme Production", "--environment", "production", "--partner",
                    demo["partner"]["id"].get<std::string>()});
    own_account_id = own["id"];
    auto owner = cli({"admin", "create-user", "--email", "owner@acme-integrations.example", "--name", "Acme Owner"});
    owner_password = owner["password"];
    cli({"admin", "grant-role", "--user", "owner@acme-integrations.example", "--role", "admin", "--account", own_account_id});
    server = std::make_unique<ServerProcess>(ServerProcess::Options{dir_.path() / "data", database_url, {}, {}});
  }

  std::string email(const char* who) const { return demo["users"][who]["email"]; }
  std::string password(const char* who) const { return demo["users"][who]["password"]; }
  std::string account(const char* env) const { return demo["accounts"][env]["id"]; }
  ClientApp demo_app() const {
    return {demo["app"]["client_id"], demo["app"]["client_secret"], demo["app"]["redirect_uri"]};
  }
  const std::filesystem::path& data_dir_parent() const { return dir_.path(); }

  nlohmann::json demo;
  std::string rival_partner_id, rival_password, own_account_id, owner_password;
  std::unique_ptr<ServerProcess> server;
};

}  // namespace cs::testing
