// The signing page's enhancements. The page works as a plain form without this script; with it,
// pdf.js draws each page into a canvas, the signer's fields sit over the pages where the sender
// placed them, "Next field" walks them in order, and a signature can be drawn with
// signature_pad. pdf.js and signature_pad are served by Countersign (/vendor/...), never a CDN.
const form = document.getElementById('sign-form');
if (form) enhance(form);

function enhance(form) {
  document.documentElement.classList.add('js');
  placeFields();
  renderDocuments(form).catch(() => {});
  const signature = setUpSignature(form);
  setUpNavigation(form, signature);
}

// Field boxes are percentages of the page, so they follow the canvas at any width.
function placeFields() {
  for (const page of document.querySelectorAll('.page')) {
    page.style.aspectRatio = `${page.dataset.width} / ${page.dataset.height}`;
    for (const field of page.querySelectorAll('.field')) {
      field.style.left = `${field.dataset.left}%`;
      field.style.top = `${field.dataset.top}%`;
      field.style.width = `${field.dataset.width}%`;
      field.style.height = `${field.dataset.height}%`;
    }
  }
}

async function renderDocuments(form) {
  const documents = [...document.querySelectorAll('.document')];
  let pdfjs;
  try {
    pdfjs = await import(form.dataset.pdfjs);
    pdfjs.GlobalWorkerOptions.workerSrc = form.dataset.pdfWorker;
  } catch (e) {
    for (const d of documents) showRenderError(d);
    throw e;
  }
  for (const doc of documents) {
    try {
      // isEvalSupported: false keeps pdf.js from probing `new Function`, which the CSP forbids.
      const pdf = await pdfjs.getDocument({ url: doc.dataset.url, isEvalSupported: false }).promise;
      for (const pageEl of doc.querySelectorAll('.page')) {
        const page = await pdf.getPage(Number(pageEl.dataset.page));
        const base = page.getViewport({ scale: 1 });
        const ratio = window.devicePixelRatio || 1;
        const scale = Math.max(1, (pageEl.clientWidth * ratio) / base.width);
        const viewport = page.getViewport({ scale });
        const canvas = document.createElement('canvas');
        canvas.width = Math.floor(viewport.width);
        canvas.height = Math.floor(viewport.height);
        canvas.setAttribute('role', 'img');
        canvas.setAttribute('aria-label', `${pageEl.getAttribute('aria-label')} of ${doc.getAttribute('aria-label')}`);
        pageEl.prepend(canvas);
        await page.render({ canvas, canvasContext: canvas.getContext('2d'), viewport }).promise;
        pageEl.dataset.rendered = 'true';
      }
      doc.dataset.rendered = 'true';
    } catch {
      showRenderError(doc);
    }
  }
}

function showRenderError(doc) {
  const status = doc.querySelector('.render-status');
  status.textContent = 'The document could not be displayed here. Use "Open the PDF" to read it; your fields are below.';
  status.hidden = false;
  doc.dataset.rendered = 'failed';
}

// Typed or drawn. Answers whether a signature (and initials, when asked) has been adopted.
function setUpSignature(form) {
  const typed = document.getElementById('kind-typed');
  const drawn = document.getElementById('kind-drawn');
  const typedPanel = document.getElementById('typed-panel');
  const drawnPanel = document.getElementById('drawn-panel');
  const nameInput = document.getElementById('typed_name');
  const preview = document.getElementById('typed-preview');
  const canvas = document.getElementById('signature-pad');
  const hidden = document.getElementById('signature_png');
  const initials = document.getElementById('initials');
  const error = document.getElementById('adopt-error');
  let pad = null;

  if (window.SignaturePad) document.getElementById('kind-drawn-label').hidden = false;

  function ensurePad() {
    if (pad || !window.SignaturePad) return;
    // The canvas backing store matches its CSS size times the pixel ratio, or strokes drift.
    const ratio = Math.max(window.devicePixelRatio || 1, 1);
    canvas.width = canvas.offsetWidth * ratio;
    canvas.height = canvas.offsetHeight * ratio;
    canvas.getContext('2d').scale(ratio, ratio);
    pad = new window.SignaturePad(canvas, { penColor: '#0b2d5c', backgroundColor: 'rgba(0,0,0,0)' });
    pad.addEventListener('endStroke', changed);
  }

  function showKind() {
    const drawing = drawn.checked;
    typedPanel.hidden = drawing;
    drawnPanel.hidden = !drawing;
    if (drawing) ensurePad();
    changed();
  }

  function adopted() {
    if (drawn.checked) return Boolean(pad && !pad.isEmpty());
    return nameInput.value.trim().length > 0;
  }

  const listeners = [];
  function changed() {
    preview.textContent = nameInput.value;
    error.hidden = true;
    for (const fn of listeners) fn();
  }

  typed.addEventListener('change', showKind);
  drawn.addEventListener('change', showKind);
  nameInput.addEventListener('input', changed);
  initials?.addEventListener('input', changed);
  document.getElementById('clear-signature').addEventListener('click', () => {
    pad?.clear();
    changed();
  });

  form.addEventListener('submit', (event) => {
    if (!adopted()) {
      event.preventDefault();
      error.textContent = drawn.checked ? 'Draw your signature in the box, or choose to type your name.'
        : 'Type your name to adopt your signature.';
      error.hidden = false;
      document.getElementById('adopt').scrollIntoView({ block: 'center' });
      (drawn.checked ? drawn : nameInput).focus();
      return;
    }
    hidden.value = drawn.checked ? pad.toDataURL('image/png') : '';
  });

  showKind();
  return {
    adopted,
    onChange: (fn) => listeners.push(fn),
    // What the signature and initials fields show once adopted.
    preview(kind) {
      if (kind === 'initials') {
        const text = initials?.value.trim() || nameInput.value.trim().split(/\s+/).map((w) => w[0] ?? '').join('');
        return { text };
      }
      if (drawn.checked && pad && !pad.isEmpty()) return { image: pad.toDataURL('image/png') };
      return { text: nameInput.value.trim() };
    },
    focus() {
      const adopt = document.getElementById('adopt');
      adopt.scrollIntoView({ block: 'center' });
      (drawn.checked ? drawn : nameInput).focus();
    },
  };
}

