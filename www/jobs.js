// Runs a job on a file in a worker of its own (job.js), one job at a time, with a progress
// bar (rows done, rows per second, time left) and a Cancel button in the given place. A job
// touches nothing outside its worker, so Cancel, or a damaged file, changes nothing.
import { JOB } from './messages.js';

let running = null;

function seconds(value) {
  return value < 90 ? `${Math.ceil(value)} s` : `${Math.ceil(value / 60)} min`;
}

/** Whether a job is running. */
export function busy() {
  return running !== null;
}

/**
 * Runs `request` (see job.js), showing its progress in `place`. Resolves to the worker's
 * answer, `null` when cancelled; rejects with the reason it failed.
 */
export function runJob(request, place, transfer = []) {
  if (running) return Promise.reject(new Error('another job is running'));
  const bar = document.createElement('progress');
  bar.max = 1;
  bar.value = 0;
  bar.setAttribute('aria-label', 'Progress');
  const text = document.createElement('p');
  text.textContent = 'Starting…';
  const cancel = document.createElement('button');
  cancel.type = 'button';
  cancel.textContent = 'Cancel';
  const box = document.createElement('div');
  box.className = 'job-progress';
  box.append(bar, text, cancel);
  place.replaceChildren(box);
  const worker = new Worker(new URL('./job.js', import.meta.url), { type: 'module' });
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const end = (settle) => {
      worker.terminate();
      running = null;
      box.remove();
      settle();
    };
    running = { worker };
    cancel.addEventListener('click', () => end(() => resolve(null)));
    worker.onmessage = ({ data }) => {
      if (data.type === JOB.progress) {
        const fraction = data.total > 0 ? Math.min(1, data.bytes / data.total) : 0;
        const elapsed = (performance.now() - started) / 1000;
        const rate = elapsed > 0 ? Math.round(data.rows / elapsed) : 0;
        const left = fraction > 0 ? elapsed * (1 - fraction) / fraction : Infinity;
        bar.value = fraction;
        text.textContent = `${data.rows.toLocaleString()} rows, ${rate.toLocaleString()} rows/s${Number.isFinite(left) ? `, about ${seconds(left)} left` : ''}`;
      } else if (data.type === JOB.failed) {
        end(() => reject(new Error(data.message)));
      } else {
        end(() => resolve(data));
      }
    };
    worker.onerror = (event) => {
      event.preventDefault();
      end(() => reject(new Error(event.message || 'its worker failed to start')));
    };
    worker.postMessage(request, transfer);
  });
}
