// Helpers of the OAuth browser tests: a server whose data directory the test can reach with the
// CLI, PKCE, the OAuth client's redirect URI (a listener on http://127.0.0.1:8765/callback), and the node-side token exchange.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:http';

export { binary, childEnv, cli, startServer as startServerWith } from './harness.mjs';
import { childEnv } from './harness.mjs';

const binaryDir = process.env.CS_BINARY_DIR ?? 'build';
// Test-only tool (tests/e2e/certify_app_tool.cpp): never part of the product.
export const certifyTool = join(binaryDir, 'tests/e2e/cs_e2e_certify_app');
export const callbackOrigin = 'http://127.0.0.1:8765';
export const callbackUrl = `${callbackOrigin}/callback`;

// Marks the app's current version with `status` through AppService::set_certification_status.
export function setCertification(data, appId, status = 'certified') {
  if (!existsSync(certifyTool)) {
    throw new Error(`${certifyTool} is missing: build the test-only target cs_e2e_certify_app`);
  }
  return JSON.parse(execFileSync(certifyTool, ['--data-dir', data, '--app-id', appId, '--status', status],
    { env: childEnv() }));
}

const b64url = (buf) => buf.toString('base64url');

export function pkce() {
  const verifier = b64url(randomBytes(32));
  const challenge = b64url(createHash('sha256').update(verifier).digest());
  return { verifier, challenge };
}

export function authorizeUrl(base, app, { scope = 'account:read user:read', state, challenge, extra = {} }) {
  const u = new URL('/oauth/authorize', base);
  u.searchParams.set('response_type', 'code');
  u.searchParams.set('client_id', app.client_id);
  u.searchParams.set('redirect_uri', app.redirect_uri);
  u.searchParams.set('scope', scope);
  u.searchParams.set('state', state);
  u.searchParams.set('code_challenge', challenge);
  u.searchParams.set('code_challenge_method', 'S256');
  for (const [k, v] of Object.entries(extra)) u.searchParams.set(k, v);
  return u.toString();
}

// The OAuth client's redirect URI, served for real: Chromium does not hand the second request of
// a redirect chain to page.route, so the 303 from /oauth/authorize must reach a listener. Every
// hit is recorded; the test reads the code / error from the recorded URLs.
export async function startCallbackServer() {
  const hits = [];
  const server = createServer((req, res) => {
    hits.push(new URL(req.url, callbackOrigin));
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>Client callback</title><h1>Client callback</h1>');
  });
  await new Promise((resolve, reject) => {
    server.once('error', (e) => reject(new Error(`cannot listen on ${callbackOrigin}: ${e.message}`)));
    server.listen(8765, '127.0.0.1', resolve);
  });
  return {
    hits,
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(resolve); }),
  };
}

// Fills the real sign-in form (the authorize request sent the browser there).
export async function signIn(page, { email, password }) {
  await page.waitForURL((u) => u.pathname === '/login');
  await page.fill('#email', email);
  await page.fill('#password', password);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
}

export async function exchangeCode(base, app, code, verifier) {
  const basic = Buffer.from(`${encodeURIComponent(app.client_id)}:${encodeURIComponent(app.client_secret)}`).toString('base64');
  const res = await fetch(new URL('/oauth/token', base), {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Basic ${basic}` },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: app.redirect_uri, code_verifier: verifier }),
  });
  return { status: res.status, body: await res.json() };
}

export async function apiGet(base, path, token) {
  const res = await fetch(new URL(path, base), { headers: { Authorization: `Bearer ${token}` } });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, wwwAuthenticate: res.headers.get('www-authenticate') };
}

// A partner member registers an app through POST /v1/apps with the console session (the CSRF
// token comes from the signed-in home page).
export async function registerApp(context, base, body) {
  const page = await context.newPage();
  await page.goto(`${base}/`);
  const csrf = await page.locator('input[name=csrf_token]').first().inputValue();
  await page.close();
  const res = await context.request.post(`${base}/v1/apps`, {
    headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
    data: JSON.stringify(body),
  });
  if (res.status() !== 201) throw new Error(`POST /v1/apps: ${res.status()} ${await res.text()}`);
  const app = await res.json();
  return { id: app.id, client_id: app.client_id, client_secret: app.client_secret, redirect_uri: body.redirect_uris[0] };
}

export async function noHorizontalScroll(page) {
  return page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
}
