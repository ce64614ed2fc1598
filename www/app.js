// The page: it shows what the engine worker computes and sends it what the visitor does.
import { highlight } from './highlight.js';
import { ENGINE } from './messages.js';
import { register } from './versions.js';

const $ = (id) => document.getElementById(id);
const review = $('review');
const verdict = $('verdict');
const controls = ['teach-positive', 'teach-negative', 'export', 'export-pickle', 'import', 'reset'].map($);
// What the visitor was typing, kept across the reload that applies an update.
const DRAFT = 'movieclassifier-draft';

let worker;
const pending = new Map();
let lastId = 0;
let maxModelBytes = Infinity;

function call(type, payload = {}, transfer = []) {
  return new Promise((resolve, reject) => {
    lastId += 1;
    pending.set(lastId, { resolve, reject });
    worker.postMessage({ id: lastId, type, ...payload }, transfer);
  });
}

function showStatus({ taught, notice, pickle }) {
  $('taught').textContent = `Examples learned: ${taught}`;
  if (pickle !== undefined) $('export-pickle').hidden = !pickle;
  $('notice').hidden = !notice;
  $('notice').textContent = notice ?? '';
}

function showProblem(message) {
  $('notice').hidden = false;
  $('notice').textContent = message;
}

function showUpdate(apply) {
  $('update').hidden = false;
  $('reload').onclick = () => {
    sessionStorage.setItem(DRAFT, review.value);
    apply();
  };
}

// One classification in flight at a time, always of the latest text: a keystroke's verdict
// comes at once (0.1 ms of work in the engine), and a burst of typing, or a review so long
// that classifying it takes seconds, never queues up stale requests.
let classifying = null;
let again = false;

async function classifyOnce() {
  const text = review.value;
  if (!text.trim()) {
    verdict.textContent = 'Type a review to see its verdict.';
    $('why').hidden = true;
    return;
  }
  const classified = await call(ENGINE.classify, { text });
  if (review.value !== text) {
    again = true;
    return;
  }
  const { label, probability, face } = classified;
  verdict.textContent = `${label} ${(probability * 100).toFixed(2)}% ${face}`;
  verdict.className = label;
  highlight(text, classified, $('highlighted'), $('strongest'));
  $('why').hidden = false;
}

function classifyNow() {
  if (classifying) {
    again = true;
    return classifying;
  }
  classifying = (async () => {
    try {
      do {
        again = false;
        await classifyOnce();
      } while (again);
    } finally {
      classifying = null;
    }
  })();
  return classifying;
}

review.addEventListener('input', () => { classifyNow(); });

for (const button of document.querySelectorAll('[data-example]')) {
  button.addEventListener('click', () => {
    review.value = button.dataset.example;
    classifyNow();
  });
}

async function teach(positive) {
  if (!review.value.trim()) return;
  const outcome = await call(ENGINE.teach, { text: review.value, positive });
  showStatus(outcome);
  panels.history.refresh();
  panels.queue.refresh();
  await classifyNow();
}

// The model teaching starts from was replaced: the queue's scores are all stale.
function modelReplaced() {
  panels.history.refresh();
  panels.queue.open();
  return classifyNow();
}
$('teach-positive').addEventListener('click', () => teach(true));
$('teach-negative').addEventListener('click', () => teach(false));

$('reset').addEventListener('click', async () => {
  if (!confirm('Forget everything you taught and go back to the pretrained model?')) return;
  showStatus(await call(ENGINE.reset));
  await modelReplaced();
});

