// A partner's webhook endpoint for the browser tests: a node http server that verifies every
// delivery with the Standard Webhooks reference library (`standardwebhooks`,
// Webhook(secret).verify(body, headers)) and records it. It can be stopped and started again on
// the same port, to play a receiver that is down for a while.
import { createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';

export async function startWebhookReceiver({ host = '127.0.0.1' } = {}) {
  const deliveries = [];  // { id, timestamp, verified, payload, error, attempt }
  const waiters = new Set();
  let secret = null;
  let server = null;
  let port = 0;

  function handle(req, res) {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = {
        'webhook-id': req.headers['webhook-id'] ?? '',
        'webhook-timestamp': req.headers['webhook-timestamp'] ?? '',
        'webhook-signature': req.headers['webhook-signature'] ?? '',
      };
      const record = { id: headers['webhook-id'], timestamp: headers['webhook-timestamp'], verified: false,
        payload: null, error: null, contentType: req.headers['content-type'] ?? '', method: req.method };
      try {
        if (!secret) throw new Error('no secret configured');
        record.payload = new Webhook(secret).verify(body, headers);
        record.verified = true;
      } catch (e) {
        record.error = e.message;
      }
      deliveries.push(record);
      // A delivery that fails verification is refused, so the sender sees it in its log.
      res.writeHead(record.verified ? 204 : 400);
      res.end();
      for (const w of [...waiters]) w();
    });
  }

  async function listen(onPort) {
    server = createServer(handle);
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(onPort, host, resolve);
    });
    port = server.address().port;
  }

  await listen(0);

  return {
    get url() { return `http://${host}:${port}/hooks`; },
    get port() { return port; },
    deliveries,
    setSecret(s) { secret = s; },
    // Down: connections are refused until start() listens on the same port again.
    async stop() {
      const s = server;
      server = null;
      s.closeAllConnections?.();
      await new Promise((resolve) => s.close(resolve));
    },
    async start() { await listen(port); },
    // Resolves with the verified deliveries once `predicate(verifiedDeliveries)` holds.
    waitFor(predicate, { timeoutMs = 30000, what = 'deliveries' } = {}) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const verified = deliveries.filter((d) => d.verified);
          if (!predicate(verified)) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(verified);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          const seen = deliveries.map((d) => `${d.payload?.type ?? '?'} ${d.verified ? 'verified' : `refused: ${d.error}`}`);
          reject(new Error(`webhook receiver: ${what} did not arrive within ${timeoutMs} ms; got:\n  ${seen.join('\n  ') || '(nothing)'}`));
        }, timeoutMs);
        if (!check()) waiters.add(check);
      });
    },
    async close() { if (server) await this.stop(); },
  };
}
