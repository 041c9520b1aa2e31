// Helpers of the signing-ceremony browser test: an app token through the real OAuth flow, the
// /v1 API over fetch, envelopes made from real PDFs, and the signing pages driven in Chromium.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { screenshotDir } from './harness.mjs';
import { authorizeUrl, exchangeCode, pkce, registerApp, signIn } from './oauth_support.mjs';
import { makePdf } from './pdf_fixture.mjs';

export const kScopes = ['account:read', 'user:read', 'envelope:read', 'envelope:write', 'envelope:send',
  'signing:embedded', 'webhook:manage'];

// The client's redirect URI on a port of our own, so this test never competes with the OAuth
// test for the demo app's fixed callback port.
async function startCallback() {
  const hits = [];
  const server = createServer((req, res) => {
    hits.push(new URL(req.url, 'http://127.0.0.1'));
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>Client callback</title><h1>Client callback</h1>');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/callback`,
    hits,
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(resolve); }),
  };
}

async function signedInContext(browser, base, user) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${base}/login`);
  await signIn(page, user);
  await page.close();
  return context;
}

// A partner admin registers an app; the sandbox account's admin consents in the browser; the
// code is exchanged with PKCE. Answers the access token and the account id.
export async function appTokenThroughOAuth(browser, server) {
  const callback = await startCallback();
  try {
    const partner = await signedInContext(browser, server.url, server.demo.users.partner_admin);
    const app = await registerApp(partner, server.url, {
      name: 'Signing Test Connector', client_type: 'confidential', redirect_uris: [callback.url], scopes: kScopes,
    });
    await partner.close();
    const admin = await signedInContext(browser, server.url, server.demo.users.sandbox_admin);
    const page = await admin.newPage();
    const state = randomBytes(12).toString('base64url');
    const { verifier, challenge } = pkce();
    await page.goto(authorizeUrl(server.url, app, { scope: kScopes.join(' '), state, challenge }));
    await page.waitForSelector('#consent-form');
    const accountId = server.demo.accounts.sandbox.id;
    await page.selectOption('#account_id', accountId);
    await Promise.all([page.waitForURL((u) => u.href.startsWith(callback.url)), page.click('#approve')]);
    await admin.close();
    const hit = callback.hits.find((u) => u.pathname === '/callback');  // not /favicon.ico
    assert.equal(hit.searchParams.get('state'), state);
    const token = await exchangeCode(server.url, app, hit.searchParams.get('code'), verifier);
    assert.equal(token.status, 200, JSON.stringify(token.body));
    return { token: token.body.access_token, accountId, app };
  } finally {
    await callback.close();
  }
}

export function apiClient(base, token) {
  return async function api(method, path, body, headers = {}) {
    const res = await fetch(new URL(path, base), {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}), ...headers },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { json = text; }
    return { status: res.status, body: json, headers: res.headers };
  };
}

// Waits (polling, no timing asserted) until `probe()` answers a truthy value.
export async function eventually(probe, { timeoutMs = 30000, intervalMs = 200, what = 'the condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await probe();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

let counter = 0;
// An envelope request: one generated two-page PDF, the given signers (routing orders) and ccs,
// and fields per signer. Field positions are PDF points from the page's top-left corner.
export function envelopeRequest({ subject, signers, ccs = [], status = 'sent', message = 'Please review and sign.' }) {
  counter += 1;
  const pdf = makePdf({
    title: subject,
    pages: [['This agreement is made between Acme Integrations and Globex.', 'Both parties sign below.'],
      ['Schedule A: services and fees.']],
  });
  const recipients = [];
  const fields = [];
  signers.forEach((s, i) => {
    const ref = `signer${i + 1}`;
    recipients.push({ ref, type: 'signer', name: s.name, email: s.email, routing_order: s.routing_order ?? i + 1,
      ...(s.client_user_id ? { client_user_id: s.client_user_id } : {}) });
    for (const f of s.fields ?? [{ type: 'signature', page: 1, x: 72, y: 640, width: 200, height: 48 }]) {
      fields.push({ document: 'agreement', recipient: ref, required: true, ...f });
    }
  });
  ccs.forEach((c, i) => recipients.push({ ref: `cc${i + 1}`, type: 'cc', name: c.name, email: c.email,
    routing_order: c.routing_order ?? signers.length + 1 }));
  return {
    email_subject: subject,
    email_message: message,
    status,
    documents: [{ ref: 'agreement', name: `Agreement ${counter}.pdf`, content_base64: pdf.toString('base64') }],
    recipients,
    fields,
  };
}

// A browser context for one signer that records what the page must never do: violate the CSP,
// throw, or reach anything but Countersign (no third-party requests).
export async function signerContext(browser, base, options = {}) {
  const context = await browser.newContext(options);
  const problems = { csp: [], errors: [], foreign: [] };
  const origin = new URL(base).origin;
  context.on('console', (msg) => {
    if (/Content Security Policy/i.test(msg.text())) problems.csp.push(msg.text());
  });
  context.on('weberror', (e) => problems.errors.push(String(e.error())));
  context.on('request', (req) => {
    const url = req.url();
    if (!url.startsWith(origin) && !url.startsWith('data:') && !url.startsWith('blob:')) problems.foreign.push(url);
  });
  return { context, problems };
}

export async function shot(page, name) {
  await page.screenshot({ path: join(screenshotDir, `signing-${name}.png`), fullPage: true });
}

// Disclosure page: tick the box and continue (the acceptance is recorded by the server).
export async function acceptDisclosure(page, name) {
  await page.waitForSelector('#disclosure-form');
  if (name) await shot(page, name);
  await page.check('#agree');
  await Promise.all([page.waitForNavigation(), page.click('#accept-disclosure')]);
  await page.waitForSelector('#sign-form');
}

// Until pdf.js has drawn every page of every document, and the canvases are not blank.
export async function waitForRenderedPages(page) {
  await page.waitForFunction(() => [...document.querySelectorAll('.document')].every((d) => d.dataset.rendered));
  const state = await page.evaluate(() => [...document.querySelectorAll('.document')].map((d) => ({
    rendered: d.dataset.rendered,
    pages: d.querySelectorAll('.page').length,
    canvases: d.querySelectorAll('canvas').length,
    inked: [...d.querySelectorAll('canvas')].map((c) => {
      const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
      let dark = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i + 3] > 0 && data[i] < 128) dark += 1;
      return dark;
    }),
  })));
  for (const d of state) {
    assert.equal(d.rendered, 'true', 'pdf.js rendered the document');
    assert.equal(d.canvases, d.pages, 'one canvas per page');
    for (const dark of d.inked) assert.ok(dark > 50, 'the page shows the PDF text');
  }
}

// Draws a signature with the mouse on signature_pad's canvas.
export async function drawSignature(page) {
  await page.check('#kind-drawn');
  const box = await page.locator('#signature-pad').boundingBox();
  const at = (fx, fy) => [box.x + box.width * fx, box.y + box.height * fy];
  await page.mouse.move(...at(0.1, 0.6));
  await page.mouse.down();
  for (let i = 0; i <= 24; i += 1) {
    const t = i / 24;
    await page.mouse.move(...at(0.1 + 0.8 * t, 0.6 - 0.3 * Math.sin(t * Math.PI * 3)), { steps: 2 });
  }
  await page.mouse.up();
  await page.mouse.move(...at(0.3, 0.3));
  await page.mouse.down();
  await page.mouse.move(...at(0.6, 0.75), { steps: 8 });
  await page.mouse.up();
}

// Presses Tab until the focused element matches `selector` (at most `limit` presses).
export async function tabTo(page, selector, { limit = 40, shift = false } = {}) {
  for (let i = 0; i < limit; i += 1) {
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
    await page.keyboard.press(shift ? 'Shift+Tab' : 'Tab');
  }
  throw new Error(`Tab never reached ${selector}`);
}

export async function focusedLabel(page) {
  return page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? document.activeElement?.id ?? '');
}

export async function noHorizontalScroll(page) {
  return page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
}
