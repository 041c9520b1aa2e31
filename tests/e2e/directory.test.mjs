// The public directory and the requirements catalogue pages in Chromium (issue 6 §1, §7): only
// certified apps are listed, an app named like markup renders as text, the Connect button links to
// the listing's connect_url, the requirements page groups by category and fits a phone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { launchBrowser, screenshotDir } from './harness.mjs';
import { startServerWith, signIn, registerApp, setCertification, noHorizontalScroll } from './oauth_support.mjs';

let server;
let browser;
let partner;
let certified;
let uncertified;
const evilName = '<script>window.__pwned = 1</script> Evil & Co';

before(async () => {
  server = await startServerWith(null);
  browser = await launchBrowser();
  partner = await browser.newContext();
  const page = await partner.newPage();
  await page.goto(`${server.url}/login`);
  await signIn(page, server.demo.users.partner_admin);
  await page.close();
  const body = (name) => ({
    name,
    description: `${name} connects your CRM`,
    client_type: 'confidential',
    redirect_uris: ['https://crm.example/oauth/callback'],
    scopes: ['account:read', 'envelope:send'],
    functions: ['send', 'track'],
    documentation_url: 'https://crm.example/docs',
  });
  certified = await registerApp(partner, server.url, body(evilName));
  uncertified = await registerApp(partner, server.url, body('Never Listed Connector'));
  // The listing names a page on the partner's site that starts the OAuth flow.
  const home = await partner.newPage();
  await home.goto(`${server.url}/`);
  const csrf = await home.locator('input[name=csrf_token]').first().inputValue();
  await home.close();
  const res = await partner.request.put(`${server.url}/v1/apps/${certified.id}/listing`, {
    headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
    data: JSON.stringify({
      connect_url: 'https://crm.example/connect/countersign',
      collateral: [{ label: '<b>Guide</b>', url: 'https://crm.example/guide' }],
      categories: ['crm'],
    }),
  });
  assert.equal(res.status(), 200, await res.text());
  setCertification(server.data, certified.id, 'certified');
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('the directory lists certified apps only and renders names as text', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${server.url}/directory`);
  const links = page.locator('a.app-link');
  const names = await links.allTextContents();
  assert.ok(names.includes(evilName), names.join(' | '));
  assert.ok(!names.includes('Never Listed Connector'));
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  await page.screenshot({ path: join(screenshotDir, 'directory.png'), fullPage: true });

  await page.click(`a.app-link:has-text("Evil & Co")`);
  assert.equal(new URL(page.url()).pathname, `/directory/apps/${certified.id}`);
  assert.equal(await page.locator('#app-name').textContent(), evilName);
  assert.equal(await page.locator('#connect').getAttribute('href'), 'https://crm.example/connect/countersign');
  assert.match(await page.locator('#scopes').textContent(), /envelope:send/);
  assert.equal(await page.locator('#links a:has-text("<b>Guide</b>")').count(), 1);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  await page.screenshot({ path: join(screenshotDir, 'directory-app.png'), fullPage: true });

  const missing = await page.goto(`${server.url}/directory/apps/${uncertified.id}`);
  assert.equal(missing.status(), 404);
  await context.close();
});

test('the requirements page groups by category, filters by function and fits a phone', async () => {
  const context = await browser.newContext({ viewport: { width: 375, height: 740 } });
  const page = await context.newPage();
  await page.goto(`${server.url}/certification/requirements`);
  assert.equal(await page.locator('#catalogue-version').textContent(), '2026.1');
  assert.equal(await page.locator('#category-oauth #req-OAUTH-1').count(), 1);
  assert.equal(await page.locator('#category-api-usage #req-API-3').count(), 1);
  assert.ok(await noHorizontalScroll(page));
  await page.screenshot({ path: join(screenshotDir, 'requirements-phone.png'), fullPage: true });
  await page.check('input[name=functions][value=send]');
  await Promise.all([page.waitForNavigation(), page.click('#requirements-filter button[type=submit]')]);
  assert.equal(await page.locator('#req-API-3').count(), 0);
  assert.equal(await page.locator('#req-OAUTH-1').count(), 1);
  await context.close();
});
