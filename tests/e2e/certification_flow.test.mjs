// Issue 6 "Done when", end to end against the real server and Chromium: the demo app ("Acme Sign
// Connector") goes from an OAuth connection on a customer's sandbox account, 20+ real API calls
// on one day under trace capture (exported as HAR), ffmpeg-made videos, the questionnaire, the
// kickoff meeting and the rest of the submission evidence, through submission, the automated
// pre-review, assignment, a finding and its remedy (the review clock restarts: the server clock is
// moved forward through testing.clock_offset_file between submission and remedy), engineer
// approval, the promotion form and the final approver signing the certification envelope in
// Chromium (invitation over real SMTP), to certified and launched. Then a production account
// without the uncertified-apps setting connects the app and its token calls the API, the
// directory lists the app, and adding a scope opens a recertification request while production
// keeps the certified scopes.
//
// The tests run in order and share one server; each step waits on observable state (polling),
// never on time. The business calendar is fixed (UTC, Saturday/Sunday off, no holidays) and the
// test computes every due date itself.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { launchBrowser, startServer } from './harness.mjs';
import { authorizeUrl, exchangeCode, pkce, signIn, apiGet } from './oauth_support.mjs';
import { startSmtpSink, signingLink } from './smtp_sink.mjs';
import { apiClient, envelopeRequest, signerContext, acceptDisclosure, waitForRenderedPages, drawSignature }
  from './signing_support.mjs';
import {
  consoleUser, makeVideo, answersFor, writeClockOffset, businessDeadline, calendarDaysToBusinessDay, utcDate,
  sameInstant, approveAndCatchRedirect, eventually, certShot,
} from './certification_support.mjs';

const kAppName = 'Acme Sign Connector';
const kVideoLimit = 4718592;  // 4.5 MB: the certification.video_max_bytes default
// The certified configuration leaves out webhook:manage; adding it back later is the scope change
// that opens the recertification request.
const kAddedLater = 'webhook:manage';
const kSandboxScopes = ['account:read', 'user:read', 'envelope:read', 'envelope:write', 'envelope:send',
  'signing:embedded'];

let sink;
let server;
let browser;
let work;        // temporary directory: the clock offset file and the videos
let offsetFile;
let offsetSeconds = 0;
const people = {};  // console sessions of the demo users, by demo key
let app;            // { id, client_id, client_secret, redirect_uri }
let allScopes;      // the demo app's scopes as seeded
let sandboxToken;
let callDay;        // YYYY-MM-DD (UTC) of the happy-path calls
let har;            // the exported HAR text
let request;        // the certification request as last read
let findingId;
let submittedDue;   // review_clock.due_at at submission
const contexts = [];

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'cs-cert-e2e-'));
  offsetFile = join(work, 'clock-offset');
  writeClockOffset(offsetFile, 0);
  sink = await startSmtpSink();
  server = await startServer(null, {
    env: {
      COUNTERSIGN_SMTP_HOST: '127.0.0.1',
      COUNTERSIGN_SMTP_PORT: String(sink.port),
      COUNTERSIGN_SMTP_TLS: 'none',
      COUNTERSIGN_TESTING_CLOCK_OFFSET_FILE: offsetFile,
      COUNTERSIGN_CERTIFICATION_TIME_ZONE: 'UTC',
      COUNTERSIGN_CERTIFICATION_WEEKEND: 'sat,sun',
      // The partner's staging instance is on loopback in this test.
      COUNTERSIGN_WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true',
    },
  });
  browser = await launchBrowser();
  app = { ...server.demo.app };
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  for (const p of Object.values(people)) await p.context.close().catch(() => {});
  await browser?.close();
  await server?.stop();
  await sink?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function person(key) {
  if (!people[key]) people[key] = await consoleUser(browser, server.url, server.demo.users[key], key);
  return people[key];
}

const requestPath = (suffix = '') => `/v1/certification/requests/${request.id}${suffix}`;

async function readRequest(as = 'partner_admin') {
  const res = await (await person(as)).api('GET', requestPath());
  assert.equal(res.status, 200, res.text);
  request = res.body;
  return request;
}

