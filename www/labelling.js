// The Queue: a file of reviews read in a job worker, kept by the engine, which offers the one
// it is least sure of; the visitor answers with one key. Keys work while the focus is in the
// Queue or on nothing in particular, and never while typing in a field.
import { highlight } from './highlight.js';
import { inspect } from './inspect.js';
import { busy, runJob } from './jobs.js';
import { ENGINE } from './messages.js';

const $ = (id) => document.getElementById(id);

const KEYS = { j: 'positive', f: 'negative', ' ': 'skip', Backspace: 'undo' };

function typing(element) {
  if (element instanceof HTMLTextAreaElement || element instanceof HTMLSelectElement) return true;
  if (!(element instanceof HTMLInputElement)) return element?.isContentEditable ?? false;
  return !['file', 'button', 'checkbox', 'radio'].includes(element.type);
}

export function setUpQueue({ call, showStatus, refreshHistory }) {
  const region = $('queue');
  const input = $('queue-file');
  const info = $('queue-info');
  let offered = null;
  let working = false;

  function show(offer) {
    offered = offer.next;
    const { total, answered, skipped, waiting } = offer;
    $('queue-progress').textContent = total === 0
      ? 'The queue is empty.'
      : `Answered ${answered.toLocaleString()} of ${total.toLocaleString()} queued`
        + `${skipped ? `, ${skipped.toLocaleString()} skipped` : ''}, ${waiting.toLocaleString()} to go.`;
    $('queue-clear').hidden = total === 0;
    $('queue-current').hidden = !offered;
    $('queue-undo').disabled = answered + skipped === 0;
    if (offered) {
      const { text, verdict } = offered;
      const { label, probability, face } = verdict;
      $('queue-guess').textContent = `Its guess: ${label} ${(probability * 100).toFixed(2)}% ${face}`;
      $('queue-guess').className = `guess ${label}`;
      highlight(text, verdict, $('queue-text'), null);
    }
    showStatus(offer);
  }

  async function act(action) {
    if (working) return;
    if (action !== 'undo' && !offered) return;
    working = true;
    try {
      let offer;
      if (action === 'positive' || action === 'negative') {
        offer = await call(ENGINE.queueAnswer, { index: offered.index, positive: action === 'positive' });
      } else if (action === 'skip') {
        offer = await call(ENGINE.queueSkip, { index: offered.index });
      } else {
        offer = await call(ENGINE.queueUndo);
      }
      show(offer);
      if (action !== 'skip') refreshHistory();
    } catch (error) {
      info.textContent = error.message;
    } finally {
      working = false;
    }
  }

  $('queue-positive').addEventListener('click', () => act('positive'));
  $('queue-negative').addEventListener('click', () => act('negative'));
  $('queue-skip').addEventListener('click', () => act('skip'));
  $('queue-undo').addEventListener('click', () => act('undo'));

  document.addEventListener('keydown', (event) => {
    const action = KEYS[event.key.length === 1 ? event.key.toLowerCase() : event.key];
    if (!action || event.ctrlKey || event.altKey || event.metaKey || event.repeat) return;
    const focus = document.activeElement;
    const here = region.contains(focus) || focus === document.body || focus === null;
    if (!here || typing(focus) || $('queue-current').hidden && action !== 'undo') return;
    event.preventDefault();
    act(action);
  });

  input.addEventListener('change', async () => {
    const [file] = input.files;
    input.value = '';
    if (!file || busy()) return;
    try {
      info.textContent = `Reading ${file.name}…`;
      const found = await inspect(call, file);
      const delimited = found.columns.length > 0;
      const text = delimited ? found.columns[found.text ?? 0] : '';
      const request = { kind: 'read', file, format: found.format, gzip: found.gzip, text, label: '' };
      const answer = await runJob(request, $('queue-job'));
      if (answer === null) {
        info.textContent = 'Cancelled: nothing was queued.';
        return;
      }
      const { texts, notes } = answer.result;
      info.textContent = `Queued ${texts.length.toLocaleString()} reviews from ${file.name}`
        + `${delimited ? ` (column "${text}")` : ''}.${notes.length ? ` Note: ${notes.join('; ')}.` : ''}`;
      show(await call(ENGINE.queueAdd, { texts }));
      $('queue-review').focus();
    } catch (error) {
      info.textContent = `${file.name} was not queued: ${error.message}.`;
    }
  });

  $('queue-clear').addEventListener('click', async () => {
    if (!confirm('Empty the queue? What you answered stays taught.')) return;
    show(await call(ENGINE.queueClear));
  });

  return {
    async open() {
      input.disabled = false;
      show(await call(ENGINE.openQueue));
    },
    async refresh() {
      if (input.disabled) return;
      show(await call(ENGINE.queueOffer));
    },
  };
}
