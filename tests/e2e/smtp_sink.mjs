// A small real SMTP server for the browser tests (RFC 5321 subset: EHLO/HELO, MAIL, RCPT, DATA,
// RSET, NOOP, QUIT). Countersign's mailer talks to it over TCP exactly as it would to a relay;
// every accepted message is parsed (headers, RFC 2047 subjects, MIME parts, quoted-printable and
// base64) and kept for the test to inspect.
import { createServer } from 'node:net';

export async function startSmtpSink({ port = 0, host = '127.0.0.1' } = {}) {
  const messages = [];
  const waiters = new Set();
  const sockets = new Set();

  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.setEncoding('latin1');  // bytes in, bytes out; bodies are decoded per part below
    let buffer = '';
    let envelope = { from: '', to: [] };
    let inData = false;
    const reply = (line) => socket.write(`${line}\r\n`);
    reply('220 smtp-sink.test ESMTP ready');

    socket.on('data', (chunk) => {
      buffer += chunk;
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          const startEnd = buffer.startsWith('.\r\n') ? 0 : -1;  // empty message body
          if (end < 0 && startEnd < 0) return;
          const cut = startEnd === 0 ? 0 : end + 2;
          const raw = buffer.slice(0, cut).split('\r\n').map((l) => (l.startsWith('..') ? l.slice(1) : l)).join('\r\n');
          buffer = buffer.slice(cut + 3);
          inData = false;
          const message = { ...parseMessage(Buffer.from(raw, 'latin1').toString('utf8')), envelope };
          messages.push(message);
          envelope = { from: '', to: [] };
          reply('250 2.0.0 OK queued');
          for (const w of [...waiters]) w();
          continue;
        }
        const eol = buffer.indexOf('\r\n');
        if (eol < 0) return;
        const line = buffer.slice(0, eol);
        buffer = buffer.slice(eol + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') {
          socket.write('250-smtp-sink.test\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 52428800\r\n');
        } else if (verb === 'HELO') {
          reply('250 smtp-sink.test');
        } else if (verb === 'MAIL') {
          envelope = { from: angle(line), to: [] };
          reply('250 2.1.0 OK');
        } else if (verb === 'RCPT') {
          envelope.to.push(angle(line));
          reply('250 2.1.5 OK');
        } else if (verb === 'DATA') {
          if (envelope.to.length === 0) { reply('554 5.5.1 No valid recipients'); continue; }
          inData = true;
          reply('354 End data with <CR><LF>.<CR><LF>');
        } else if (verb === 'RSET') {
          envelope = { from: '', to: [] };
          reply('250 2.0.0 OK');
        } else if (verb === 'NOOP') {
          reply('250 2.0.0 OK');
        } else if (verb === 'QUIT') {
          reply('221 2.0.0 Bye');
          socket.end();
          return;
        } else {
          reply('502 5.5.2 Command not implemented');
        }
      }
    });
  });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });

  return {
    port: server.address().port,
    messages,
    // Resolves with the first message (in arrival order) for which `predicate` holds.
    waitFor(predicate, { timeoutMs = 30000, what = 'a message' } = {}) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = messages.find(predicate);
          if (!found) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          const seen = messages.map((m) => `${m.envelope.to.join(',')}: ${m.subject}`).join('\n  ');
          reject(new Error(`SMTP sink: no ${what} within ${timeoutMs} ms; received:\n  ${seen || '(nothing)'}`));
        }, timeoutMs);
        if (!check()) waiters.add(check);
      });
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

function angle(line) {
  const m = /<([^>]*)>/.exec(line);
  return m ? m[1] : line.slice(line.indexOf(':') + 1).trim();
}

// Headers (unfolded, names lower-cased) and the text and HTML bodies of a message.
export function parseMessage(raw) {
  const { headers, body } = splitHeaders(raw);
  const out = { headers, subject: decodeWords(headers.subject ?? ''), text: '', html: '', raw };
  collectParts(headers, body, out);
  return out;
}

function splitHeaders(raw) {
  const split = raw.indexOf('\r\n\r\n');
  const head = split < 0 ? raw : raw.slice(0, split);
  const body = split < 0 ? '' : raw.slice(split + 4);
  const headers = {};
  for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, body };
}

function collectParts(headers, body, out) {
  const type = (headers['content-type'] ?? 'text/plain').toLowerCase();
  const boundary = /boundary="?([^";]+)"?/i.exec(headers['content-type'] ?? '')?.[1];
  if (type.startsWith('multipart/') && boundary) {
    for (const part of body.split(`--${boundary}`).slice(1)) {
      if (part.startsWith('--')) break;
      const p = splitHeaders(part.replace(/^\r\n/, ''));
      collectParts(p.headers, p.body.replace(/\r\n$/, ''), out);
    }
    return;
  }
  const decoded = decodeBody(body, (headers['content-transfer-encoding'] ?? '7bit').toLowerCase());
  if (type.startsWith('text/html')) out.html += decoded;
  else if (type.startsWith('text/')) out.text += decoded;
}

function decodeBody(body, encoding) {
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding === 'quoted-printable') {
    const bytes = body.replace(/=\r\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8');
  }
  return body;
}

// RFC 2047 encoded words (=?UTF-8?B?...?= and =?UTF-8?Q?...?=).
export function decodeWords(text) {
  return text.replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=\s*(?==\?)?/g, (_, _charset, enc, data) => {
    if (enc.toUpperCase() === 'B') return Buffer.from(data, 'base64').toString('utf8');
    const bytes = data.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (__, h) => String.fromCharCode(parseInt(h, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8');
  });
}

// The first /sign/... link in a message (text part first).
export function signingLink(message) {
  const m = /https?:\/\/[^\s"'<>]+\/sign\/[A-Za-z0-9_~.%-]+/.exec(`${message.text}\n${message.html}`);
  return m ? m[0] : null;
}
