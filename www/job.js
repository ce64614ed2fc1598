// A file job's thread: reads the visitor's file as a stream, decompressing it as it goes, and
// feeds it to the library's job (classify, evaluate or train), reporting progress. Nothing
// outside this worker changes while it runs, so terminating it cancels the job cleanly and
// gives its memory back.
import init, { FileJob } from './movieclassifier.js';
import { JOB } from './messages.js';

const PROGRESS_MS = 100;
// Classified CSV is gathered into a Blob of this many bytes at a time, which the browser may
// keep out of this worker's memory.
const BLOB_BYTES = 8 << 20;
const END = new Uint8Array();

/** Counts the file's bytes read, across every read of it, and reports now and then. */
class Progress {
  constructor(total) {
    this.bytes = 0;
    this.total = total;
    this.last = 0;
  }

  report(rows, force = false) {
    const now = performance.now();
    if (!force && now - this.last < PROGRESS_MS) return;
    this.last = now;
    self.postMessage({ type: JOB.progress, bytes: this.bytes, total: this.total, rows });
  }
}

/** A reader of the file's bytes, decompressed when it is gzip'd. */
function open(file, gzip, progress) {
  let stream = file.stream().pipeThrough(new TransformStream({
    transform(chunk, controller) {
      progress.bytes += chunk.byteLength;
      controller.enqueue(chunk);
    },
  }));
  if (gzip) stream = stream.pipeThrough(new DecompressionStream('gzip'));
  const reader = stream.getReader();
  return {
    async read() {
      try {
        return await reader.read();
      } catch (error) {
        throw gzip ? new Error(`its gzip data is damaged or cut short (${error.message})`) : error;
      }
    },
  };
}

/** Feeds the whole file to `take`, chunk by chunk. */
async function each(file, gzip, progress, job, take) {
  const reader = open(file, gzip, progress);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    take(value);
    progress.report(job.rows());
  }
}

function start({ kind, format, text, label, model, recipe, testRows, mix, seed }) {
  switch (kind) {
    case 'classify': return FileJob.classify(format, text, model);
    case 'evaluate': return FileJob.evaluate(format, text, label, model);
    case 'read': return FileJob.read(format, text, label);
    default: return FileJob.train(format, text, label, recipe, testRows, mix, seed);
  }
}

async function run(request) {
  const { file, gzip } = request;
  const job = start(request);
  const mixes = job.mixesArchive();
  const progress = new Progress(file.size * (mixes ? 3 : 1));
  const parts = [];
  let pending = [];
  let pendingBytes = 0;
  const gather = (bytes) => {
    if (bytes.length === 0) return;
    pending.push(bytes);
    pendingBytes += bytes.length;
    if (pendingBytes >= BLOB_BYTES) {
      parts.push(new Blob(pending));
      pending = [];
      pendingBytes = 0;
    }
  };
  if (mixes) {
    // An archive lies sorted by class: counted in one read, then read by two readers at
    // once, one a class, as the trainer reads it.
    await each(file, gzip, progress, job, (chunk) => job.count(chunk));
    job.count(END);
    do {
      const readers = [open(file, gzip, progress), open(file, gzip, progress)];
      for (let k = job.wants(); k >= 0; k = job.wants()) {
        const { done, value } = await readers[k].read();
        job.feed(k, done ? END : value);
        progress.report(job.rows());
      }
    } while (job.endOfArchivePass());
  } else {
    let again;
    do {
      await each(file, gzip, progress, job, (chunk) => {
        job.push(chunk);
        gather(job.output());
      });
      again = job.endOfFile();
      gather(job.output());
    } while (again);
  }
  progress.report(job.rows(), true);
  if (pending.length > 0) parts.push(new Blob(pending));
  // A file read for its rows hands them all over at the end, so that a cancelled read
  // leaves nothing half taken.
  const rows = request.kind === 'read' ? job.takeRows() : null;
  const result = job.result(file.name);
  if (rows) Object.assign(result, rows);
  const csv = request.kind === 'classify' ? new Blob(parts, { type: 'text/csv' }) : null;
  return { result, csv };
}

self.onmessage = async ({ data }) => {
  try {
    await init({ module_or_path: new URL('./movieclassifier_bg.wasm', import.meta.url) });
    const { result, csv } = await run(data);
    const transfer = result.model ? [result.model.buffer] : [];
    self.postMessage({ type: JOB.done, result, csv }, transfer);
  } catch (error) {
    self.postMessage({ type: JOB.failed, message: String(error?.message ?? error) });
  }
};