async function waitForState(state, what = `the request to reach ${state}`) {
  return eventually(async () => ((await readRequest()).state === state ? request : null), { timeoutMs: 60000, what });
}

const fromPartner = (to) => (m) => m.envelope.to.includes(server.demo.users.partner_admin.email) && m.subject === to;

// Sandbox or production consent in Chromium: the real sign-in page, the consent page, the
// redirect with the code; the code exchanged with the PKCE verifier.
async function connect(userKey, accountId, scopes, shot) {
  const context = await browser.newContext();
  contexts.push(context);
  const page = await context.newPage();
  const state = randomBytes(12).toString('base64url');
  const { verifier, challenge } = pkce();
  await page.goto(authorizeUrl(server.url, app, { scope: scopes.join(' '), state, challenge }));
  assert.equal(new URL(page.url()).pathname, '/login', 'the authorize request asks the customer to sign in');
  await signIn(page, server.demo.users[userKey]);
  await page.waitForSelector('#consent-form');
  assert.equal(await page.locator('#app-name').textContent(), kAppName);
  await page.selectOption('#account_id', accountId);
  const badge = (await page.locator('#certification-badge').textContent()).trim();
  if (shot) await certShot(page, shot);
  const callback = await approveAndCatchRedirect(page, app.redirect_uri);
  assert.equal(callback.searchParams.get('state'), state, 'state comes back unchanged');
  const code = callback.searchParams.get('code');
  if (!code) return { error: callback.searchParams.get('error'), description: callback.searchParams.get('error_description'), badge };
  const token = await exchangeCode(server.url, app, code, verifier);
  assert.equal(token.status, 200, JSON.stringify(token.body));
  return { token: token.body, badge };
}

test('1. a customer connects the demo app to its sandbox account: login, consent, code + PKCE', async () => {
  const partner = await person('partner_admin');
  const apps = await partner.api('GET', '/v1/apps');
  assert.equal(apps.status, 200, apps.text);
  const found = apps.body.data.find((a) => a.client_id === app.client_id);
  assert.ok(found, 'the seeded demo app is listed for its partner');
  assert.equal(found.name, kAppName);
  app.id = found.id;
  allScopes = found.current_version.scopes;
  assert.ok(allScopes.includes(kAddedLater));
  // The version to certify leaves out webhook:manage (removing a scope takes effect at once).
  const patched = await partner.api('PATCH', `/v1/apps/${app.id}`, { scopes: allScopes.filter((s) => s !== kAddedLater) });
  assert.equal(patched.status, 200, patched.text);
  assert.ok(!patched.body.current_version.scopes.includes(kAddedLater));
  assert.equal(patched.body.pending_version, null);
  // The directory listing the partner maintains (shown once the app is certified).
  const listing = await partner.api('PUT', `/v1/apps/${app.id}/listing`, {
    connect_url: 'https://acme-integrations.example/connect/countersign',
    collateral: [{ label: 'Integration guide', url: 'https://acme-integrations.example/guide.pdf' }],
    categories: ['document-generation'],
  });
  assert.equal(listing.status, 200, listing.text);

  // Globex Sandbox belongs to no partner org: an account the app's partner does not own.
  const sandbox = server.demo.accounts.sandbox.id;
  const { token, badge } = await connect('sandbox_admin', sandbox, kSandboxScopes, 'consent-sandbox');
  assert.notEqual(badge, 'Certified');
  assert.match(token.access_token, /^cs_at_/);
  assert.equal(token.account_id, sandbox);
  sandboxToken = token.access_token;
});

