// What a picked file is: its format (by its name), whether it is gzip'd, and for CSV or TSV
// its columns, read from its first bytes by the engine worker.
import { ENGINE } from './messages.js';

// Bytes read from the start of a file to find its columns.
const START_BYTES = 1 << 16;

/** The first bytes of a file, decompressed if it is gzip'd (as far as they go). */
async function startOf(file, gzip) {
  const slice = file.slice(0, START_BYTES);
  if (!gzip) return new Uint8Array(await slice.arrayBuffer());
  const reader = slice.stream().pipeThrough(new DecompressionStream('gzip')).getReader();
  const parts = [];
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
    }
  } catch {
    // The slice ends mid-stream: what came out before is the start wanted.
  }
  return new Uint8Array(await new Blob(parts).arrayBuffer());
}

/**
 * `{file, gzip, format, columns, text, label}`: `columns` empty unless the file is CSV or
 * TSV, `text` and `label` the indexes of the columns guessed to hold them, or null.
 */
export async function inspect(call, file) {
  const kind = await call(ENGINE.fileKind, { name: file.name });
  const start = await startOf(file, kind.gzip);
  const found = await call(ENGINE.inspectFile, { format: kind.format, start }, [start.buffer]);
  return { ...found, file, gzip: kind.gzip, format: kind.format };
}
