// Sign-in in a real browser: the form works with the keyboard, errors are shown, the home page
// lists the user's roles, no request leaves the server's origin, sign-out works.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startServer, launchBrowser, screenshotDir } from './harness.mjs';

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('a partner admin signs in with the keyboard, sees the home page, and signs out', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const origins = new Set();
  const cspViolations = [];
  page.on('request', (req) => origins.add(new URL(req.url()).origin));
  page.on('console', (msg) => { if (/Content Security Policy/i.test(msg.text())) cspViolations.push(msg.text()); });

  await page.goto(`${server.url}/login`);
  await page.screenshot({ path: join(screenshotDir, 'login.png'), fullPage: true });
  assert.equal(await page.title(), 'Sign in · Countersign');

  const { email, password } = server.demo.users.partner_admin;
  await page.locator('#email').focus();
  await page.keyboard.type(email);
  await page.keyboard.press('Tab');
  await page.keyboard.type(password);
  await page.keyboard.press('Enter');
  await page.waitForURL(`${server.url}/`);
  await page.screenshot({ path: join(screenshotDir, 'home.png'), fullPage: true });

  assert.equal(await page.locator('#user-email').textContent(), email);
  const partners = await page.locator('#partners').textContent();
  assert.match(partners, /Acme Integrations/);
  assert.match(partners, /partner_admin/);

  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === 'cs_session');
  assert.ok(session, 'session cookie set');
  assert.equal(session.httpOnly, true);
  assert.equal(session.sameSite, 'Lax');

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(`${server.url}/login`);
  await page.goto(`${server.url}/`);
  assert.equal(new URL(page.url()).pathname, '/login', 'signed out: home redirects to sign-in');

  assert.deepEqual([...origins], [server.url], 'no third-party requests');
  assert.deepEqual(cspViolations, []);
  await context.close();
});

test('a wrong password shows an error and keeps the email; a phone-sized screen fits', async () => {
  const context = await browser.newContext({ viewport: { width: 375, height: 667 } });
  const page = await context.newPage();
  await page.goto(`${server.url}/login`);
  await page.fill('#email', server.demo.users.sandbox_sender.email);
  await page.fill('#password', 'definitely-not-it');
  await page.click('button[type=submit]');
  await page.waitForSelector('#login-error');
  await page.screenshot({ path: join(screenshotDir, 'login-error-phone.png'), fullPage: true });
  assert.match(await page.locator('#login-error').textContent(), /Email or password is incorrect/);
  assert.equal(await page.inputValue('#email'), server.demo.users.sandbox_sender.email);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
  assert.equal(overflow, false, 'no horizontal scrolling on a phone');
  await context.close();
});
