// A review with each word coloured by the weight its term carries, and its strongest terms.

// Highlighting builds one element a word, so a very long review shows only its beginning.
const HIGHLIGHT_CHARS = 20000;

/** Paints `text` into `out` and its strongest terms into `list` (either may be null). */
export function highlight(text, terms, out, list) {
  const weights = new Map(terms.map((t) => [t.term, t.weight]));
  const strongest = Math.max(1e-9, ...terms.map((t) => Math.abs(t.weight)));
  if (out) {
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
  }
  if (list) {
    list.replaceChildren();
    const ranked = [...terms].sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution));
    for (const t of ranked.slice(0, 6).filter((t) => t.contribution !== 0)) {
      const item = document.createElement('li');
      item.className = t.contribution > 0 ? 'positive' : 'negative';
      item.textContent = `${t.term}: ${t.contribution > 0 ? '+' : ''}${t.contribution.toFixed(3)}`;
      list.append(item);
    }
  }
}
