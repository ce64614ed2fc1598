// The page: it shows what the worker computes and sends it what the visitor does.
const worker = new Worker('./worker.js', { type: 'module' });
const pending = new Map();
let lastId = 0;

function call(type, payload = {}, transfer = []) {
  return new Promise((resolve, reject) => {
    lastId += 1;
    pending.set(lastId, { resolve, reject });
    worker.postMessage({ id: lastId, type, ...payload }, transfer);
  });
}

const $ = (id) => document.getElementById(id);
const review = $('review');
const verdict = $('verdict');
const controls = ['teach-positive', 'teach-negative', 'export', 'import', 'reset'].map($);

function showStatus({ taught, notice }) {
  $('taught').textContent = `Examples learned: ${taught}`;
  $('notice').hidden = !notice;
  $('notice').textContent = notice ?? '';
}

function showProblem(message) {
  $('notice').hidden = false;
  $('notice').textContent = message;
}

worker.onmessage = ({ data: { id, type, result, error } }) => {
  if (type === 'changed') {
    showStatus(result);
    classifyNow();
    return;
  }
  const call = pending.get(id);
  pending.delete(id);
  if (error === undefined) call.resolve(result);
  else call.reject(new Error(error));
};

// Highlighting builds one element a word, so a very long review shows only its beginning.
const HIGHLIGHT_CHARS = 20000;

// Each word of the review, coloured by the weight its term carries.
function highlight(text, terms) {
  const weights = new Map(terms.map((t) => [t.term, t.weight]));
  const strongest = Math.max(1e-9, ...terms.map((t) => Math.abs(t.weight)));
  const out = $('highlighted');
  out.replaceChildren();
  const shown = text.length > HIGHLIGHT_CHARS ? text.slice(0, HIGHLIGHT_CHARS) : text;
  for (const piece of shown.split(/([\p{L}\p{N}_\p{M}]+)/u)) {
    const weight = weights.get(piece.toLowerCase());
    if (weight === undefined || weight === 0) {
      out.append(piece);
      continue;
    }
    const span = document.createElement('mark');
    span.textContent = piece;
    span.className = weight > 0 ? 'positive' : 'negative';
    span.style.setProperty('--strength', (Math.abs(weight) / strongest).toFixed(3));
    span.title = `weight ${weight.toFixed(3)}`;
    out.append(span);
  }
  if (shown !== text) out.append(` … (the first ${HIGHLIGHT_CHARS.toLocaleString()} characters of ${text.length.toLocaleString()})`);
  const list = $('strongest');
  list.replaceChildren();
  const ranked = [...terms].sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution));
  for (const t of ranked.slice(0, 6).filter((t) => t.contribution !== 0)) {
    const item = document.createElement('li');
    item.className = t.contribution > 0 ? 'positive' : 'negative';
    item.textContent = `${t.term}: ${t.contribution > 0 ? '+' : ''}${t.contribution.toFixed(3)}`;
    list.append(item);
  }
}

let latest = 0;
async function classifyNow() {
  const text = review.value;
  const ticket = ++latest;
  if (!text.trim()) {
    verdict.textContent = 'Type a review to see its verdict.';
    $('why').hidden = true;
    return;
  }
  const { label, probability, face, explanation } = await call('classify', { text });
  if (ticket !== latest) return;
  verdict.textContent = `${label} ${(probability * 100).toFixed(2)}% ${face}`;
  verdict.className = label;
  highlight(text, explanation.terms);
  $('why').hidden = false;
}

let timer;
review.addEventListener('input', () => {
  clearTimeout(timer);
  timer = setTimeout(classifyNow, 120);
});

for (const button of document.querySelectorAll('[data-example]')) {
  button.addEventListener('click', () => {
    review.value = button.dataset.example;
    classifyNow();
  });
}

async function teach(positive) {
  if (!review.value.trim()) return;
  const outcome = await call('teach', { text: review.value, positive });
  showStatus(outcome);
  await classifyNow();
}
$('teach-positive').addEventListener('click', () => teach(true));
$('teach-negative').addEventListener('click', () => teach(false));

$('reset').addEventListener('click', async () => {
  if (!confirm('Forget everything you taught and go back to the pretrained model?')) return;
  showStatus(await call('reset'));
  await classifyNow();
});

$('export').addEventListener('click', async () => {
  const bytes = await call('exportModel');
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
  link.download = 'movieclassifier-learned.postcard';
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
});

$('import').addEventListener('change', async (event) => {
  const [file] = event.target.files;
  event.target.value = '';
  if (!file) return;
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    showStatus(await call('importModel', { bytes }, [bytes.buffer]));
    await classifyNow();
  } catch (error) {
    showProblem(error.message);
  }
});

call('open').then(
  async (status) => {
    showStatus(status);
    controls.forEach((control) => { control.disabled = false; });
    await classifyNow();
  },
  (error) => {
    verdict.textContent = `The classifier could not start: ${error.message}`;
  },
);

if ('serviceWorker' in navigator) {
  navigator.serviceWorker.register('./sw.js').catch(() => {
    // Without a service worker the page still works, only not offline.
  });
}
