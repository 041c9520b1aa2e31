// Issue 3 "Done when", in a real browser: sign in and consent through the real pages, complete the
// code + PKCE (S256) flow, exchange the code at /oauth/token from node and call /v1 with the
// token, for (a) a sandbox account, (b) a production account without the setting, (c) the same
// account after its admin ticks the setting on the settings page, (d) unticking it, (e) the
// partner's own production account, (f) an app marked certified through the service method.
// Plus the pages' refusals: unknown client, mismatched redirect URI, CSRF, another tenant's
// account, deny, connections and revocation, and a phone-sized screen.
//
// The tests run in order and share one server: (c) and (d) build on (b).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { launchBrowser, screenshotDir } from './harness.mjs';
import {
  startServerWith, cli, setCertification, pkce, authorizeUrl, startCallbackServer, signIn, exchangeCode, apiGet,
  registerApp, noHorizontalScroll, callbackOrigin, callbackUrl,
} from './oauth_support.mjs';

const kSettingLabel = 'Allow uncertified partner applications to access data from this account';

let server;
let browser;
let callbacks;  // the client's redirect URI listener
let app;  // the confidential demo app "Acme Sign Connector"
const users = {};  // demo user key -> { context, hits, cspViolations }

before(async () => {
  server = await startServerWith(async (data, demo) => {
    // (e) the partner's own production account, administered by the partner admin.
    const account = cli(data, ['admin', 'create-account', '--name', 'Acme Production', '--environment', 'production',
      '--partner', demo.partner.id]);
    cli(data, ['admin', 'grant-role', '--user', demo.users.partner_admin.email, '--role', 'admin', '--account', account.id]);
    return { partnerAccount: account };
  });
  browser = await launchBrowser();
  callbacks = await startCallbackServer();
  app = server.demo.app ?? await registerApp(await userContext('partner_admin', true), server.url, {
    name: 'Acme Sign Connector', client_type: 'confidential', redirect_uris: [callbackUrl],
    scopes: ['account:read', 'user:read', 'envelope:read', 'envelope:write', 'envelope:send', 'signing:embedded',
      'webhook:manage', 'offline_access'],
  });
});

after(async () => {
  for (const u of Object.values(users)) await u.context.close();
  await browser?.close();
  await callbacks?.close();
  await server?.stop();
});

// One browser context per demo user: the session survives between flows; CSP violations are
// collected.
async function userContext(key, signInNow = false) {
  if (!users[key]) {
    const context = await browser.newContext();
    const cspViolations = [];
    context.on('console', (msg) => { if (/Content Security Policy/i.test(msg.text())) cspViolations.push(msg.text()); });
    users[key] = { context, cspViolations, signedIn: false };
  }
  const u = users[key];
  if (signInNow && !u.signedIn) {
    const page = await u.context.newPage();
    await page.goto(`${server.url}/login`);
    await signIn(page, server.demo.users[key]);
    u.signedIn = true;
    await page.close();
  }
  return u.context;
}

// Starts an authorization request as `key`, signs in if the server asks, and returns the
// consent page (not yet decided).
async function openConsent(key, { client = app, scope, extra } = {}) {
  await userContext(key);
  const u = users[key];
  const page = await u.context.newPage();
  page.on('console', (msg) => { if (/Content Security Policy/i.test(msg.text())) u.cspViolations.push(msg.text()); });
  const state = randomBytes(12).toString('base64url');
  const { verifier, challenge } = pkce();
  const response = await page.goto(authorizeUrl(server.url, client, { scope, state, challenge, extra }));
  if (new URL(page.url()).pathname === '/login') {
    assert.match(new URL(page.url()).searchParams.get('next'), /^\/oauth\/authorize\?/);
    await signIn(page, server.demo.users[key]);
    u.signedIn = true;
  }
  return { page, state, verifier, response };
}

