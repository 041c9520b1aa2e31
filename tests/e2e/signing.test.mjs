// Issue 4 "Done when", in a real browser against the real server: an app token from the OAuth
// flow; a real PDF (qpdf); an envelope with two signers in routing order and a cc, sent; the
// invitations arrive over real SMTP at a sink; Chromium signs as signer 1 (drawn with the
// mouse) and signer 2 (typed); statuses and events progress; every webhook delivery is verified
// with the `standardwebhooks` reference library; the receiver is down for a while and the
// deliveries arrive after it returns; decline, void (the link then answers 410), embedded
// signing, a phone-sized screen, keyboard-only signing, and the pages' refusals.
//
// The tests run in order and share one server.
import { createServer } from 'node:http';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, startServer } from './harness.mjs';
import { startSmtpSink, signingLink } from './smtp_sink.mjs';
import { startWebhookReceiver } from './webhook_receiver.mjs';
import {
  appTokenThroughOAuth, apiClient, eventually, envelopeRequest, signerContext, shot, acceptDisclosure,
  waitForRenderedPages, drawSignature, tabTo, focusedLabel, noHorizontalScroll,
} from './signing_support.mjs';

const alice = { name: 'Alice Signer', email: 'alice@partner-customer.example' };
const bob = { name: 'Bob Cosigner', email: 'bob@partner-customer.example' };
const carol = { name: 'Carol Copy', email: 'carol@partner-customer.example' };

let sink;
let receiver;
let server;
let browser;
let api;
let sender;  // the demo sandbox admin, who consented: the envelopes' sender
let webhook;  // { id, secret }
const contexts = [];

before(async () => {
  sink = await startSmtpSink();
  receiver = await startWebhookReceiver();
  server = await startServer(null, {
    env: {
      COUNTERSIGN_SMTP_HOST: '127.0.0.1',
      COUNTERSIGN_SMTP_PORT: String(sink.port),
      COUNTERSIGN_SMTP_TLS: 'none',
      COUNTERSIGN_WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true',
      // Short automatic retries so a receiver that comes back gets its deliveries in seconds.
      COUNTERSIGN_WEBHOOKS_RETRY_SCHEDULE: '1s,2s,2s,2s,2s,2s,2s,2s,2s,2s',
    },
  });
  browser = await launchBrowser();
  const { token } = await appTokenThroughOAuth(browser, server);
  api = apiClient(server.url, token);
  sender = server.demo.users.sandbox_admin;
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await server?.stop();
  await receiver?.close();
  await sink?.close();
});

async function newSigner(options) {
  const s = await signerContext(browser, server.url, options);
  contexts.push(s.context);
  return s;
}

function assertClean(problems) {
  assert.deepEqual(problems.csp, [], 'no CSP violations');
  assert.deepEqual(problems.errors, [], 'no page errors');
  assert.deepEqual(problems.foreign, [], 'no third-party requests');
}

async function createEnvelope(spec) {
  const res = await api('POST', '/v1/envelopes', envelopeRequest(spec));
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body;
}

const getEnvelope = async (id) => (await api('GET', `/v1/envelopes/${id}`)).body;

async function invitationFor(who, subject) {
  const message = await sink.waitFor((m) => m.envelope.to.includes(who.email) && m.subject === subject,
    { what: `the invitation of ${who.email} for "${subject}"` });
  const link = signingLink(message);
  assert.ok(link, `the invitation carries a signing link:\n${message.text}`);
  assert.ok(link.startsWith(server.url), `the link points at this server: ${link}`);
  return link;
}