// "Next field" walks the signer's fields in signing order (document, page, top to bottom).
function setUpNavigation(form, signature) {
  const toolbar = document.getElementById('sign-toolbar');
  const nextButton = document.getElementById('next-field');
  const progress = document.getElementById('field-progress');
  const fields = [...form.querySelectorAll('.field')].filter((f) => f.querySelector('.field-control'));
  let current = -1;

  function isDone(field) {
    const control = field.querySelector('.field-control');
    if (control.classList.contains('sign-target')) return signature.adopted();
    if (control.type === 'checkbox') return control.checked || !field.classList.contains('required');
    return control.value.trim().length > 0 || !field.classList.contains('required');
  }

  function refresh() {
    let required = 0;
    let done = 0;
    for (const field of fields) {
      const ok = isDone(field);
      field.classList.toggle('done', ok && field.classList.contains('required'));
      if (field.classList.contains('required')) {
        required += 1;
        if (ok) done += 1;
      }
      const target = field.querySelector('.sign-target');
      if (target) showSignature(target, ok);
    }
    progress.textContent = required === 0 ? 'No required fields'
      : `${done} of ${required} required field${required === 1 ? '' : 's'} complete`;
    nextButton.textContent = done === required && required > 0 ? 'Go to Finish' : 'Next field';
  }

  function showSignature(target, adopted) {
    const text = target.querySelector('.target-text');
    const preview = target.querySelector('.target-preview');
    text.hidden = adopted;
    preview.hidden = !adopted;
    if (!adopted) return;
    const shown = signature.preview(target.dataset.kind);
    preview.replaceChildren();
    if (shown.image) {
      const img = document.createElement('img');
      img.src = shown.image;
      img.alt = 'Your drawn signature';
      preview.append(img);
    } else {
      preview.textContent = shown.text;
    }
  }

  function go(index) {
    fields[current]?.classList.remove('current');
    current = index;
    const field = fields[index];
    field.classList.add('current');
    field.scrollIntoView({ block: 'center', behavior: 'instant' });
    field.querySelector('.field-control').focus({ preventScroll: true });
  }

  // The next field still to be done after the current one; when all are done, Finish.
  nextButton.addEventListener('click', () => {
    const order = fields.map((_, i) => (current + 1 + i) % fields.length);
    const next = order.find((i) => !isDone(fields[i]));
    if (next === undefined) {
      document.getElementById('adopt').scrollIntoView({ block: 'center' });
      document.getElementById('finish').focus();
      return;
    }
    go(next);
  });

  fields.forEach((field, i) => {
    const control = field.querySelector('.field-control');
    control.addEventListener('focus', () => {
      fields[current]?.classList.remove('current');
      current = i;
      field.classList.add('current');
    });
    control.addEventListener('input', refresh);
    control.addEventListener('change', refresh);
    if (control.classList.contains('sign-target')) {
      // "Sign here" leads to the adopted signature, to review or change it before Finish.
      control.addEventListener('click', (event) => {
        event.preventDefault();
        signature.focus();
      });
    }
  });

  signature.onChange(refresh);
  toolbar.hidden = false;
  refresh();
}
