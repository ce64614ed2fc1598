// The History: what was taught, newest first, searched and listed by the engine; a lesson
// deleted or flipped (the engine learns the rest again and says how long it took); labels out
// as CSV and in from CSV, read in a job worker with progress and Cancel.
import { inspect } from './inspect.js';
import { busy, runJob } from './jobs.js';
import { ENGINE } from './messages.js';

const $ = (id) => document.getElementById(id);

// Items listed at a time: a history of many thousands stays quick to draw.
const PAGE = 100;
const SOURCES = { typed: 'typed', queue: 'from the queue', imported: 'imported' };

function button(name, action) {
  const node = document.createElement('button');
  node.type = 'button';
  node.textContent = name;
  node.addEventListener('click', action);
  return node;
}

export function setUpHistory({ call, showStatus, classifyNow, refreshQueue }) {
  const list = $('history-list');
  const search = $('history-search');
  const status = $('history-status');
  let shown = PAGE;
  let ticket = 0;

  async function refresh() {
    const mine = ++ticket;
    const { total, matched, entries } = await call(ENGINE.history, { query: search.value, limit: shown });
    if (mine !== ticket) return;
    list.replaceChildren(...entries.map(item));
    $('history-more').hidden = matched <= entries.length;
    if (!status.dataset.notice) {
      status.textContent = total === 0 ? 'Nothing taught yet.'
        : search.value ? `${matched.toLocaleString()} of ${total.toLocaleString()} taught examples match.`
          : `${total.toLocaleString()} taught examples.`;
    }
  }

  function say(message) {
    status.textContent = message;
    status.dataset.notice = 'yes';
  }

  async function correct(type, key) {
    try {
      const outcome = await call(type, { key });
      showStatus(outcome);
      say(outcome.rebuilt ?? outcome.notice ?? '');
      await Promise.all([refresh(), classifyNow(), refreshQueue()]);
    } catch (error) {
      say(error.message);
    }
  }

  function item({ key, text, positive, time, source }) {
    const node = document.createElement('li');
    const id = `lesson-${key}`;
    const words = document.createElement('p');
    words.id = id;
    words.className = 'lesson-text';
    words.textContent = text;
    const about = document.createElement('p');
    about.className = `lesson-about ${positive ? 'positive' : 'negative'}`;
    about.textContent = `${positive ? 'positive' : 'negative'}, ${SOURCES[source] ?? source}, ${new Date(time).toLocaleString()}`;
    const remove = button('Delete', () => correct(ENGINE.deleteLesson, key));
    const flip = button('Flip', () => correct(ENGINE.flipLesson, key));
    for (const control of [remove, flip]) control.setAttribute('aria-describedby', id);
    node.append(words, about, remove, flip);
    return node;
  }

  let typing;
  search.addEventListener('input', () => {
    clearTimeout(typing);
    shown = PAGE;
    delete status.dataset.notice;
    typing = setTimeout(refresh, 150);
  });
  $('history-more').addEventListener('click', () => {
    shown += PAGE;
    refresh();
  });

  $('export-labels').addEventListener('click', async () => {
    const bytes = await call(ENGINE.exportLabels);
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([bytes], { type: 'text/csv' }));
    link.download = 'movieclassifier-labels.csv';
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  });

  const file = $('labels-file');
  $('import-labels').addEventListener('click', () => file.click());
  file.addEventListener('change', async () => {
    const [picked] = file.files;
    file.value = '';
    if (!picked || busy()) return;
    try {
      const found = await inspect(call, picked);
      if (found.columns.length === 0 || found.text === null || found.label === null) {
        throw new Error('it needs a header naming a "review" and a "sentiment" column, as "Export labels" writes');
      }
      const request = {
        kind: 'read',
        file: picked,
        format: found.format,
        gzip: found.gzip,
        text: found.columns[found.text],
        label: found.columns[found.label],
      };
      const answer = await runJob(request, $('history-job'));
      if (answer === null) {
        say('Cancelled: nothing was imported.');
        return;
      }
      const { texts, labels, notes } = answer.result;
      const outcome = await call(ENGINE.importLessons, { texts, labels });
      showStatus(outcome);
      say(`Imported ${texts.length.toLocaleString()} labelled reviews from ${picked.name}.`
        + `${notes.length ? ` Note: ${notes.join('; ')}.` : ''}`);
      await Promise.all([refresh(), classifyNow(), refreshQueue()]);
    } catch (error) {
      say(`${picked.name} was not imported: ${error.message}.`);
    }
  });

  for (const control of [search, $('export-labels'), $('import-labels')]) control.disabled = false;
  return {
    refresh() {
      delete status.dataset.notice;
      return refresh();
    },
  };
}
