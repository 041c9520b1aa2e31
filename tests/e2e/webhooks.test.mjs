// Signed webhooks end to end (issue 4 §4): an app token from the real OAuth flow subscribes a
// node receiver; envelopes created, sent and voided through the API reach it, and every
// delivery is verified with the Standard Webhooks reference library (`standardwebhooks`). The
// receiver goes down for a while and the delivery arrives after it returns; rotation keeps the
// deliveries verifiable; the delivery log shows every attempt.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, startServer } from './harness.mjs';
import { apiClient, appTokenThroughOAuth, envelopeRequest, eventually } from './signing_support.mjs';
import { startWebhookReceiver } from './webhook_receiver.mjs';

let server;
let browser;
let receiver;
let api;
let hook;

before(async () => {
  server = await startServer(null, {
    env: {
      COUNTERSIGN_WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true',  // the receiver is on loopback
      COUNTERSIGN_WEBHOOKS_RETRY_SCHEDULE: '1s,1s,2s,2s,3s,3s,5s,5s,5s,5s',
      COUNTERSIGN_WEBHOOKS_TIMEOUT_MS: '5000',
    },
  });
  browser = await launchBrowser();
  const { token } = await appTokenThroughOAuth(browser, server);
  api = apiClient(server.url, token);
  receiver = await startWebhookReceiver();
  const created = await api('POST', '/v1/webhooks', { url: receiver.url, events: ['*'], description: 'e2e receiver' });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.match(created.body.secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
  hook = created.body;
  receiver.setSecret(hook.secret);
});

after(async () => {
  await receiver?.close();
  await browser?.close();
  await server?.stop();
});

const signer = { name: 'Wendy Hook', email: 'wendy@example.com' };

function ofEnvelope(deliveries, envelopeId, type) {
  return deliveries.filter((d) => d.payload.type === type && d.payload.data.envelope_id === envelopeId);
}

test('sending an envelope delivers signed envelope.sent and recipient.sent events', async () => {
  const sent = await api('POST', '/v1/envelopes', envelopeRequest({ subject: 'Webhook contract', signers: [signer] }));
  assert.equal(sent.status, 201, JSON.stringify(sent.body));
  const envelopeId = sent.body.id;
  const verified = await receiver.waitFor((v) => ofEnvelope(v, envelopeId, 'envelope.sent').length > 0 &&
    ofEnvelope(v, envelopeId, 'recipient.sent').length > 0, { what: 'envelope.sent and recipient.sent' });
  const [delivery] = ofEnvelope(verified, envelopeId, 'envelope.sent');
  assert.match(delivery.id, /^msg_/);
  assert.equal(delivery.contentType, 'application/json');
  assert.equal(delivery.method, 'POST');
  assert.match(delivery.payload.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  assert.match(delivery.payload.data.event_id, /^evt_/);
  assert.equal(delivery.payload.data.account_id, server.demo.accounts.sandbox.id);
  assert.ok(receiver.deliveries.every((d) => d.verified), 'every delivery verifies');

  // The delivery log tells the same story. The receiver sees the delivery before the server has
  // stored the attempt's outcome, so read the log until the entry is no longer pending.
  const entry = await eventually(async () => {
    const log = await api('GET', `/v1/webhooks/${hook.id}/deliveries?limit=100`);
    const found = log.body.data.find((d) => d.id === delivery.id);
    return found && found.status !== 'pending' ? found : null;
  }, { what: 'the envelope.sent delivery to be settled' });
  assert.equal(entry.status, 'succeeded');
  assert.equal(entry.attempts.length, 1);
  assert.equal(entry.attempts[0].status_code, 204);
});

test('a receiver that is down gets the delivery after it comes back', async () => {
  const created = await api('POST', '/v1/envelopes', envelopeRequest({ subject: 'Voided while down', signers: [signer] }));
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const envelopeId = created.body.id;
  await receiver.waitFor((v) => ofEnvelope(v, envelopeId, 'envelope.sent').length > 0, { what: 'envelope.sent' });

  await receiver.stop();
  const voided = await api('POST', `/v1/envelopes/${envelopeId}/void`, { reason: 'Wrong counterparty' });
  assert.equal(voided.status, 200, JSON.stringify(voided.body));
  // Wait until the log shows a failed attempt of the voided event while the receiver is down.
  const failing = await eventually(async () => {
    const log = await api('GET', `/v1/webhooks/${hook.id}/deliveries?limit=100`);
    return log.body.data.find((d) => d.event_type === 'envelope.voided' && d.attempts.length > 0 && d.attempts.every((a) => a.error));
  }, { what: 'a failed attempt while the receiver is down' });
  assert.equal(failing.status, 'pending');
  assert.equal(failing.attempts[0].status_code, null);

  await receiver.start();
  const verified = await receiver.waitFor((v) => ofEnvelope(v, envelopeId, 'envelope.voided').length > 0,
    { what: 'envelope.voided after the receiver returned' });
  assert.equal(ofEnvelope(verified, envelopeId, 'envelope.voided')[0].id, failing.id, 'the same webhook-id on retry');
  const log = await eventually(async () => {
    const l = await api('GET', `/v1/webhooks/${hook.id}/deliveries?limit=100`);
    const d = l.body.data.find((x) => x.id === failing.id);
    return d?.status === 'succeeded' ? d : null;
  }, { what: 'the voided delivery to succeed' });
  assert.ok(log.attempts.length >= 2);
  assert.equal(log.attempts.at(-1).status_code, 204);
});

test('after a secret rotation deliveries verify with the new secret (and the old one for 24 h)', async () => {
  const rotated = await api('POST', `/v1/webhooks/${hook.id}/rotate-secret`);
  assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
  assert.notEqual(rotated.body.secret, hook.secret);
  // Still the old secret at the receiver: the old signature travels alongside the new one.
  const first = await api('POST', '/v1/envelopes', envelopeRequest({ subject: 'Old secret', signers: [signer] }));
  await receiver.waitFor((v) => ofEnvelope(v, first.body.id, 'envelope.sent').length > 0, { what: 'old-secret delivery' });
  receiver.setSecret(rotated.body.secret);
  const second = await api('POST', '/v1/envelopes', envelopeRequest({ subject: 'New secret', signers: [signer] }));
  await receiver.waitFor((v) => ofEnvelope(v, second.body.id, 'envelope.sent').length > 0, { what: 'new-secret delivery' });
  assert.ok(receiver.deliveries.every((d) => d.verified), receiver.deliveries.map((d) => d.error).join(', '));
});