// Decides on an open consent page and returns the client's callback URL.
async function decide(page, { accountId, decision = 'approve' }) {
  if (accountId) await page.selectOption('#account_id', accountId);
  await Promise.all([
    page.waitForURL((u) => u.origin === callbackOrigin),
    page.click(`button[name=decision][value=${decision}]`),
  ]);
  return new URL(page.url());
}

async function connect(key, accountId, shot, options = {}) {
  const { page, state, verifier } = await openConsent(key, options);
  await page.waitForSelector('#consent-form');
  if (shot) await page.screenshot({ path: join(screenshotDir, `${shot}.png`), fullPage: true });
  const callback = await decide(page, { accountId });
  await page.close();
  assert.equal(callback.origin + callback.pathname, callbackUrl);
  assert.equal(callback.searchParams.get('state'), state, 'state comes back unchanged');
  return { callback, verifier };
}

async function connectAndCall(key, accountId, shot, options = {}) {
  const client = options.client ?? app;
  const { callback, verifier } = await connect(key, accountId, shot, options);
  assert.equal(callback.searchParams.get('error'), null, `no error: ${callback.searchParams.get('error_description')}`);
  const code = callback.searchParams.get('code');
  assert.match(code, /^cs_ac_/);
  const token = await exchangeCode(server.url, client, code, verifier);
  assert.equal(token.status, 200, JSON.stringify(token.body));
  assert.match(token.body.access_token, /^cs_at_/);
  assert.equal(token.body.account_id, accountId);
  const account = await apiGet(server.url, `/v1/accounts/${accountId}`, token.body.access_token);
  assert.equal(account.status, 200, JSON.stringify(account.body));
  assert.equal(account.body.id, accountId);
  return token.body.access_token;
}

// The settings page of `accountId`, reached from the home page's Settings link.
async function openSettings(key, accountName) {
  const context = await userContext(key, true);
  const page = await context.newPage();
  await page.goto(`${server.url}/`);
  await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: `Settings of ${accountName}` }).click()]);
  await page.waitForSelector('#security-settings');
  return page;
}

async function setAllowUncertified(key, accountName, on, shot) {
  const page = await openSettings(key, accountName);
  const box = page.getByLabel(kSettingLabel, { exact: true });
  assert.equal(await box.isChecked(), !on, 'the setting starts in the other state');
  // Keyboard only: focus the checkbox, toggle it with Space, submit with the form's button.
  await box.focus();
  await page.keyboard.press('Space');
  await page.getByRole('button', { name: 'Save security settings' }).focus();
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  assert.equal(await page.locator('#confirmation').count(), 1, await page.locator('main').textContent());
  assert.equal(await page.getByLabel(kSettingLabel, { exact: true }).isChecked(), on);
  if (shot) await page.screenshot({ path: join(screenshotDir, `${shot}.png`), fullPage: true });
  const confirmation = await page.locator('#confirmation').textContent();
  return { page, confirmation };
}

test('(a) a sandbox admin connects the sandbox account: code + PKCE, token, API call', async () => {
  const { page } = await openConsent('sandbox_admin');
  await page.waitForSelector('#consent-form');
  assert.equal(await page.locator('#app-name').textContent(), 'Acme Sign Connector');
  assert.equal(await page.locator('#partner-name').textContent(), 'Acme Integrations');
  assert.equal((await page.locator('#certification-badge').textContent()).trim(), 'Not certified');
  const scopes = await page.locator('#scopes').textContent();
  assert.match(scopes, /account:read/);
  assert.match(scopes, /user:read/);
  const options = await page.locator('#account_id option').allTextContents();
  assert.deepEqual(options, ['Globex Sandbox (sandbox)']);
  await page.close();
  await connectAndCall('sandbox_admin', server.demo.accounts.sandbox.id, 'consent-sandbox');
  assert.deepEqual(users.sandbox_admin.cspViolations, []);
});

