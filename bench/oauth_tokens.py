#!/usr/bin/env python3
"""Obtains N real OAuth grants from a running Countersign through the HTTP flow a partner app
uses (sign in, consent on the sandbox account, code + PKCE S256, token), for bench/run.

usage: oauth_tokens.py BASE_URL DEMO_JSON N [SCOPE]  ->  prints a JSON list of token responses
"""
import base64, hashlib, html.parser, http.cookiejar, json, re, secrets, sys, urllib.parse, urllib.request


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def main():
    base, demo_path, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    scope = sys.argv[4] if len(sys.argv) > 4 else "account:read user:read offline_access"
    demo = json.load(open(demo_path))
    user = demo["users"]["sandbox_admin"]
    app = demo["app"]
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)

    def call(method, url, data=None, headers=None):
        req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
        try:
            with opener.open(req) as r:
                return r.status, dict(r.headers), r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read().decode()

    def csrf(page):
        return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    form = lambda d: urllib.parse.urlencode(d).encode()
    _, _, page = call("GET", base + "/login")
    status, _, _ = call("POST", base + "/login", form({"csrf_token": csrf(page), "email": user["email"],
                                                      "password": user["password"], "next": "/"}))
    assert status == 303, f"login failed: {status}"
    account = demo["accounts"]["sandbox"]["id"]
    basic = base64.b64encode(f'{app["client_id"]}:{app["client_secret"]}'.encode()).decode()
    out = []
    for _ in range(count):
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        params = {"response_type": "code", "client_id": app["client_id"], "redirect_uri": app["redirect_uri"],
                  "scope": scope, "state": secrets.token_hex(8),
                  "code_challenge": challenge, "code_challenge_method": "S256"}
        _, _, consent = call("GET", base + "/oauth/authorize?" + urllib.parse.urlencode(params))
        decision = dict(params, csrf_token=csrf(consent), account_id=account, decision="approve")
        status, headers, _ = call("POST", base + "/oauth/authorize", form(decision))
        location = headers.get("Location", "")
        code = urllib.parse.parse_qs(urllib.parse.urlparse(location).query)["code"][0]
        status, _, body = call("POST", base + "/oauth/token",
                               form({"grant_type": "authorization_code", "code": code,
                                     "redirect_uri": app["redirect_uri"], "code_verifier": verifier}),
                               {"Authorization": "Basic " + basic,
                                "Content-Type": "application/x-www-form-urlencoded"})
        assert status == 200, body
        out.append(json.loads(body))
    print(json.dumps({"basic": basic, "tokens": out}))


if __name__ == "__main__":
    main()
