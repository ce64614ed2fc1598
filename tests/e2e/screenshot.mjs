// Takes the README's pictures from the real page in headless Chromium:
//   trunk build --release --offline && (cd tests/e2e && node screenshot.mjs)
// docs/screenshot.png, a review classified; docs/files.png, a file evaluated; docs/teaching.png,
// the queue and the history after a few answers.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

import { launch, ready } from './browser.mjs';
import { serve } from './server.mjs';

const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));
const DOCS = fileURLToPath(new URL('../../docs/', import.meta.url));
const CORPUS = fileURLToPath(new URL('../../../shared/data/movie_data.csv.gz', import.meta.url));

const site = await serve(DIST, '/');
const browser = await launch();
try {
  const page = await browser.newPage({ viewport: { width: 900, height: 1000 } });
  await page.goto(site.url);
  await ready(page);
  await page.getByRole('textbox', { name: 'Review' }).fill(
    'A wonderful cast and a clever script, but the ending was a boring mess. Still, I loved it :)',
  );
  await page.waitForFunction(() => /%/.test(document.querySelector('[role=status]').textContent));
  // The top of the page: the review, its verdict and why, and the teaching buttons.
  const top = await page.locator('main > header').boundingBox();
  const teach = await page.locator('#teach-heading').locator('..').boundingBox();
  await page.screenshot({
    path: `${DOCS}screenshot.png`,
    clip: { x: top.x - 16, y: top.y - 8, width: top.width + 32, height: teach.y + teach.height - top.y + 16 },
  });

  // Product reviews from the out-of-domain sentences, labelled rightly by keyboard in the queue.
  const sentences = (await readFile(fileURLToPath(new URL('../../../shared/data/uci_sentences.csv', import.meta.url)), 'utf8'))
    .split('\n').filter((line) => line.endsWith(',amazon')).slice(0, 200)
    .map((line) => {
      const cut = line.lastIndexOf(',', line.length - 8);
      return [line.slice(0, cut).replace(/^"(.*)"$/, '$1').replaceAll('""', '"'), line[cut + 1]];
    });
  const labels = new Map(sentences);
  const queueFile = join(await mkdtemp(join(tmpdir(), 'screenshot-')), 'products.txt');
  await writeFile(queueFile, `${sentences.map(([text]) => text).join('\n')}\n`);
  await page.getByLabel('Reviews to label').setInputFiles(queueFile);
  await page.getByRole('region', { name: 'Queue' }).getByRole('article').waitFor();
  for (let n = 0; n < 5; n += 1) {
    const before = await page.locator('#queue-progress').textContent();
    const shown = await page.locator('#queue-text').textContent();
    await page.keyboard.press(labels.get(shown) === '1' ? 'j' : 'f');
    await page.locator('#queue-progress').filter({ hasNotText: before }).waitFor();
  }
  await page.locator('#history-list li').nth(4).waitFor();
  // In page coordinates, which a full-page clip takes.
  const box = (selector) => page.evaluate((selector) => {
    const rect = document.querySelector(selector).getBoundingClientRect();
    return { x: rect.x + window.scrollX, y: rect.y + window.scrollY, width: rect.width, height: rect.height };
  }, selector);
  const queue = await box('#queue');
  const history = await box('#history');
  await page.screenshot({
    path: `${DOCS}teaching.png`,
    clip: { x: queue.x - 16, y: queue.y - 8, width: queue.width + 32, height: Math.min(history.y + history.height - queue.y + 16, 1400) },
    fullPage: true,
  });

  // The protocol's held-out rows (the last 4,992 of the corpus), which the model never saw.
  const rows = gunzipSync(await readFile(CORPUS)).toString().trimEnd().split('\n');
  const heldOut = join(await mkdtemp(join(tmpdir(), 'screenshot-')), 'held-out.csv');
  await writeFile(heldOut, `${rows[0]}\n${rows.slice(-4992).join('\n')}\n`);
  await page.getByLabel('Reviews file').setInputFiles(heldOut);
  await page.locator('#file-info').filter({ hasText: 'MB' }).waitFor();
  await page.getByRole('button', { name: 'Evaluate' }).click();
  await page.locator('#job-result table').waitFor();
  await page.locator('#files').screenshot({ path: `${DOCS}files.png` });
  console.log(`wrote ${DOCS}screenshot.png, ${DOCS}files.png and ${DOCS}teaching.png`);
} finally {
  await browser.close();
  await site.close();
}
