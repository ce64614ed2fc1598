// "Your files": a file of reviews picked or dropped, its columns chosen, and a job run on it
// in a worker of its own (job.js). The engine worker says what the file is, lends the current
// model, and takes a trained one.
import { inspect } from './inspect.js';
import { busy, runJob } from './jobs.js';
import { ENGINE } from './messages.js';
import { histogram, rocCurve } from './plots.js';

const $ = (id) => document.getElementById(id);

function option(value, text) {
  const node = document.createElement('option');
  node.value = value;
  node.textContent = text;
  return node;
}

function paragraph(text, className) {
  const node = document.createElement('p');
  node.textContent = text;
  if (className) node.className = className;
  return node;
}

export function setUpFiles({ call, showStatus, modelReplaced }) {
  const input = $('reviews-file');
  const info = $('file-info');
  const result = $('job-result');
  const buttons = { classify: $('classify-file'), evaluate: $('evaluate-file'), train: $('train-file') };
  let current = null;
  let running = false;

  function enable() {
    const delimited = current && current.columns.length > 0;
    const text = !delimited || $('text-column').value !== '';
    const labels = current && (current.format === 'tar' || (delimited && $('label-column').value !== ''));
    buttons.classify.disabled = !current || !text || running;
    buttons.evaluate.disabled = buttons.train.disabled = !labels || !text || running;
  }

  function setRunning(value) {
    running = value;
    enable();
  }

  async function pick(file) {
    current = null;
    info.textContent = file ? `Reading the start of ${file.name}…` : '';
    result.replaceChildren();
    $('columns').hidden = true;
    enable();
    if (!file) return;
    try {
      const found = await inspect(call, file);
      current = found;
      info.textContent = `${file.name}: ${(file.size / 1e6).toFixed(1)} MB.`;
      if (found.columns.length > 0) {
        const text = $('text-column');
        const label = $('label-column');
        text.replaceChildren(option('', 'Choose…'), ...found.columns.map((name) => option(name, name)));
        label.replaceChildren(option('', 'None: the file has no labels'), ...found.columns.map((name) => option(name, name)));
        text.value = found.text === null ? '' : found.columns[found.text];
        label.value = found.label === null ? '' : found.columns[found.label];
        $('columns').hidden = false;
        if (found.text === null) {
          info.textContent += ' It has no "review" column: choose the column that holds the reviews.';
        }
      } else if (current.format === 'lines') {
        info.textContent += ' One review a line, without labels: it can be classified.';
      } else {
        info.textContent += ' An aclImdb archive: its labels come from its folders.';
      }
    } catch (error) {
      info.textContent = error.message;
    }
    enable();
  }

  input.addEventListener('change', () => pick(input.files[0]));
  $('text-column').addEventListener('change', enable);
  $('label-column').addEventListener('change', enable);
  const drop = $('files');
  drop.addEventListener('dragover', (event) => {
    event.preventDefault();
    drop.classList.add('dragging');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('dragging'));
  drop.addEventListener('drop', (event) => {
    event.preventDefault();
    drop.classList.remove('dragging');
    pick(event.dataTransfer.files[0]);
  });

  async function run(kind) {
    const delimited = current.columns.length > 0;
    const request = {
      kind,
      file: current.file,
      format: current.format,
      gzip: current.gzip,
      text: delimited ? $('text-column').value : '',
      label: delimited ? $('label-column').value : '',
      recipe: $('recipe').value,
      testRows: Math.max(0, Math.floor(Number($('test-rows').value) || 0)),
      mix: $('mix-rows').checked,
      seed: 1,
    };
    if (kind !== 'train') request.model = await call(ENGINE.exportModel);
    const name = current.file.name;
    result.replaceChildren();
    setRunning(true);
    try {
      const answer = await runJob(request, $('files-job'), request.model ? [request.model.buffer] : []);
      if (answer === null) result.replaceChildren(paragraph('Cancelled: nothing was changed.'));
      else show(kind, answer, name);
    } catch (error) {
      result.replaceChildren(paragraph(`The job stopped: ${error.message}. Nothing was changed.`));
    } finally {
      setRunning(false);
    }
  }

  function notes(list) {
    return list.map((text) => paragraph(text, 'note'));
  }

  function showClassified({ result: r, csv }, name) {
    const link = document.createElement('a');
    link.href = URL.createObjectURL(csv);
    link.download = `${name.replace(/\.(gz|tgz)$/i, '').replace(/\.[^.]+$/, '')}-classified.csv`;
    link.textContent = `Download the classified file (CSV, ${(csv.size / 1e6).toFixed(1)} MB)`;
    const total = r.positive + r.negative;
    result.replaceChildren(
      paragraph(`Classified ${total.toLocaleString()} reviews: ${r.positive.toLocaleString()} positive, ${r.negative.toLocaleString()} negative.`),
      histogram(r.histogram),
      link,
      ...notes(r.notes),
    );
  }

  function showEvaluated({ result: r }) {
    const c = r.confusion;
    const table = document.createElement('table');
    table.innerHTML = '<caption>Confusion matrix</caption><thead><tr><th></th><th scope="col">predicted negative</th><th scope="col">predicted positive</th></tr></thead><tbody></tbody>';
    for (const [name, values] of [['actually negative', [c.true_negative, c.false_positive]], ['actually positive', [c.false_negative, c.true_positive]]]) {
      const row = table.tBodies[0].insertRow();
      const head = document.createElement('th');
      head.scope = 'row';
      head.textContent = name;
      row.append(head);
      for (const value of values) row.insertCell().textContent = value.toLocaleString();
    }
    result.replaceChildren(
      paragraph(`On ${r.rows.toLocaleString()} rows: accuracy ${r.accuracy.toFixed(4)}, log loss ${r.log_loss.toFixed(4)}, ROC AUC ${r.roc_auc.toFixed(4)}.`),
      table,
      rocCurve(r.roc, r.roc_auc),
      ...notes(r.notes),
    );
  }

  function showTrained({ result: r }, name) {
    const panel = document.createElement('div');
    panel.setAttribute('role', 'region');
    panel.setAttribute('aria-label', 'Trained model');
    panel.className = 'trained';
    const held = r.held_out.rows > 0
      ? ` Held out the last ${r.held_out.rows.toLocaleString()} rows: accuracy ${r.held_out.accuracy.toFixed(4)}, log loss ${r.held_out.log_loss.toFixed(4)}, ROC AUC ${r.held_out.roc_auc.toFixed(4)}.`
      : '';
    panel.append(paragraph(`Trained a model on ${r.rows_learned.toLocaleString()} rows of ${name}.${held}`));
    if (r.looks_sorted) {
      panel.append(paragraph(`Warning: ${r.longest_label_run.toLocaleString()} rows in a row had the same label: the file looks sorted by label, and the model learned that order. Tick "Mix the rows first" and train again.`, 'note'));
    }
    panel.append(...notes(r.notes));
    const actions = document.createElement('div');
    actions.className = 'file-actions';
    const button = (text, onClick) => {
      const node = document.createElement('button');
      node.type = 'button';
      node.textContent = text;
      node.addEventListener('click', onClick);
      actions.append(node);
    };
    const mainExport = $('export');
    const close = (message) => {
      mainExport.hidden = false;
      result.replaceChildren(...(message ? [paragraph(message)] : []));
    };
    button('Use this model', async () => {
      try {
        showStatus(await call(ENGINE.useModel, { bytes: r.model.slice() }));
        close('The trained model is now the one this page uses and you teach.');
        await modelReplaced();
      } catch (error) {
        close(error.message);
      }
    });
    button('Export', () => {
      const link = document.createElement('a');
      link.href = URL.createObjectURL(new Blob([r.model], { type: 'application/octet-stream' }));
      link.download = 'movieclassifier-trained.postcard';
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 1000);
    });
    button('Discard', () => close('The trained model was discarded.'));
    panel.append(actions);
    // One Export at a time: while a trained model waits, Export is its.
    mainExport.hidden = true;
    result.replaceChildren(panel);
  }

  function show(kind, data, name) {
    if (kind === 'classify') showClassified(data, name);
    else if (kind === 'evaluate') showEvaluated(data);
    else showTrained(data, name);
  }

  const start = (kind) => {
    if (!busy()) run(kind);
  };
  buttons.classify.addEventListener('click', () => start('classify'));
  buttons.evaluate.addEventListener('click', () => start('evaluate'));
  buttons.train.addEventListener('click', () => start('train'));
  input.disabled = false;
}