async function eventTypes(envelopeId) {
  const res = await api('GET', `/v1/envelopes/${envelopeId}/events`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const items = res.body.data;
  return items.map((e) => e.type);
}

// Webhook payloads name the envelope; accept the summary under data.envelope or data.
const deliveredFor = (deliveries, envelopeId) => deliveries
  .filter((d) => (d.payload?.data?.envelope?.id ?? d.payload?.data?.envelope_id ?? d.payload?.data?.id) === envelopeId)
  .map((d) => d.payload.type);

let first;  // the two-signer envelope

test('subscribe a webhook, create and send an envelope with two signers and a cc; invitation 1 over SMTP', async () => {
  const created = await api('POST', '/v1/webhooks', { url: receiver.url, events: ['*'], description: 'signing e2e' });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.match(created.body.secret, /^whsec_/);
  webhook = { id: created.body.id, secret: created.body.secret };
  receiver.setSecret(webhook.secret);
  const listed = await api('GET', `/v1/webhooks/${webhook.id}`);
  assert.equal(listed.body.secret, undefined, 'the secret is shown once');

  first = await createEnvelope({
    subject: 'Partner agreement 2026',
    signers: [
      { ...alice, routing_order: 1, fields: [
        { type: 'signature', page: 1, x: 72, y: 640, width: 200, height: 48 },
        { type: 'date_signed', page: 1, x: 300, y: 660, width: 120, height: 24 },
        { type: 'text', page: 1, x: 72, y: 200, width: 220, height: 24 },
      ] },
      { ...bob, routing_order: 2, fields: [
        { type: 'signature', page: 2, x: 72, y: 640, width: 200, height: 48 },
        { type: 'initials', page: 1, x: 480, y: 720, width: 60, height: 30 },
        { type: 'full_name', page: 2, x: 300, y: 660, width: 180, height: 24 },
      ] },
    ],
    ccs: [{ ...carol, routing_order: 3 }],
  });
  assert.equal(first.status, 'sent');
  await invitationFor(alice, 'Partner agreement 2026');
  // Routing order: signer 2 is not invited while signer 1 has not signed.
  assert.equal(sink.messages.filter((m) => m.envelope.to.includes(bob.email)).length, 0);
  const recipients = (await getEnvelope(first.id)).recipients;
  assert.equal(recipients.find((r) => r.email === bob.email).status, 'created');
});

test('signer 1 opens the link, accepts the disclosure, draws a signature and finishes', async () => {
  const link = await invitationFor(alice, 'Partner agreement 2026');
  const { context, problems } = await newSigner({ viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  const response = await page.goto(link);
  assert.equal(response.status(), 200);
  assert.equal((await getEnvelope(first.id)).status, 'delivered', 'opening the link delivers the envelope');
  await acceptDisclosure(page, 'disclosure');

  // The document page: strict CSP, the PDF drawn by pdf.js, this signer's fields over it.
  const csp = (await page.reload()).headers()['content-security-policy'];
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.match(csp, /worker-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
  await waitForRenderedPages(page);
  const fieldTypes = await page.locator('.field').evaluateAll((els) => els.map((e) => e.dataset.type));
  assert.deepEqual(fieldTypes, ['text', 'signature', 'date_signed'], "only this signer's fields, in order");
  assert.match(await page.locator('#field-progress').textContent(), /1 of 2 required fields complete/);

  // Finish without the required text field, as a plain form post: the page again with the
  // error (422), nothing signed.
  const csrf = await page.locator('#sign-form input[name=csrf_token]').inputValue();
  const missing = await context.request.post(`${link}/finish`,
    { form: { csrf_token: csrf, signature_kind: 'typed', typed_name: alice.name } });
  assert.equal(missing.status(), 422);
  assert.match(await missing.text(), /id="sign-error"/);
  assert.equal((await getEnvelope(first.id)).recipients.find((r) => r.email === alice.email).status, 'delivered');

  await page.click('#next-field');
  assert.match(await focusedLabel(page), /^Text, field 1 of 2, required/);
  await page.keyboard.type('Globex purchase order 4711');
  await drawSignature(page);
  assert.match(await page.locator('#field-progress').textContent(), /2 of 2 required fields complete/);
  assert.equal(await page.locator('.field-signature .target-preview img').count(), 1, 'the drawn signature is shown on the field');
  await shot(page, 'document-drawn');
  await Promise.all([page.waitForURL(/\/complete\?proof=/), page.click('#finish')]);
  assert.match(await page.locator('#outcome-heading').textContent(), /you have signed/i);
  await shot(page, 'complete');

  const env = await getEnvelope(first.id);
  const a = env.recipients.find((r) => r.email === alice.email);
  assert.equal(a.status, 'completed');
  assert.equal(env.status, 'delivered', 'one signer left');
  const text = env.fields.find((f) => f.type === 'text');
  assert.equal(text.value, 'Globex purchase order 4711');

  // Signing twice: the link now says so (409) and a replayed Finish changes nothing.
  const again = await page.goto(link);
  assert.equal(again.status(), 409);
  assert.match(await page.locator('#outcome-heading').textContent(), /already signed/i);
  const replay = await context.request.post(`${link}/finish`,
    { form: { csrf_token: csrf, signature_kind: 'typed', typed_name: 'Mallory' } });
  assert.equal(replay.status(), 409);
  assert.equal((await getEnvelope(first.id)).recipients.find((r) => r.email === alice.email).status, 'completed');

  // Each step is recorded with the signer's IP and browser.
  const events = (await api('GET', `/v1/envelopes/${first.id}/events`)).body.data;
  const userAgent = await page.evaluate(() => navigator.userAgent);
  for (const type of ['recipient.delivered', 'recipient.completed']) {
    const e = events.find((x) => x.type === type && x.recipient_id === a.id);
    assert.ok(e, `${type} for signer 1`);
    assert.equal(e.ip, '127.0.0.1');
    assert.equal(e.user_agent, userAgent);
  }
  assertClean(problems);
});

test('signer 2 is invited next and signs with a typed name; the envelope completes', async () => {
  const link = await invitationFor(bob, 'Partner agreement 2026');
  const { context, problems } = await newSigner({ viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  await page.goto(link);
  await acceptDisclosure(page);
  await waitForRenderedPages(page);
  assert.equal(await page.inputValue('#typed_name'), bob.name, 'the typed name starts as the recipient name');
  await page.fill('#typed_name', 'Robert B. Cosigner');
  assert.equal(await page.locator('#typed-preview').textContent(), 'Robert B. Cosigner');
  assert.equal(await page.inputValue('#initials'), 'BC');
  await shot(page, 'document-typed');
  await Promise.all([page.waitForURL(/\/complete\?proof=/), page.click('#finish-top')]);

  const env = await eventually(async () => {
    const e = await getEnvelope(first.id);
    return e.status === 'completed' ? e : null;
  }, { what: 'the envelope to complete' });
  assert.ok(env.recipients.filter((r) => r.type === 'signer').every((r) => r.status === 'completed'));

  const types = await eventTypes(first.id);
  const order = ['envelope.sent', 'recipient.sent', 'recipient.delivered', 'envelope.delivered',
    'recipient.completed', 'envelope.completed'];
  const positions = order.map((t) => types.indexOf(t));
  for (const [i, p] of positions.entries()) assert.ok(p >= 0, `event ${order[i]} recorded: ${types.join(', ')}`);
  assert.ok(types.lastIndexOf('recipient.completed') < types.indexOf('envelope.completed'), types.join(', '));
  assert.ok(types.indexOf('envelope.sent') < types.indexOf('envelope.delivered'), types.join(', '));

  // Completion notices to every recipient and the sender, over SMTP.
  for (const who of [alice, bob, carol, sender]) {
    await sink.waitFor((m) => m.envelope.to.includes(who.email) && m.subject === 'Completed: Partner agreement 2026',
      { what: `the completion notice to ${who.email}` });
  }
  // The link of a completed envelope is spent.
  const spent = await page.goto(await invitationFor(alice, 'Partner agreement 2026'));
  assert.equal(spent.status(), 410);
  assertClean(problems);
});

test('every webhook delivery so far verifies with the standardwebhooks library', async () => {
  const verified = await receiver.waitFor((ds) => deliveredFor(ds, first.id).includes('envelope.completed'),
    { what: 'envelope.completed' });
  const types = deliveredFor(verified, first.id);
  for (const t of ['envelope.sent', 'recipient.sent', 'envelope.delivered', 'recipient.completed', 'envelope.completed']) {
    assert.ok(types.includes(t), `${t} delivered: ${types.join(', ')}`);
  }
  assert.deepEqual(receiver.deliveries.filter((d) => !d.verified), [], 'no delivery failed verification');
  assert.ok(receiver.deliveries.every((d) => d.contentType.startsWith('application/json')));
});

let second;  // sent and voided while the receiver is down

test('the receiver is down for a while; the deliveries arrive after it returns; voided links answer 410', async () => {
  await receiver.stop();
  second = await createEnvelope({ subject: 'Amendment 1', signers: [{ ...alice }] });
  const link = await invitationFor(alice, 'Amendment 1');
  const voided = await api('POST', `/v1/envelopes/${second.id}/void`, { reason: 'Wrong fee schedule' });
  assert.equal(voided.status, 200, JSON.stringify(voided.body));
  assert.equal(voided.body.status, 'voided');
  await sink.waitFor((m) => m.envelope.to.includes(alice.email) && m.subject === 'Voided: Amendment 1',
    { what: 'the void notice' });

  // The server tried and failed while the receiver was down: the delivery log shows it.
  await eventually(async () => {
    const res = await api('GET', `/v1/webhooks/${webhook.id}/deliveries`);
    const items = res.body?.data ?? [];
    return items.some((d) => (d.attempts ?? []).some((a) => a.error || (a.status_code ?? 200) >= 400));
  }, { what: 'a failed attempt in the delivery log' });

  await receiver.start();
  const verified = await receiver.waitFor((ds) => {
    const t = deliveredFor(ds, second.id);
    return t.includes('envelope.sent') && t.includes('envelope.voided');
  }, { timeoutMs: 60000, what: 'the deliveries of the voided envelope after the receiver returned' });
  assert.ok(deliveredFor(verified, second.id).length >= 2);

  // The voided envelope's link: 410 with a page that says why.
  const { context } = await newSigner();
  const page = await context.newPage();
  const res = await page.goto(link);
  assert.equal(res.status(), 410);
  assert.match(await page.locator('#outcome-heading').textContent(), /no longer active/i);
  await shot(page, 'voided-410');
});

test('decline with a reason: the envelope is declined, the sender told', async () => {
  const env = await createEnvelope({ subject: 'Side letter', signers: [{ ...bob }] });
  const link = await invitationFor(bob, 'Side letter');
  const { context, problems } = await newSigner();
  const page = await context.newPage();
  await page.goto(link);
  await acceptDisclosure(page);

  // A reason is required: the server answers the page again with the error (422).
  const csrf = await page.locator('#decline-form input[name=csrf_token]').inputValue();
  const empty = await context.request.post(`${link}/decline`, { form: { csrf_token: csrf, reason: '   ' } });
  assert.equal(empty.status(), 422);
  assert.match(await empty.text(), /id="decline-error"/);

  await page.click('#decline summary');
  await page.fill('#reason', 'The fees in Schedule A are wrong.');
  await shot(page, 'decline');
  await Promise.all([page.waitForURL(/\/declined\?proof=/), page.click('#decline-submit')]);
  assert.match(await page.locator('#outcome-heading').textContent(), /declined/i);

  const after = await getEnvelope(env.id);
  assert.equal(after.status, 'declined');
  assert.equal(after.recipients[0].status, 'declined');
  await sink.waitFor((m) => m.envelope.to.includes(sender.email) && m.subject === 'Declined: Side letter',
    { what: 'the decline notice to the sender' });
  await receiver.waitFor((ds) => deliveredFor(ds, env.id).includes('envelope.declined'), { what: 'envelope.declined' });
  assert.equal((await page.goto(link)).status(), 410);
  assertClean(problems);
});

test('expiry: once the envelope expires, its link answers 410', async () => {
  const expiresAt = new Date(Date.now() + 4000).toISOString();
  const res = await api('POST', '/v1/envelopes', { ...envelopeRequest({ subject: 'Short offer', signers: [{ ...carol }] }),
    expires_at: expiresAt });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  const link = await invitationFor(carol, 'Short offer');
  await eventually(async () => (await getEnvelope(res.body.id)).status === 'expired',
    { what: 'the envelope to expire' });
  const { context } = await newSigner();
  const page = await context.newPage();
  assert.equal((await page.goto(link)).status(), 410);
  assert.match(await page.locator('#outcome-heading').textContent(), /no longer active/i);
  await receiver.waitFor((ds) => deliveredFor(ds, res.body.id).includes('envelope.expired'), { what: 'envelope.expired' });
});

test('a phone-sized screen: no sideways scrolling, fields on the pages, signing works', async () => {
  await createEnvelope({ subject: 'Mobile addendum', signers: [{ ...carol, fields: [
    { type: 'signature', page: 1, x: 72, y: 640, width: 200, height: 48 },
    { type: 'checkbox', page: 1, x: 72, y: 300, width: 18, height: 18 },
  ] }] });
  const link = await invitationFor(carol, 'Mobile addendum');
  const { context, problems } = await newSigner({ viewport: { width: 375, height: 740 }, deviceScaleFactor: 2,
    isMobile: true, hasTouch: true });
  const page = await context.newPage();
  await page.goto(link);
  assert.ok(await noHorizontalScroll(page), 'the disclosure fits the width');
  await acceptDisclosure(page, 'phone-disclosure');
  await waitForRenderedPages(page);
  assert.ok(await noHorizontalScroll(page), 'the document page fits the width');
  // The overlay sits inside its page at the same relative place as in the PDF.
  const geometry = await page.evaluate(() => {
    const field = document.querySelector('.field-checkbox');
    const pageBox = field.closest('.page').getBoundingClientRect();
    const f = field.getBoundingClientRect();
    return { left: (f.left - pageBox.left) / pageBox.width, top: (f.top - pageBox.top) / pageBox.height };
  });
  assert.ok(Math.abs(geometry.left - 72 / 612) < 0.01, JSON.stringify(geometry));
  assert.ok(Math.abs(geometry.top - 300 / 792) < 0.01, JSON.stringify(geometry));
  await page.tap('.field-checkbox input[type=checkbox]');
  await shot(page, 'phone-document');
  await Promise.all([page.waitForURL(/\/complete\?proof=/), page.tap('#finish')]);
  await shot(page, 'phone-complete');
  assertClean(problems);
});

test('keyboard only: disclosure, Next field through the fields in order, Finish', async () => {
  const env = await createEnvelope({ subject: 'Keyboard order', signers: [{ ...alice, fields: [
    { type: 'text', page: 1, x: 72, y: 200, width: 220, height: 24 },
    { type: 'checkbox', page: 1, x: 72, y: 260, width: 18, height: 18 },
    { type: 'signature', page: 1, x: 72, y: 640, width: 200, height: 48 },
  ] }] });
  const link = await invitationFor(alice, 'Keyboard order');
  const { context, problems } = await newSigner({ viewport: { width: 1000, height: 800 } });
  const page = await context.newPage();
  await page.goto(link);
  await tabTo(page, '#agree');
  await page.keyboard.press('Space');
  await tabTo(page, '#accept-disclosure');
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  await waitForRenderedPages(page);

  await tabTo(page, '#next-field');
  await page.keyboard.press('Enter');
  assert.match(await focusedLabel(page), /^Text, field 1 of 3, required/);
  await page.keyboard.type('KB-1');
  await page.keyboard.press('Tab');
  assert.match(await focusedLabel(page), /^Checkbox, field 2 of 3, required/);
  await page.keyboard.press('Space');
  await page.keyboard.press('Tab');
  assert.match(await focusedLabel(page), /^Signature, field 3 of 3, required/);
  // "Sign here" leads to the signature to adopt; the typed name is there already.
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'typed_name');
  await shot(page, 'keyboard');
  await tabTo(page, '#finish');
  await Promise.all([page.waitForURL(/\/complete\?proof=/), page.keyboard.press('Enter')]);
  const after = await getEnvelope(env.id);
  assert.equal(after.status, 'completed');
  assert.equal(after.fields.find((f) => f.type === 'checkbox').value, 'true');
  assert.equal(after.fields.find((f) => f.type === 'text').value, 'KB-1');
  assertClean(problems);
});

test('without JavaScript the page is a plain form that signs', async () => {
  const env = await createEnvelope({ subject: 'Plain form', signers: [{ ...bob, fields: [
    { type: 'text', page: 1, x: 72, y: 200, width: 220, height: 24 },
    { type: 'checkbox', page: 1, x: 72, y: 260, width: 18, height: 18, required: false },
    { type: 'signature', page: 2, x: 72, y: 640, width: 200, height: 48 },
  ] }] });
  const link = await invitationFor(bob, 'Plain form');
  const { context, problems } = await newSigner({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(link);
  await acceptDisclosure(page);
  assert.equal(await page.locator('.page canvas').count(), 0, 'no page is drawn without JavaScript');
  assert.equal(await page.locator('#kind-drawn').isVisible(), false, 'drawing needs JavaScript: not offered');
  assert.equal(await page.locator('#sign-toolbar').isVisible(), false, 'no Next field button without JavaScript');
  await page.fill('.field-text input', 'No-JS 1');
  await shot(page, 'no-javascript');
  await Promise.all([page.waitForURL(/\/complete\?proof=/), page.click('#finish')]);
  const after = await getEnvelope(env.id);
  assert.equal(after.status, 'completed');
  assert.equal(after.fields.find((f) => f.type === 'text').value, 'No-JS 1');
  assert.equal(after.fields.find((f) => f.type === 'checkbox').value, 'false', 'an unticked checkbox arrives as false');
  assertClean(problems);
});

test('embedded signing: a one-time view URL redirects to the ceremony once', async () => {
  // The partner app's page the signer returns to, on loopback (return_url may be http).
  const partner = createServer((req, res) => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('back'); });
  await new Promise((resolve) => partner.listen(0, '127.0.0.1', resolve));
  const returnUrl = `http://127.0.0.1:${partner.address().port}/done`;
  try {
    const env = await createEnvelope({ subject: 'Embedded order', signers: [{ ...bob, client_user_id: 'crm-user-42' }] });
    const view = await api('POST', `/v1/envelopes/${env.id}/views/recipient`,
      { client_user_id: 'crm-user-42', return_url: returnUrl });
    assert.equal(view.status, 201, JSON.stringify(view.body));
    const { context } = await newSigner();
    const page = await context.newPage();
    await page.goto(view.body.url);
    assert.match(new URL(page.url()).pathname, /^\/sign\/[^/]+$/);
    await page.waitForSelector('#disclosure-form');
    const signingUrl = page.url();
    const reused = await page.goto(view.body.url);
    assert.equal(reused.status(), 410, 'the view URL is single use');

    // Finishing sends the embedded signer back to the app's return_url with the event.
    await page.goto(signingUrl);
    await acceptDisclosure(page);
    await Promise.all([page.waitForURL(`${returnUrl}?event=signing_complete`), page.click('#finish')]);
    assert.equal((await getEnvelope(env.id)).status, 'completed');
  } finally {
    partner.close();
  }
});

test("the signing pages' refusals: unknown link, CSRF, another envelope's document, vendor files", async () => {
  const { context } = await newSigner();
  const page = await context.newPage();
  const unknown = await page.goto(`${server.url}/sign/cs_sl_doesnotexist`);
  assert.equal(unknown.status(), 404);
  assert.match(await page.locator('#outcome-heading').textContent(), /does not work/);

  const env = await createEnvelope({ subject: 'Refusals', signers: [{ ...carol }] });
  const link = await invitationFor(carol, 'Refusals');
  await page.goto(link);
  await acceptDisclosure(page);
  const noCsrf = await context.request.post(`${link}/finish`, { form: { signature_kind: 'typed', typed_name: 'Carol' } });
  assert.equal(noCsrf.status(), 403);
  const wrongCsrf = await context.request.post(`${link}/disclosure`, { form: { csrf_token: 'x'.repeat(64), agree: 'yes' } });
  assert.equal(wrongCsrf.status(), 403);
  assert.equal((await getEnvelope(env.id)).recipients[0].status, 'delivered', 'nothing was signed');

  // A document id of another envelope through this envelope's link.
  const otherDoc = (await getEnvelope(first.id)).documents[0].id;
  const foreign = await context.request.get(`${link}/documents/${otherDoc}`);
  assert.equal(foreign.status(), 404);
  const ownDoc = (await getEnvelope(env.id)).documents[0].id;
  const pdf = await context.request.get(`${link}/documents/${ownDoc}`);
  assert.equal(pdf.status(), 200);
  assert.equal(pdf.headers()['content-type'], 'application/pdf');
  assert.equal((await pdf.body()).subarray(0, 5).toString(), '%PDF-');

  // A drawn signature that is not a PNG is refused with the page again (422), nothing signed.
  const csrf = await page.locator('#sign-form input[name=csrf_token]').inputValue();
  const notPng = await context.request.post(`${link}/finish`, {
    form: { csrf_token: csrf, signature_kind: 'drawn', signature_png: 'data:image/png;base64,bm90IGEgcG5n' },
  });
  assert.equal(notPng.status(), 422);
  assert.equal((await getEnvelope(env.id)).recipients[0].status, 'delivered');

  // pdf.js and signature_pad come from Countersign, versioned and cached; a wrong version is 404.
  const src = await page.locator('script[src*="/vendor/"]').getAttribute('src');
  const vendor = await context.request.get(new URL(src, server.url).href);
  assert.equal(vendor.status(), 200);
  assert.match(vendor.headers()['content-type'], /^text\/javascript/);
  assert.match(vendor.headers()['cache-control'], /immutable/);
  const mjs = await context.request.get(new URL(src.replace('signature_pad.umd.min.js', 'pdf.worker.min.mjs'), server.url).href);
  assert.match(mjs.headers()['content-type'], /^text\/javascript/);
  const stale = await context.request.get(`${server.url}/vendor/0000000000000000/pdf.min.mjs`);
  assert.equal(stale.status(), 404);
});