test('(b) the production account without the setting: access_denied naming the setting', async () => {
  const { page, state } = await openConsent('production_admin');
  await page.waitForSelector('#consent-form');
  await page.screenshot({ path: join(screenshotDir, 'consent-production-not-certified.png'), fullPage: true });
  assert.equal((await page.locator('#certification-badge').textContent()).trim(), 'Not certified');
  assert.match(await page.locator('#certification-notice').textContent(), /has not certified this app/);
  assert.match(await page.locator('#blocked-accounts').textContent(), /Globex/);
  const callback = await decide(page, { accountId: server.demo.accounts.production.id });
  await page.close();
  assert.equal(callback.searchParams.get('error'), 'access_denied');
  assert.equal(callback.searchParams.get('state'), state);
  assert.equal(callback.searchParams.get('code'), null, 'no code is issued');
  const description = callback.searchParams.get('error_description');
  assert.match(description, /not certified/);
  assert.ok(description.includes(kSettingLabel), description);
});

let globexToken;

test('(c) the production admin ticks the setting: the flow is allowed and the API call works', async () => {
  const { confirmation, page } = await setAllowUncertified('production_admin', 'Globex', true, 'settings-allowed');
  assert.match(confirmation, /may now access this account/);
  await page.close();
  globexToken = await connectAndCall('production_admin', server.demo.accounts.production.id, 'consent-production-allowed');

  // The connection is listed on the account's settings page.
  const settings = await openSettings('production_admin', 'Globex');
  const connections = await settings.locator('#connections').textContent();
  assert.match(connections, /Acme Sign Connector/);
  assert.match(connections, new RegExp(server.demo.users.production_admin.email.replace('.', '\\.')));
  await settings.screenshot({ path: join(screenshotDir, 'settings-with-connection.png'), fullPage: true });
  await settings.close();
});

test('(d) unticking the setting makes that token fail on the very next call', async () => {
  const before = await apiGet(server.url, `/v1/accounts/${server.demo.accounts.production.id}`, globexToken);
  assert.equal(before.status, 200);
  const { confirmation, page } = await setAllowUncertified('production_admin', 'Globex', false, 'settings-disallowed');
  assert.match(confirmation, /may not access this account/);
  assert.match(confirmation, /1 connection of uncertified apps ended/);
  assert.equal(await page.locator('#connections').count(), 0, 'the connection is gone');
  await page.close();
  const afterCall = await apiGet(server.url, `/v1/accounts/${server.demo.accounts.production.id}`, globexToken);
  assert.ok([401, 403].includes(afterCall.status), `status ${afterCall.status}`);
  assert.ok(['invalid_token', 'app_not_certified'].includes(afterCall.body.code), JSON.stringify(afterCall.body));
});

test("(e) the partner's own production account is allowed", async () => {
  await connectAndCall('partner_admin', server.extra.partnerAccount.id, 'consent-partner-own-account');
});

test('(f) an app certified through the service method is allowed on Globex without the setting', async () => {
  const partner = await userContext('partner_admin', true);
  const certifiedApp = await registerApp(partner, server.url, {
    name: 'Acme Certified Connector', client_type: 'confidential', redirect_uris: [callbackUrl],
    scopes: ['account:read', 'user:read'],
  });
  const marked = setCertification(server.data, certifiedApp.id, 'certified');
  assert.equal(marked.status, 'certified');

  const { page } = await openConsent('production_admin', { client: certifiedApp });
  await page.waitForSelector('#consent-form');
  assert.equal((await page.locator('#certification-badge').textContent()).trim(), 'Certified');
  assert.equal(await page.locator('#blocked-accounts').count(), 0);
  await page.close();
  const token = await connectAndCall('production_admin', server.demo.accounts.production.id, 'consent-certified-app',
    { client: certifiedApp });

  // The access rule reads the CURRENT certification on every call: taking it away refuses the
  // same token with app_not_certified, whose message tells the customer what an admin can do.
  // The change is written by another process (the test tool), so this server sees it within
  // its bearer-verification cache TTL of 1 s (an in-process change applies at once; that path
  // is tested in tests/oauth/bearer_cache_test.cpp). Poll for up to 3 s, then assert.
  setCertification(server.data, certifiedApp.id, 'in_certification');
  const path = `/v1/accounts/${server.demo.accounts.production.id}`;
  let refused = await apiGet(server.url, path, token);
  for (const deadline = Date.now() + 3000; refused.status !== 403 && Date.now() < deadline;) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    refused = await apiGet(server.url, path, token);
  }
  assert.equal(refused.status, 403);
  assert.equal(refused.body.code, 'app_not_certified');
});

