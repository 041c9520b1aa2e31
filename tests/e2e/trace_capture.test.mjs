// Trace capture (issue 5 §3): the HAR a partner downloads from the real server validates against
// HAR 1.2 with the `har-validator` npm package, and the JSON export carries the same entries; no
// token of the run is in either. HTTP only (no page is checked): the console session and the
// OAuth consent are driven with fetch, as a partner's script would.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createRequire } from 'node:module';
import { startServer } from './harness.mjs';
import { exchangeCode, pkce } from './oauth_support.mjs';

const require = createRequire(import.meta.url);
const harValidator = require('har-validator');

let server;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

// A cookie jar over fetch, with redirects left to the caller.
function session(base) {
  const cookies = new Map();
  const absorb = (res) => {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair.indexOf('=');
      cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1));
    }
  };
  const header = () => [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  return {
    async request(method, path, { body, headers = {} } = {}) {
      const res = await fetch(new URL(path, base), {
        method, body, redirect: 'manual', headers: { ...headers, Cookie: header() },
      });
      absorb(res);
      return { status: res.status, headers: res.headers, text: await res.text() };
    },
  };
}

const hidden = (html) => Object.fromEntries(
  [...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1], unescape(m[2])]));
function unescape(s) {
  return s.replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"')
    .replace(/&#x([0-9a-f]+);/gi, (_, h) => String.fromCharCode(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_, d) => String.fromCharCode(Number(d)));
}
const form = (fields) => ({
  body: new URLSearchParams(fields).toString(),
  headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
});

async function signIn(who) {
  const s = session(server.url);
  const login = await s.request('GET', '/login');
  const r = await s.request('POST', '/login', form({
    ...hidden(login.text), email: server.demo.users[who].email, password: server.demo.users[who].password, next: '/',
  }));
  assert.equal(r.status, 303, `sign-in of ${who}`);
  const home = await s.request('GET', '/');
  s.csrf = hidden(home.text).csrf_token;
  assert.ok(s.csrf, 'the home page carries the CSRF token');
  return s;
}

async function accessToken(scope) {
  const s = await signIn('sandbox_admin');
  const app = server.demo.app;
  const { verifier, challenge } = pkce();
  const u = new URLSearchParams({
    response_type: 'code', client_id: app.client_id, redirect_uri: app.redirect_uri, scope, state: 'st',
    code_challenge: challenge, code_challenge_method: 'S256',
  });
  const page = await s.request('GET', `/oauth/authorize?${u}`);
  assert.equal(page.status, 200, page.text.slice(0, 300));
  const decided = await s.request('POST', '/oauth/authorize', form({
    ...hidden(page.text), account_id: server.demo.accounts.sandbox.id, decision: 'approve',
  }));
  assert.equal(decided.status, 303);
  const code = new URL(decided.headers.get('location')).searchParams.get('code');
  const token = await exchangeCode(server.url, app, code, verifier);
  assert.equal(token.status, 200, JSON.stringify(token.body));
  return token.body;
}

test('the exported HAR validates as HAR 1.2 and holds no token of the run', async () => {
  const tokens = await accessToken('account:read user:read offline_access');
  const partner = await signIn('partner_developer');
  const apps = JSON.parse((await partner.request('GET', '/v1/apps')).text).data;
  const appId = apps.find((a) => a.client_id === server.demo.app.client_id).id;

  const started = await partner.request('POST', `/v1/apps/${appId}/trace-capture`, {
    body: JSON.stringify({ duration_minutes: 10, max_requests: 3 }),
    headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': partner.csrf },
  });
  assert.equal(started.status, 201, started.text);
  const capture = JSON.parse(started.text);

  const auth = { Authorization: `Bearer ${tokens.access_token}` };
  const calls = [
    fetch(new URL(`/v1/accounts/${server.demo.accounts.sandbox.id}`, server.url), { headers: auth }),
    fetch(new URL(`/v1/users/me?access_token=${tokens.access_token}`, server.url), { headers: auth }),
    fetch(new URL('/v1/envelopes/env_missing', server.url), { headers: auth }),  // a 403 refusal is captured too
  ];
  for (const res of await Promise.all(calls)) await res.text();

  // The exchanges are stored after their responses went out: wait (bounded) for all three.
  let har;
  let harText;
  for (let attempt = 0; attempt < 100; attempt++) {
    const res = await partner.request('GET', `/v1/apps/${appId}/trace-captures/${capture.id}/export?format=har`);
    assert.equal(res.status, 200, res.text);
    harText = res.text;
    har = JSON.parse(harText);
    if (har.log.entries.length === 3) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.equal(har.log.entries.length, 3);
  await harValidator.har(har);  // rejects with the schema errors when invalid
  assert.equal(har.log.version, '1.2');
  assert.deepEqual(har.log.entries.map((e) => e.response.status).sort(), [200, 200, 403]);
  for (const e of har.log.entries) {
    await harValidator.request(e.request);
    await harValidator.response(e.response);
    assert.ok(new URL(e.request.url).pathname.startsWith('/v1/'), e.request.url);
  }

  const json = await partner.request('GET', `/v1/apps/${appId}/trace-captures/${capture.id}/export?format=json`);
  assert.equal(json.status, 200);
  assert.equal(JSON.parse(json.text).entries.length, 3);

  for (const secret of [tokens.access_token, tokens.refresh_token]) {
    assert.ok(!harText.includes(secret), 'no token in the HAR');
    assert.ok(!json.text.includes(secret), 'no token in the JSON export');
  }
  // The validator is not a rubber stamp: a HAR without timings is refused.
  const broken = structuredClone(har);
  delete broken.log.entries[0].timings;
  await assert.rejects(harValidator.har(broken));
});
