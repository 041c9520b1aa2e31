// Real PDFs for the browser tests: a hand-written PDF (text in Helvetica, one content stream per
// page, a correct cross-reference table) rewritten by the qpdf CLI, which fails on anything it
// cannot read, and then checked with `qpdf --check`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const escapePdf = (s) => s.replace(/[\\()]/g, (c) => `\\${c}`);

// `pages`: an array of arrays of text lines, one array per page. Letter size (612 x 792 pt).
export function makePdf({ title = 'Partner agreement', pages = [['Page one'], ['Page two']] } = {}) {
  const objects = [];  // index i holds object number i + 1
  const add = (text) => { objects.push(text); return objects.length; };
  const catalog = add('');  // filled in below, once the page tree exists
  const pagesId = add('');
  const font = add('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>');
  const kids = [];
  pages.forEach((lines, n) => {
    const ops = ['BT', '/F1 20 Tf', '72 720 Td', `(${escapePdf(`${title} - page ${n + 1} of ${pages.length}`)}) Tj`,
      '/F1 12 Tf', '0 -32 Td'];
    for (const line of lines) ops.push(`(${escapePdf(line)}) Tj`, '0 -18 Td');
    ops.push('ET', '0.6 G', '72 96 m 300 96 l S');  // a signature line near the bottom
    const stream = ops.join('\n');
    const content = add(`<< /Length ${Buffer.byteLength(stream, 'latin1')} >>\nstream\n${stream}\nendstream`);
    kids.push(add(`<< /Type /Page /Parent ${pagesId} 0 R /MediaBox [0 0 612 792] ` +
      `/Resources << /Font << /F1 ${font} 0 R >> >> /Contents ${content} 0 R >>`));
  });
  objects[catalog - 1] = `<< /Type /Catalog /Pages ${pagesId} 0 R >>`;
  objects[pagesId - 1] = `<< /Type /Pages /Kids [${kids.map((k) => `${k} 0 R`).join(' ')}] /Count ${kids.length} >>`;

  let out = '%PDF-1.7\n%\xe2\xe3\xcf\xd3\n';
  const offsets = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(out, 'latin1'));
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out, 'latin1');
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) out += `${String(o).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root ${catalog} 0 R >>\nstartxref\n${xref}\n%%EOF\n`;

  const dir = mkdtempSync(join(tmpdir(), 'cs-pdf-'));
  try {
    const source = join(dir, 'source.pdf');
    const result = join(dir, 'document.pdf');
    writeFileSync(source, Buffer.from(out, 'latin1'));
    execFileSync('qpdf', ['--object-streams=preserve', source, result]);
    execFileSync('qpdf', ['--check', result]);
    return readFileSync(result);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