function download(bytes, name) {
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

$('export').addEventListener('click', async () => {
  download(await call(ENGINE.exportModel), 'movieclassifier-learned.postcard');
});

$('export-pickle').addEventListener('click', async () => {
  try {
    download(await call(ENGINE.exportPickle), 'classifier.pkl');
  } catch (error) {
    showProblem(error.message);
  }
});

// A model file, or the notebook's classifier.pkl with its stopwords.pkl if picked too.
$('import').addEventListener('change', async (event) => {
  const files = [...event.target.files];
  event.target.value = '';
  if (files.length === 0) return;
  const pickles = files.some((file) => file.name.toLowerCase().endsWith('.pkl'));
  if (files.length > (pickles ? 2 : 1)) {
    showProblem('Pick one model file, or the notebook\'s classifier.pkl with its stopwords.pkl.');
    return;
  }
  // Refused before it is read: a file this large cannot be a model.
  const tooLarge = files.find((file) => file.size > maxModelBytes);
  if (tooLarge) {
    showProblem(`This file cannot be imported: it is ${tooLarge.size.toLocaleString()} bytes, larger than any model file (${maxModelBytes.toLocaleString()} bytes at most).`);
    return;
  }
  try {
    const [first, second] = await Promise.all(files.map(async (file) => new Uint8Array(await file.arrayBuffer())));
    const outcome = pickles
      ? await call(ENGINE.importPickles, { first, second }, files.map((_, n) => [first, second][n].buffer))
      : await call(ENGINE.importModel, { bytes: first }, [first.buffer]);
    showStatus(outcome);
    await modelReplaced();
  } catch (error) {
    showProblem(error.message);
  }
});

function cannotStart(reason) {
  verdict.textContent = `The classifier could not start: ${reason}.`;
  $('taught').textContent = 'What you taught is still stored in this browser; it comes back once the classifier starts.';
  showProblem('Reload the page to try again. If it keeps failing, this browser may block WebAssembly or workers, or the download was damaged: try again on a better connection.');
}

/** Sends the worker the pretrained model, which index.html has the browser preload. */
async function sendPretrained() {
  try {
    const response = await fetch(new URL('./pretrained.postcard', import.meta.url));
    if (!response.ok) throw new Error(`the pretrained model could not be downloaded (HTTP ${response.status})`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    worker.postMessage({ type: ENGINE.pretrained, bytes }, [bytes.buffer]);
  } catch (error) {
    worker.postMessage({ type: ENGINE.pretrained, error: error.message });
  }
}

function startEngine() {
  worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  sendPretrained();
  worker.onmessage = ({ data: { id, type, result, error } }) => {
    if (type === ENGINE.changed) {
      showStatus(result);
      classifyNow();
      panels.history?.refresh();
      panels.queue?.refresh();
      return;
    }
    const waiting = pending.get(id);
    pending.delete(id);
    if (error === undefined) waiting.resolve(result);
    else waiting.reject(new Error(error));
  };
  // The worker's script itself failed to load or run.
  worker.onerror = (event) => {
    event.preventDefault();
    const failure = new Error(event.message || 'its engine could not be loaded');
    for (const waiting of pending.values()) waiting.reject(failure);
    pending.clear();
  };
  // A review already there (a draft kept across an update) has its verdict as soon as the
  // worker can give one, which is before the whole engine has opened.
  if (review.value.trim()) classifyNow().catch(() => {});
  return call(ENGINE.open).then(
    async (status) => {
      // The verdict again, from the opened session: it may differ from the first-verdict
      // engine's only if another tab taught in between.
      await (classifying ?? classifyNow()).catch(() => {});
      maxModelBytes = status.maxModelBytes;
      showStatus(status);
      try {
        await setUpPanels();
      } catch (error) {
        showProblem(`Part of the page could not be loaded (${error.message}): reload to try again.`);
        return;
      }
      controls.forEach((control) => { control.disabled = false; });
      panels.history.refresh();
      panels.queue.open();
    },
    (error) => cannotStart(error.message),
  );
}

// The Queue, the History and the files: they need the whole engine, so their code loads once
// it has opened, and a first visit downloads only what the first verdict needs before it.
const panels = { history: null, queue: null };

async function setUpPanels() {
  const [{ setUpFiles }, { setUpHistory }, { setUpQueue }] = await Promise.all(
    [import('./files.js'), import('./history.js'), import('./labelling.js')],
  );
  panels.history = setUpHistory({ call, showStatus, classifyNow, refreshQueue: () => panels.queue.refresh() });
  panels.queue = setUpQueue({ call, showStatus, refreshHistory: () => panels.history.refresh() });
  setUpFiles({ call, showStatus, modelReplaced });
}

review.value = sessionStorage.getItem(DRAFT) ?? review.value;
sessionStorage.removeItem(DRAFT);
// The service worker comes second: on a first visit it downloads every file of this version,
// which would compete with the first verdict's; once the engine has opened, those it loaded
// are in the browser's cache and only revalidated.
startEngine().finally(() => register(showUpdate));
