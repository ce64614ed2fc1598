// A review painted with the weights of the terms the model used, where the library says they
// stand, and its strongest terms. It reads a verdict of the engine (src/wasm/verdict.rs), which
// holds only the terms the model has a weight for, as columns: their numbers as little-endian
// bytes, their spans as (term, start, end) triples of u32s in UTF-16 units. The page never
// splits words itself: a word pair is painted over both its words, on top of each word's own
// weight.

// Highlighting builds an element per painted stretch, so a very long review shows only its
// beginning.
const HIGHLIGHT_CHARS = 20000;

/** Little-endian bytes as numbers of `Type` (copied: the bytes may sit at any offset). */
const numbers = (Type, bytes) => new Type(bytes.slice().buffer);

/** The verdict's terms as `{ term, weight, contribution }`. */
function termsOf({ terms, weights, contributions }) {
  const weight = numbers(Float64Array, weights);
  const contribution = numbers(Float64Array, contributions);
  return (terms === '' ? [] : terms.split('\n'))
    .map((term, n) => ({ term, weight: weight[n], contribution: contribution[n] }));
}

/** The stretches of `text` between term edges, each with the terms covering it. */
function stretches(length, terms, spans) {
  const events = [];
  const triples = numbers(Uint32Array, spans);
  for (let at = 0; at + 2 < triples.length; at += 3) {
    const [term, start, end] = [terms[triples[at]], triples[at + 1], triples[at + 2]];
    if (start >= length) continue;
    events.push([start, 1, term], [Math.min(end, length), -1, term]);
  }
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out = [];
  const active = new Map();
  let at = 0;
  for (const [position, change, term] of events) {
    if (position > at) out.push({ start: at, end: position, terms: [...active.keys()] });
    at = position;
    const count = (active.get(term) ?? 0) + change;
    if (count > 0) active.set(term, count);
    else active.delete(term);
  }
  if (at < length) out.push({ start: at, end: length, terms: [] });
  return out;
}

/** Paints `text` into `out` and its strongest terms into `list` (either may be null), as
 * `verdict` explains it. */
export function highlight(text, verdict, out, list) {
  const terms = termsOf(verdict);
  if (out) {
    out.replaceChildren();
    const shown = text.length > HIGHLIGHT_CHARS ? text.slice(0, HIGHLIGHT_CHARS) : text;
    const pieces = stretches(shown.length, terms, verdict.spans).map((piece) => ({
      ...piece,
      weight: piece.terms.reduce((sum, term) => sum + term.weight, 0),
    }));
    const strongest = Math.max(1e-9, ...pieces.map((piece) => Math.abs(piece.weight)));
    for (const { start, end, terms: covering, weight } of pieces) {
      const words = shown.slice(start, end);
      if (covering.length === 0 || weight === 0) {
        out.append(words);
        continue;
      }
      const mark = document.createElement('mark');
      mark.textContent = words;
      mark.className = weight > 0 ? 'positive' : 'negative';
      mark.style.setProperty('--strength', (Math.abs(weight) / strongest).toFixed(3));
      mark.title = covering.map((term) => `${term.term}: ${term.weight.toFixed(3)}`).join(', ');
      out.append(mark);
    }
    if (shown !== text) out.append(` … (the first ${HIGHLIGHT_CHARS.toLocaleString()} characters of ${text.length.toLocaleString()})`);
  }
  if (list) {
    list.replaceChildren();
    const ranked = [...terms].sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution));
    for (const t of ranked.slice(0, 6)) {
      const item = document.createElement('li');
      item.className = t.contribution > 0 ? 'positive' : 'negative';
      item.textContent = `${t.term}: ${t.contribution > 0 ? '+' : ''}${t.contribution.toFixed(3)}`;
      list.append(item);
    }
  }
}