test('2. trace capture on, at least 20 successful API calls on one day, exported as HAR', async () => {
  const partner = await person('partner_admin');
  const started = await partner.api('POST', `/v1/apps/${app.id}/trace-capture`, { duration_minutes: 30, max_requests: 200 });
  assert.equal(started.status, 201, started.text);
  const capture = started.body;

  const api = apiClient(server.url, sandboxToken);
  let made;
  // Every call of one burst on one UTC day (a burst straddling midnight is simply repeated).
  do {
    callDay = utcDate(Date.now());
    made = [];
    for (let i = 0; i < 5; i += 1) {
      const signer = { name: `Customer ${i}`, email: `customer${i}@globex-customers.example`, client_user_id: `crm-user-${i}` };
      const created = await api('POST', '/v1/envelopes', envelopeRequest({ subject: `Acme order ${i}`, signers: [signer] }));
      assert.equal(created.status, 201, JSON.stringify(created.body));
      made.push(created.status);
      const env = created.body;
      // Status once per envelope (the polling rule), its events, and an embedded signing view.
      for (const [method, path, body] of [
        ['GET', `/v1/envelopes/${env.id}`],
        ['GET', `/v1/envelopes/${env.id}/events`],
        ['POST', `/v1/envelopes/${env.id}/views/recipient`,
          { client_user_id: signer.client_user_id, return_url: 'https://acme-integrations.example/signed' }],
      ]) {
        const res = await api(method, path, body);
        assert.ok(res.status >= 200 && res.status < 300, `${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
        made.push(res.status);
      }
    }
    for (const path of [`/v1/accounts/${server.demo.accounts.sandbox.id}`, '/v1/envelopes']) {
      const res = await api('GET', path);
      assert.equal(res.status, 200, `${path}: ${JSON.stringify(res.body)}`);
      made.push(res.status);
    }
  } while (utcDate(Date.now()) !== callDay);
  assert.ok(made.length >= 20, `${made.length} successful calls`);

  // The call log is written in batches: wait until the day shows the 20 happy-path calls.
  const happy = await eventually(async () => {
    const res = await partner.api('GET', `/v1/apps/${app.id}/calls/happy-path?date=${callDay}&time_zone=UTC`);
    assert.equal(res.status, 200, res.text);
    return (res.body.calls ?? res.body.data ?? []).length >= 20 ? res.body : null;
  }, { what: 'the 20 happy-path calls in the call log' });
  assert.ok(happy);

  // The captured exchanges are stored after their responses went out: wait for all of them.
  har = await eventually(async () => {
    const res = await partner.api('GET', `/v1/apps/${app.id}/trace-captures/${capture.id}/export?format=har`);
    assert.equal(res.status, 200, res.text);
    return res.body.log.entries.length >= made.length ? res.text : null;
  }, { what: `${made.length} captured exchanges` });
  const parsed = JSON.parse(har);
  assert.equal(parsed.log.version, '1.2');
  const methods = new Set(parsed.log.entries.map((e) => `${e.request.method} ${new URL(e.request.url).pathname.split('/').slice(0, 3).join('/')}`));
  assert.ok(methods.has('POST /v1/envelopes') && methods.has('GET /v1/envelopes'), [...methods].join(', '));
  assert.ok(!har.includes(sandboxToken), 'the HAR holds no access token');
  const stopped = await partner.api('DELETE', `/v1/apps/${app.id}/trace-capture`);
  assert.ok([200, 204].includes(stopped.status), stopped.text);
});

test('3. the partner opens the request and supplies the evidence; the staff record the kickoff', async () => {
  const partner = await person('partner_admin');
  const opened = await partner.api('POST', '/v1/certification/requests', { app_id: app.id });
  assert.equal(opened.status, 201, opened.text);
  request = opened.body;
  assert.equal(request.state, 'draft');
  assert.equal(request.kind, 'initial');

  // Nothing supplied yet: submission is refused requirement by requirement.
  const early = await partner.api('POST', requestPath('/submit'));
  assert.equal(early.status, 422, early.text);
  assert.equal(early.body.code, 'requirements_unmet');
  const missingIds = early.body.missing.map((m) => m.requirement_id);
  for (const id of ['QUES-1', 'VID-1', 'TRC-1', 'API-1']) assert.ok(missingIds.includes(id), `${id} missing: ${missingIds}`);
  assert.equal((await readRequest()).state, 'draft', 'the refused submit changed nothing');

  // Videos made with ffmpeg: the normal flow, and the exception flows in a second video.
  const normal = makeVideo(work, 'normal-flow.mp4', { source: 'testsrc', seconds: 4 });
  const exception = makeVideo(work, 'exception-flows.mp4', { source: 'smptebars', seconds: 3 });
  for (const [video, label] of [[normal, 'normal'], [exception, 'exception']]) {
    assert.ok(video.size < kVideoLimit, `${video.name} is under 4.5 MB (${video.size} bytes)`);
    const up = await partner.upload(requestPath('/artifacts'), { kind: 'video', labels: label }, video);
    assert.equal(up.status, 201, JSON.stringify(up.body));
    assert.deepEqual(up.body.labels, [label]);
    assert.ok(up.body.duration_seconds > 2, `the probed duration is recorded: ${up.body.duration_seconds}`);
  }
  // A renamed non-video file is refused.
  const fake = await partner.upload(requestPath('/artifacts'), { kind: 'video', labels: 'normal' },
    { name: 'not-a-video.mp4', mimeType: 'video/mp4', buffer: Buffer.from(har) });
  assert.equal(fake.status, 422, JSON.stringify(fake.body));

  // The trace capture's HAR, as exported: covers send, sign and track and holds no live secret.
  const trace = await partner.upload(requestPath('/artifacts'), { kind: 'trace' },
    { name: 'acme-capture.har', mimeType: 'application/json', buffer: Buffer.from(har) });
  assert.equal(trace.status, 201, JSON.stringify(trace.body));
  assert.equal(trace.body.live_secrets, 0, JSON.stringify(trace.body.detail));

  // The questionnaire, answered from the served definition (OWASP checklist and the
  // token-encryption attestations included).
  const definition = await partner.api('GET', '/v1/certification/questionnaire');
  assert.equal(definition.status, 200, definition.text);
  const answered = await partner.api('PUT', requestPath('/questionnaire'), {
    answers: answersFor(definition.body, {
      'integration.summary': 'Acme generates contracts from CRM data, sends them for signature and tracks them.',
      'integration.signing_experience': ['email', 'embedded'],
    }),
  });
  assert.equal(answered.status, 200, answered.text);
  assert.equal(answered.body.complete, true, JSON.stringify(answered.body.missing));
  assert.equal(answered.body.owasp_checklist_answered, true);
  assert.equal(answered.body.token_encryption_attested, true);

  // Reviewer access to the partner's staging instance (stored encrypted).
  const access = await partner.api('PUT', requestPath('/instance-access'), {
    url: 'https://127.0.0.1:9443/acme-staging', username: 'countersign-review', password: `pw-${randomBytes(9).toString('hex')}`,
    notes: 'Tenant "review"; MFA disabled for this user.',
  });
  assert.equal(access.status, 200, access.text);
  assert.equal((await partner.api('GET', requestPath('/instance-access'))).body.given, true);

  // The call-log date: the day of the 20 calls.
  const dated = await partner.api('PUT', requestPath('/call-log-date'), { call_log_date: callDay });
  assert.equal(dated.status, 200, dated.text);

  // The kickoff: recorded by the partner manager with the recording; all three roles required.
  const manager = await person('partner_manager');
  const security = await person('security_reviewer');
  const consultant = await person('solution_consultant');
  const recording = makeVideo(work, 'kickoff-recording.mp4', { source: 'testsrc2', seconds: 5 });
  const rec = await manager.upload(requestPath('/artifacts'), { kind: 'meeting_recording' }, recording);
  assert.equal(rec.status, 201, JSON.stringify(rec.body));
  const incomplete = await manager.api('PUT', requestPath('/kickoff'),
    { held_on: callDay, participants: [manager.id, security.id], recording_artifact_id: rec.body.id });
  assert.equal(incomplete.status, 422, incomplete.text);
  assert.equal(incomplete.body.code, 'requirements_unmet');
  const kickoff = await manager.api('PUT', requestPath('/kickoff'), {
    held_on: callDay, participants: [manager.id, security.id, consultant.id], recording_artifact_id: rec.body.id,
    notes: 'Acme demonstrated the OAuth connection and the send / track / sign flow.',
  });
  assert.equal(kickoff.status, 200, kickoff.text);
  assert.deepEqual(kickoff.body.missing, []);
  assert.equal(kickoff.body.recording_artifact_id, rec.body.id);
});

test('4. submission starts the 6-business-day review clock; the pre-review finds the 20 happy-path calls', async () => {
  const partner = await person('partner_admin');
  const submitted = await partner.api('POST', requestPath('/submit'));
  assert.equal(submitted.status, 200, submitted.text);
  request = submitted.body;
  assert.equal(request.state, 'submitted');
  assert.ok(sameInstant(request.review_clock.started_at, request.submitted_at));
  assert.equal(new Date(request.review_clock.due_at).toISOString(), businessDeadline(request.submitted_at, 6));
  submittedDue = request.review_clock.due_at;
  assert.equal(request.clock.kind, 'review');
  await sink.waitFor(fromPartner(`Certification request submitted: ${kAppName}`), { what: 'the submission notice' });

  const run = await eventually(async () => {
    const res = await partner.api('GET', requestPath('/pre-review'));
    return res.status === 200 && res.body.status === 'done' ? res.body : null;
  }, { timeoutMs: 60000, what: 'the automated pre-review' });
  const check = (id) => run.report.checks.find((c) => c.requirement_id === id);
  const happy = check('API-2');
  assert.equal(happy.outcome, 'pass', JSON.stringify(happy));
  assert.equal(happy.evidence.found, 20);
  assert.equal(happy.evidence.date, callDay);
  assert.equal(happy.evidence.calls.length, 20);
  for (const c of happy.evidence.calls) {
    assert.ok(c.status >= 200 && c.status < 300);
    assert.equal(c.at.slice(0, 10), callDay);
  }
  for (const id of ['OAUTH-1', 'OAUTH-2', 'QUES-1', 'VID-1', 'VID-2', 'TRC-1', 'TRC-2', 'API-1', 'API-3']) {
    assert.equal(check(id)?.outcome, 'pass', `${id}: ${JSON.stringify(check(id))}`);
  }
});

test('5. assignment, a finding, the remedy: the review clock restarts from the remedy (controlled clock)', async () => {
  const manager = await person('partner_manager');
  const engineer = await person('certification_engineer');
  const security = await person('security_reviewer');
  for (const [role, who] of [['certification_engineer', engineer], ['security_reviewer', security]]) {
    const res = await manager.api('POST', requestPath('/assignments'), { role, user_id: who.id });
    assert.equal(res.status, 201, res.text);
  }
  assert.equal((await readRequest()).state, 'in_review');

  const filed = await security.api('POST', requestPath('/findings'), {
    requirement_id: 'SEC-5', severity: 'medium',
    description: 'The staging instance sets its session cookie without the Secure attribute.',
    evidence: 'Set-Cookie: acme_session=...; Path=/; HttpOnly',
  });
  assert.equal(filed.status, 201, filed.text);
  findingId = filed.body.id;
  assert.equal((await readRequest()).state, 'changes_requested');
  assert.equal(request.clock, null, 'no review clock runs while the partner has the ball');
  await sink.waitFor(fromPartner(`Changes requested: ${kAppName}`), { what: 'the changes-requested notice' });

  // The partner takes a few business days: the server clock moves 2 business days ahead.
  const realNow = Date.now();
  offsetSeconds = calendarDaysToBusinessDay(realNow, 2) * 86400;
  writeClockOffset(offsetFile, offsetSeconds);
  // Console sessions idle for days have expired on the server: everyone signs in again.
  for (const p of Object.values(people)) await p.reSignIn();
  const partner = await person('partner_admin');
  // The partner's evidence for the finding; its upload time shows the server's clock moved.
  const fix = await partner.upload(requestPath('/artifacts'), { kind: 'supplemental', finding_id: findingId },
    { name: 'secure-cookie-fix.txt', mimeType: 'text/plain', buffer: Buffer.from('Set-Cookie: acme_session=...; Secure; HttpOnly\n') });
  assert.equal(fix.status, 201, JSON.stringify(fix.body));
  assert.ok(new Date(fix.body.uploaded_at).getTime() >= realNow + offsetSeconds * 1000,
    `the server clock runs ${offsetSeconds} s ahead: ${fix.body.uploaded_at}`);

  const early = await partner.api('POST', requestPath('/remedy'));
  assert.equal(early.status, 422, 'remedy waits for a response to every open finding');
  const responded = await partner.api('POST', requestPath(`/findings/${findingId}/response`),
    { response: 'The cookie now carries Secure; see the attached configuration change.' });
  assert.equal(responded.status, 200, responded.text);

  const remedied = await partner.api('POST', requestPath('/remedy'));
  assert.equal(remedied.status, 200, remedied.text);
  request = remedied.body;
  assert.equal(request.state, 'in_review', 'staffed already: the remedied request goes straight back to review');
  assert.equal(request.remedy_rounds, 1);
  const restarted = new Date(request.review_clock.started_at).getTime();
  assert.ok(restarted >= realNow + offsetSeconds * 1000, 'the clock restarted at the remedy, in server time');
  assert.equal(new Date(request.review_clock.due_at).toISOString(), businessDeadline(request.review_clock.started_at, 6),
    'due 6 business days after the remedy');
  assert.ok(new Date(request.review_clock.due_at) > new Date(submittedDue), 'the due date moved');
  assert.equal(request.clock.kind, 'review');
  assert.equal(request.clock.status, 'on_track');
  const history = (await partner.api('GET', requestPath('/history'))).body.data;
  const remedy = history.find((h) => h.action === 'remedy');
  assert.ok(remedy && sameInstant(remedy.at, request.review_clock.started_at), JSON.stringify(remedy));
  await sink.waitFor(fromPartner(`Resubmitted after remedy: ${kAppName}`), { what: 'the remedy notice' });

  // The pre-review runs again on the resubmission and still finds the 20 calls on the chosen day.
  const rerun = await eventually(async () => {
    const res = await partner.api('GET', requestPath('/pre-review'));
    return res.status === 200 && res.body.status === 'done' && new Date(res.body.requested_at).getTime() >= restarted
      ? res.body : null;
  }, { timeoutMs: 60000, what: 'the pre-review of the resubmission' });
  assert.equal(rerun.report.checks.find((c) => c.requirement_id === 'API-2').outcome, 'pass');
});

test('6. the finding closed, encryption confirmed, waivers, engineer approval, the promotion form', async () => {
  const engineer = await person('certification_engineer');
  const security = await person('security_reviewer');
  const partner = await person('partner_admin');

  const tooSoon = await engineer.api('POST', requestPath('/approve'));
  assert.equal(tooSoon.status, 422, tooSoon.text);
  assert.equal(tooSoon.body.code, 'requirements_unmet');

  const closed = await security.api('POST', requestPath(`/findings/${findingId}/close`), { note: 'Verified on staging.' });
  assert.equal(closed.status, 200, closed.text);
  assert.equal(closed.body.status, 'closed');
  const credentials = await security.api('GET', requestPath('/instance-access/credentials'));
  assert.equal(credentials.status, 200, 'the assigned reviewer reads the instance credentials');
  assert.equal((await partner.api('GET', requestPath('/instance-access/credentials'))).status, 403,
    'the partner never reads them back');
  const confirmed = await security.api('POST', requestPath('/encryption-confirmation'));
  assert.equal(confirmed.status, 200, confirmed.text);
  assert.equal(confirmed.body.encryption_confirmed, true);

  // Checks the pre-review leaves to the reviewer are waived by the engineer, with a reason.
  const run = (await engineer.api('GET', requestPath('/pre-review'))).body;
  for (const c of run.report.checks.filter((x) => x.outcome !== 'pass')) {
    assert.notEqual(c.outcome, 'fail', `no automated check fails: ${JSON.stringify(c)}`);
    const waived = await engineer.api('POST', requestPath(`/checks/${c.requirement_id}/waive`),
      { reason: `Reviewed by hand: ${c.summary}` });
    assert.equal(waived.status, 201, waived.text);
  }
  const approved = await engineer.api('POST', requestPath('/approve'));
  assert.equal(approved.status, 200, approved.text);
  assert.equal(approved.body.state, 'engineer_approved');
  const notice = await sink.waitFor(fromPartner(`Engineering review approved: ${kAppName}`), { what: 'the approval notice' });
  assert.match(notice.text, /\/promotion/, 'the notice links the promotion form');

  const serverToday = new Date(Date.now() + offsetSeconds * 1000);
  const form = {
    system_integrator_name: 'Acme Integrations', technical_contact_name: 'Dev Acme',
    technical_contact_email: 'developer@acme-integrations.example', technical_contact_phone: '+4930123456789',
    production_date_estimate: utcDate(serverToday.getTime() + 30 * 86400 * 1000),
  };
  const wrongKey = await partner.api('POST', requestPath('/promotion'), { ...form, integration_key: 'not-the-client-id' });
  assert.equal(wrongKey.status, 422, wrongKey.text);
  assert.equal(wrongKey.body.field, 'integration_key', wrongKey.text);
  const promoted = await partner.api('POST', requestPath('/promotion'), { ...form, integration_key: app.client_id });
  assert.equal(promoted.status, 200, promoted.text);
  assert.equal(promoted.body.state, 'promotion_requested');
});

test('7. final review: the final approver gets the certification envelope over SMTP and signs it in Chromium', async () => {
  const approver = server.demo.users.final_approver;
  const invitation = await sink.waitFor((m) => m.envelope.to.includes(approver.email) &&
    m.subject.startsWith(`Certification of ${kAppName}`), { timeoutMs: 60000, what: 'the certification envelope' });
  const link = signingLink(invitation);
  assert.ok(link?.startsWith(server.url), `the invitation links this server's signing page:\n${invitation.text}`);
  const inReview = await waitForState('final_review');
  assert.equal(new Date(inReview.final_clock.due_at).toISOString(), businessDeadline(inReview.final_clock.started_at, 3),
    "the final approver's 3 business days");

  const { context, problems } = await signerContext(browser, server.url, { viewport: { width: 1100, height: 900 } });
  contexts.push(context);
  const page = await context.newPage();
  assert.equal((await page.goto(link)).status(), 200);
  await acceptDisclosure(page, null);
  await waitForRenderedPages(page);
  await drawSignature(page);
  await certShot(page, 'final-approver-signs');
  await Promise.all([page.waitForURL(/\/complete\?proof=/), page.click('#finish')]);
  assert.match(await page.locator('#outcome-heading').textContent(), /you have signed/i);
  await certShot(page, 'final-approver-signed');
  assert.deepEqual(problems.csp, [], 'no CSP violations');
  assert.deepEqual(problems.errors, [], 'no page errors');
});

test('8. certified and launched: the notices go out; production connects without the setting; the directory lists it', async () => {
  const launched = await waitForState('launched');
  assert.ok(launched.certified_at && launched.launched_at);
  await sink.waitFor(fromPartner(`Certified: ${kAppName}`), { what: 'the certified notice' });
  await sink.waitFor(fromPartner(`Certification completed: ${kAppName}`), { what: 'the completed certification envelope notice' });
  await sink.waitFor(fromPartner(`Production activated: ${kAppName}`), { what: 'the production-activation email' });
  const partner = await person('partner_admin');
  const final = await partner.api('GET', requestPath('/final-review'));
  assert.equal(final.status, 200, final.text);
  assert.equal(final.body.envelope.status, 'completed');
  const certificate = await partner.api('GET', requestPath('/final-review/certificate'));
  assert.equal(certificate.status, 200);
  assert.ok(certificate.text.startsWith('%PDF-'), 'the certificate is a PDF');

  const appNow = (await partner.api('GET', `/v1/apps/${app.id}`)).body;
  assert.equal(appNow.current_version.certification, 'certified');
  assert.deepEqual([...appNow.certified_version.scopes].sort(), allScopes.filter((s) => s !== kAddedLater).sort());

  // Globex (production) never turned on "allow uncertified partner applications".
  const admin = await person('production_admin');
  const production = server.demo.accounts.production.id;
  const settings = await admin.api('GET', `/v1/accounts/${production}/settings/security`);
  assert.equal(settings.status, 200, settings.text);
  assert.equal(settings.body.allow_uncertified_apps, false, settings.text);
  const { token, badge } = await connect('production_admin', production, ['account:read', 'user:read', 'envelope:read'],
    'consent-production-certified');
  assert.equal(badge, 'Certified');
  const account = await apiGet(server.url, `/v1/accounts/${production}`, token.access_token);
  assert.equal(account.status, 200, JSON.stringify(account.body));
  assert.equal(account.body.id, production);
  const envelopes = await apiGet(server.url, '/v1/envelopes', token.access_token);
  assert.equal(envelopes.status, 200, JSON.stringify(envelopes.body));

  const listed = await fetch(new URL('/v1/directory/apps', server.url)).then((r) => r.json());
  const entry = listed.data.find((a) => a.id === app.id);
  assert.ok(entry, 'the directory lists the certified app');
  assert.equal(entry.name, kAppName);
  assert.equal(entry.partner.name, 'Acme Integrations');
  assert.equal(entry.connect_url, 'https://acme-integrations.example/connect/countersign');
  assert.ok(!entry.scopes.some((s) => s.name === kAddedLater));
  const visitor = await browser.newContext();
  contexts.push(visitor);
  const page = await visitor.newPage();
  await page.goto(`${server.url}/directory`);
  assert.ok((await page.locator('a.app-link').allTextContents()).includes(kAppName));
  await certShot(page, 'directory');
  await page.click(`a.app-link:has-text("${kAppName}")`);
  assert.equal(new URL(page.url()).pathname, `/directory/apps/${app.id}`);
  assert.equal(await page.locator('#connect').getAttribute('href'), 'https://acme-integrations.example/connect/countersign');
  await certShot(page, 'directory-app');
});

test('9. adding a scope opens a recertification request; production keeps the certified scopes', async () => {
  const partner = await person('partner_admin');
  const patched = await partner.api('PATCH', `/v1/apps/${app.id}`, { scopes: allScopes });
  assert.equal(patched.status, 200, patched.text);
  assert.ok(patched.body.pending_version, 'the added scope makes a pending version');
  assert.ok(!patched.body.certified_version.scopes.includes(kAddedLater));
  assert.ok(JSON.stringify(patched.body.pending_diff).includes(kAddedLater), JSON.stringify(patched.body.pending_diff));

  const list = await partner.api('GET', `/v1/certification/requests?app_id=${app.id}`);
  assert.equal(list.status, 200, list.text);
  const recert = list.body.data.find((r) => r.kind === 'recertification');
  assert.ok(recert, `a recertification request was opened: ${JSON.stringify(list.body.data.map((r) => [r.kind, r.state]))}`);
  assert.equal(recert.state, 'draft');
  assert.equal(recert.app_version_id, patched.body.pending_version.id);
  assert.equal(list.body.data.find((r) => r.id === request.id).state, 'launched', 'the initial request stays launched');

  // Production: the consent for the new scope is refused; with the certified scopes a token is
  // issued, and it carries only them.
  const production = server.demo.accounts.production.id;
  const refused = await connect('production_admin', production, ['account:read', kAddedLater], 'consent-production-pending-scope');
  assert.equal(refused.error, 'invalid_scope', refused.description);
  const certified = await connect('production_admin', production, ['account:read', 'envelope:read']);
  assert.ok(certified.token, JSON.stringify(certified));
  assert.ok(!certified.token.scope.split(' ').includes(kAddedLater), certified.token.scope);
  const hooks = await apiGet(server.url, '/v1/webhooks', certified.token.access_token);
  assert.equal(hooks.status, 403, 'the production token cannot use the uncertified scope');
  // Sandbox already runs the pending version.
  const sandbox = await connect('sandbox_admin', server.demo.accounts.sandbox.id, ['account:read', kAddedLater]);
  assert.ok(sandbox.token?.scope.split(' ').includes(kAddedLater), JSON.stringify(sandbox));

  // The directory keeps showing the certified version.
  const entry = await fetch(new URL(`/v1/directory/apps/${app.id}`, server.url)).then((r) => r.json());
  assert.equal(entry.certified_version, patched.body.certified_version.number);
  assert.ok(!entry.scopes.some((s) => s.name === kAddedLater), JSON.stringify(entry.scopes));
});
