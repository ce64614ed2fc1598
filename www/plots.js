// Small SVG pictures of a job's results, drawn from the numbers the library computed.
const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 320;
const HEIGHT = 180;
const MARGIN = 28;

function element(name, attributes = {}, text) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

/** An SVG with a title for screen readers and room for axes. */
function canvas(label) {
  const svg = element('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'aria-label': label, class: 'plot' });
  svg.append(element('title', {}, label));
  return svg;
}

const x = (fraction) => MARGIN + fraction * (WIDTH - MARGIN - 8);
const y = (fraction) => HEIGHT - MARGIN - fraction * (HEIGHT - MARGIN - 8);

function axes(svg, xLabel, yLabel) {
  svg.append(
    element('line', { x1: x(0), y1: y(0), x2: x(1), y2: y(0), class: 'axis' }),
    element('line', { x1: x(0), y1: y(0), x2: x(0), y2: y(1), class: 'axis' }),
    element('text', { x: x(0.5), y: HEIGHT - 6, 'text-anchor': 'middle' }, xLabel),
    element('text', { x: 10, y: y(0.5), 'text-anchor': 'middle', transform: `rotate(-90 10 ${y(0.5)})` }, yLabel),
    element('text', { x: x(0), y: y(0) + 14, 'text-anchor': 'middle' }, '0'),
    element('text', { x: x(1), y: y(0) + 14, 'text-anchor': 'middle' }, '1'),
  );
}

/** Bars of how many reviews got each probability of being positive. */
export function histogram(counts) {
  const total = counts.reduce((a, b) => a + b, 0);
  const svg = canvas(`Histogram of the probability of positive over ${total} reviews, in ${counts.length} bins`);
  axes(svg, 'probability of positive', 'reviews');
  const tallest = Math.max(1, ...counts);
  const width = 1 / counts.length;
  counts.forEach((count, bin) => {
    const top = y(count / tallest);
    svg.append(element('rect', {
      x: x(bin * width) + 1,
      y: top,
      width: Math.max(1, x(width) - x(0) - 2),
      height: y(0) - top,
      class: bin * width >= 0.5 ? 'bar positive' : 'bar negative',
    }, undefined));
  });
  return svg;
}

/** The ROC curve, with the diagonal of a coin toss. */
export function rocCurve(points, auc) {
  const svg = canvas(`ROC curve, area under it ${auc.toFixed(4)}`);
  axes(svg, 'false-positive rate', 'true-positive rate');
  svg.append(
    element('line', { x1: x(0), y1: y(0), x2: x(1), y2: y(1), class: 'chance' }),
    element('polyline', { points: points.map((p) => `${x(p.fpr).toFixed(1)},${y(p.tpr).toFixed(1)}`).join(' '), class: 'curve' }),
  );
  return svg;
}
