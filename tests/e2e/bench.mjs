// Speed and size of the built page, measured in headless Chromium (a report, not a test):
//   trunk build --release --offline && (cd tests/e2e && npm run bench)
import { readdir, readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

import { launch, ready } from './browser.mjs';
import { serve } from './server.mjs';

const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));
// A 230-word review.
const REVIEW = Array.from({ length: 23 }, () =>
  'The acting was wonderful but the long plot dragged badly.').join(' ');

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function sizes() {
  let total = 0;
  console.log('first visit, gzip -9 bytes:');
  for (const name of (await readdir(DIST)).sort()) {
    const bytes = await readFile(new URL(name, `file://${DIST}`));
    const gzipped = gzipSync(bytes, { level: 9 }).length;
    total += gzipped;
    console.log(`  ${name.padEnd(28)} ${String(bytes.length).padStart(9)} raw ${String(gzipped).padStart(9)} gzip`);
  }
  console.log(`  ${'total'.padEnd(28)} ${' '.repeat(13)} ${String(total).padStart(9)} gzip`);
}

async function firstPrediction(browser, url) {
  const times = [];
  for (let run = 0; run < 5; run += 1) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(url, { waitUntil: 'commit' });
    await page.getByRole('textbox', { name: 'Review' }).fill('I love this movie. It is amazing.');
    await page.waitForFunction(() => /%/.test(document.querySelector('[role=status]').textContent));
    times.push(await page.evaluate(() => performance.now()));
    await context.close();
  }
  console.log(`navigation to first prediction: median ${median(times).toFixed(0)} ms of 5 (${times.map((t) => t.toFixed(0)).join(', ')})`);
}

async function engine(browser, url) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(url);
  const result = await page.evaluate(async (review) => {
    const { default: init, openSession } = await import('./movieclassifier.js');
    await init({ module_or_path: './movieclassifier_bg.wasm' });
    const pretrained = new Uint8Array(await (await fetch('./pretrained.postcard')).arrayBuffer());
    const session = await openSession(pretrained, `bench-${Date.now()}`);
    const classify = [];
    for (let n = 0; n < 300; n += 1) {
      const start = performance.now();
      session.classify(review);
      classify.push(performance.now() - start);
    }
    const teach = [];
    for (let n = 0; n < 40; n += 1) {
      const start = performance.now();
      await session.teach(review, n % 2 === 0);
      teach.push(performance.now() - start);
    }
    const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    return { classify: median(classify), teach: median(teach), words: review.split(' ').length };
  }, REVIEW);
  console.log(`classify one ${result.words}-word review (label, probability, word contributions): median ${result.classify.toFixed(3)} ms of 300`);
  console.log(`teach one example and save it to IndexedDB: median ${result.teach.toFixed(2)} ms of 40`);
  await context.close();
}

// The main thread while a 10 MB review is pasted and classified: the longest task it runs.
async function longReview(browser, url) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(url);
  await ready(page);
  const result = await page.evaluate(async () => {
    const tasks = [];
    new PerformanceObserver((list) => tasks.push(...list.getEntries().map((e) => e.duration)))
      .observe({ type: 'longtask' });
    const review = document.getElementById('review');
    const text = 'An astonishing, heartfelt film; the ending drags. '.repeat(210000);
    const start = performance.now();
    review.value = text;
    review.dispatchEvent(new Event('input'));
    const status = document.querySelector('[role=status]');
    const before = status.textContent;
    while (status.textContent === before || !/%/.test(status.textContent)) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return { ms: performance.now() - start, bytes: text.length, longest: Math.max(0, ...tasks) };
  });
  console.log(`a ${(result.bytes / 1e6).toFixed(1)} MB review: verdict after ${result.ms.toFixed(0)} ms; longest main-thread task ${result.longest.toFixed(0)} ms`);
  await context.close();
}

const site = await serve(DIST, '/');
const browser = await launch();
try {
  await sizes();
  await firstPrediction(browser, site.url);
  await engine(browser, site.url);
  await longReview(browser, site.url);
} finally {
  await browser.close();
  await site.close();
}
