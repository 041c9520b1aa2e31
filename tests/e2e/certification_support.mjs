// Helpers of the certification browser test (issue 6 "Done when"): console sessions of the demo
// users signed in through the real login page, JSON and multipart calls with their CSRF token,
// videos made with ffmpeg, questionnaire answers from the served definition, the controlled
// server clock (testing.clock_offset_file) and the team's business calendar as the test computes
// it independently of the server.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { screenshotDir } from './harness.mjs';
import { signIn } from './oauth_support.mjs';

export { eventually } from './signing_support.mjs';

export async function certShot(page, name) {
  await page.screenshot({ path: join(screenshotDir, `certification-${name}.png`), fullPage: true });
}

// A demo user signed in through /login in a browser context of their own. `api` sends JSON (or
// nothing) with the session cookie and the CSRF header; `upload` sends multipart/form-data.
// `reSignIn` starts a fresh session (after the server clock jumped past the idle timeout).
export async function consoleUser(browser, base, user, name) {
  const context = await browser.newContext();
  const session = { name, user, context, csrf: null, id: null };
  session.reSignIn = async () => {
    await context.clearCookies();
    const page = await context.newPage();
    await page.goto(`${base}/login`);
    await signIn(page, user);
    await page.goto(`${base}/`);
    session.csrf = await page.locator('input[name=csrf_token]').first().inputValue();
    await page.close();
    assert.ok(session.csrf, `${name}: the home page carries the CSRF token`);
  };
  session.api = async (method, path, body) => {
    const res = await context.request.fetch(`${base}${path}`, {
      method,
      headers: { 'X-CSRF-Token': session.csrf, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      data: body !== undefined ? JSON.stringify(body) : undefined,
      failOnStatusCode: false,
    });
    const text = await res.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { json = text; }
    return { status: res.status(), body: json, text };
  };
  // fields: { kind, labels?, finding_id? }; file: { name, mimeType, buffer }.
  session.upload = async (path, fields, file) => {
    const res = await context.request.post(`${base}${path}`, {
      headers: { 'X-CSRF-Token': session.csrf },
      multipart: { ...fields, file: { name: file.name, mimeType: file.mimeType, buffer: file.buffer } },
      failOnStatusCode: false,
    });
    const text = await res.text();
    let json = null;
    try { json = JSON.parse(text); } catch { json = text; }
    return { status: res.status(), body: json };
  };
  await session.reSignIn();
  const me = await session.api('GET', '/v1/users/me');
  assert.equal(me.status, 200, `${name}: GET /v1/users/me ${me.text}`);
  session.id = me.body.id;
  return session;
}

// A short real video: ffmpeg's lavfi test sources encoded as H.264 in MP4 (yuv420p, so any
// player and libavformat read it). `source` is a lavfi source such as testsrc or smptebars.
export function makeVideo(dir, name, { source = 'testsrc', seconds = 3, size = '320x240' } = {}) {
  const path = join(dir, name);
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi',
    '-i', `${source}=size=${size}:rate=15:duration=${seconds}`,
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-movflags', '+faststart', path]);
  const bytes = readFileSync(path);
  assert.ok(bytes.length > 1000, `${name}: ffmpeg wrote a video`);
  return { name, mimeType: 'video/mp4', buffer: bytes, size: statSync(path).size };
}

// Answers every question of the served questionnaire definition by its type; `overrides` by id.
export function answersFor(definition, overrides = {}) {
  const answers = {};
  for (const section of definition.sections ?? definition.section ?? []) {
    for (const q of section.questions ?? section.question ?? []) {
      let a;
      switch (q.type) {
        case 'text': a = `Acme Sign Connector: ${q.text}`; break;
        case 'url': a = 'https://acme-integrations.example/docs/countersign'; break;
        case 'boolean': a = false; break;
        case 'choice': a = q.options[0]; break;
        case 'multi_choice': a = [q.options[0]]; break;
        case 'checklist': a = { status: q.options[0], note: `Covered by our secure development process (${q.id}).` }; break;
        case 'attestation': a = true; break;
        default: throw new Error(`unknown question type ${q.type} (${q.id})`);
      }
      answers[q.id] = a;
    }
  }
  return { ...answers, ...overrides };
}

// --- the controlled server clock --------------------------------------------------------------

// Atomically replaces the offset file (write + rename), so the server never reads half a number.
export function writeClockOffset(file, seconds) {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, `${Math.trunc(seconds)}\n`);
  renameSync(tmp, file);
}

// --- the team's business calendar (UTC, Saturday and Sunday off, no holidays) ------------------
// The server is started with exactly this calendar; the test computes deadlines on its own so a
// wrong server computation fails the test.
const kDayMs = 86400 * 1000;
const isBusinessDay = (dayStartMs) => { const d = new Date(dayStartMs).getUTCDay(); return d !== 0 && d !== 6; };
const utcDayStart = (ms) => Math.floor(ms / kDayMs) * kDayMs;

// The end of the Nth business day after the instant's date (that date itself does not count):
// DESIGN's and core/business_calendar.hpp's definition, i.e. the midnight starting the next day.
export function businessDeadline(instant, days) {
  let day = utcDayStart(new Date(instant).getTime());
  for (let n = 0; n < days;) {
    day += kDayMs;
    if (isBusinessDay(day)) n += 1;
  }
  return new Date(day + kDayMs).toISOString();
}

// Whole days from the instant's date to the Nth business day after it.
export function calendarDaysToBusinessDay(instant, days) {
  const start = utcDayStart(new Date(instant).getTime());
  let day = start;
  for (let n = 0; n < days;) {
    day += kDayMs;
    if (isBusinessDay(day)) n += 1;
  }
  return (day - start) / kDayMs;
}

export const utcDate = (ms) => new Date(ms).toISOString().slice(0, 10);

// RFC 3339 with or without fractional seconds, compared as instants.
export const sameInstant = (a, b) => new Date(a).getTime() === new Date(b).getTime();

// The redirect the consent page answers (303 to the client's redirect URI), seen as the
// browser's next request; no listener has to run on the demo app's fixed callback port.
export async function approveAndCatchRedirect(page, redirectUri, selector = '#approve') {
  const redirected = page.waitForRequest((r) => r.url().startsWith(redirectUri), { timeout: 30000 });
  await page.click(selector, { noWaitAfter: true });
  return new URL((await redirected).url());
}