test('an unknown client and a mismatched redirect URI show an error page and never redirect', async () => {
  const context = await userContext('sandbox_admin', true);
  const page = await context.newPage();
  const { challenge } = pkce();
  for (const [name, client] of [
    ['unknown-client', { ...app, client_id: 'ik_doesnotexist0000000000' }],
    ['redirect-mismatch', { ...app, redirect_uri: 'https://evil.example/callback' }],
  ]) {
    const before = callbacks.hits.length;
    const res = await page.goto(authorizeUrl(server.url, client, { state: 's', challenge }));
    assert.equal(res.status(), 400, name);
    assert.equal(new URL(page.url()).origin, server.url, `${name}: stays on the server`);
    await page.waitForSelector('#error-heading');
    assert.equal(callbacks.hits.length, before, `${name}: the client was not contacted`);
    await page.screenshot({ path: join(screenshotDir, `authorize-error-${name}.png`), fullPage: true });
  }
  await page.close();
});

test('an unknown scope goes back to the client as invalid_scope with the state', async () => {
  await userContext('sandbox_admin', true);
  const page = await users.sandbox_admin.context.newPage();
  const { challenge } = pkce();
  await page.goto(authorizeUrl(server.url, app, { scope: 'account:read everything', state: 'st-1', challenge }));
  const callback = new URL(page.url());
  assert.equal(callback.origin, callbackOrigin);
  assert.equal(callback.searchParams.get('error'), 'invalid_scope');
  assert.equal(callback.searchParams.get('state'), 'st-1');
  await page.close();
});

test('deny goes back with access_denied; a wrong CSRF token or another tenant account issues nothing', async () => {
  const sandboxId = server.demo.accounts.sandbox.id;
  // Deny.
  let { page, state } = await openConsent('production_admin');
  await page.waitForSelector('#consent-form');
  const denied = await decide(page, { decision: 'deny' });
  assert.equal(denied.searchParams.get('error'), 'access_denied');
  assert.equal(denied.searchParams.get('state'), state);
  assert.equal(denied.searchParams.get('code'), null);
  await page.close();

  // A forged form: the CSRF token is wrong.
  const hits = callbacks.hits;
  ({ page } = await openConsent('production_admin'));
  await page.waitForSelector('#consent-form');
  await page.locator('input[name=csrf_token]').evaluate((el) => { el.value = 'forged'; });
  let before = hits.length;
  let [response] = await Promise.all([page.waitForNavigation(), page.click('#approve')]);
  assert.equal(response.status(), 403);
  assert.equal(new URL(page.url()).origin, server.url);
  assert.equal(hits.length, before, 'no redirect to the client');
  await page.screenshot({ path: join(screenshotDir, 'consent-csrf-refused.png'), fullPage: true });
  await page.close();

  // Another tenant's account: the production admin is not a member of the sandbox account.
  ({ page } = await openConsent('production_admin'));
  await page.waitForSelector('#consent-form');
  await page.locator('#account_id option').first().evaluate((el, id) => { el.value = id; }, sandboxId);
  before = hits.length;
  [response] = await Promise.all([page.waitForNavigation(), page.click('#approve')]);
  assert.ok(response.status() >= 400, `status ${response.status()}`);
  assert.equal(new URL(page.url()).origin, server.url);
  assert.equal(hits.length, before, 'no redirect to the client');
  await page.waitForSelector('#error-heading');
  await page.screenshot({ path: join(screenshotDir, 'consent-foreign-account.png'), fullPage: true });
  await page.close();
});

test('a user revokes their own connection on /connections and its token dies at once', async () => {
  const token = await connectAndCall('sandbox_admin', server.demo.accounts.sandbox.id);
  const context = await userContext('sandbox_admin', true);
  const page = await context.newPage();
  await page.goto(`${server.url}/`);
  await Promise.all([page.waitForNavigation(), page.click('#connections-link')]);
  await page.waitForSelector('#connections');
  await page.screenshot({ path: join(screenshotDir, 'connections.png'), fullPage: true });
  const items = page.locator('#connections li.connection');
  const count = await items.count();
  assert.ok(count >= 1);
  // Revoke every connection of the demo app on this account (test (a) made one too).
  for (let i = 0; i < count; i++) {
    await Promise.all([page.waitForNavigation(), page.locator('#connections li.connection button').first().click()]);
  }
  assert.match(await page.locator('#confirmation').textContent(), /revoked/);
  assert.equal(await page.locator('#connections').count(), 0);
  const refused = await apiGet(server.url, `/v1/accounts/${server.demo.accounts.sandbox.id}`, token);
  assert.equal(refused.status, 401);
  assert.equal(refused.body.code, 'invalid_token');
  await page.close();
});

test('an account admin revokes a connection on the settings page', async () => {
  // The partner admin administers "Acme Production" (test (e) connected it).
  const token = await connectAndCall('partner_admin', server.extra.partnerAccount.id);
  const page = await openSettings('partner_admin', 'Acme Production');
  const buttons = page.locator('#connections button');
  while (await buttons.count() > 0) {
    await Promise.all([page.waitForNavigation(), buttons.first().click()]);
  }
  assert.match(await page.locator('#confirmation').textContent(), /revoked/);
  const refused = await apiGet(server.url, `/v1/accounts/${server.extra.partnerAccount.id}`, token);
  assert.equal(refused.status, 401);
  await page.close();
});

test('the settings page is for account admins only; other users get 404', async () => {
  const context = await userContext('production_sender', true);
  const page = await context.newPage();
  const res = await page.goto(`${server.url}/accounts/${server.demo.accounts.production.id}/settings`);
  assert.equal(res.status(), 404);
  assert.equal(await page.getByLabel(kSettingLabel).count(), 0);
  const other = await page.goto(`${server.url}/accounts/${server.demo.accounts.sandbox.id}/settings`);
  assert.equal(other.status(), 404);
  await page.close();
});

test('consent and settings pages fit a 375-pixel-wide screen', async () => {
  const context = await browser.newContext({ viewport: { width: 375, height: 667 } });
  const page = await context.newPage();
  const { challenge } = pkce();
  await page.goto(authorizeUrl(server.url, app, { scope: 'account:read user:read envelope:send offline_access', state: 'p', challenge }));
  await signIn(page, server.demo.users.production_admin);
  await page.waitForSelector('#consent-form');
  await page.screenshot({ path: join(screenshotDir, 'consent-phone.png'), fullPage: true });
  assert.ok(await noHorizontalScroll(page), 'consent page: no horizontal scrolling');
  await page.goto(`${server.url}/accounts/${server.demo.accounts.production.id}/settings`);
  await page.waitForSelector('#security-settings');
  await page.screenshot({ path: join(screenshotDir, 'settings-phone.png'), fullPage: true });
  assert.ok(await noHorizontalScroll(page), 'settings page: no horizontal scrolling');
  await context.close();
  for (const u of Object.values(users)) assert.deepEqual(u.cspViolations, []);
});
