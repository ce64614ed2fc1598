// Takes the README's pictures from the real page in headless Chromium:
//   trunk build --release --offline && (cd tests/e2e && node screenshot.mjs)
// docs/screenshot.png, a review classified; docs/files.png, a file evaluated.
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
  await page.locator('main').screenshot({ path: `${DOCS}screenshot.png` });

  // The protocol's held-out rows (the last 4,992 of the corpus), which the model never saw.
  const rows = gunzipSync(await readFile(CORPUS)).toString().trimEnd().split('\n');
  const heldOut = join(await mkdtemp(join(tmpdir(), 'screenshot-')), 'held-out.csv');
  await writeFile(heldOut, `${rows[0]}\n${rows.slice(-4992).join('\n')}\n`);
  await page.getByLabel('Reviews file').setInputFiles(heldOut);
  await page.locator('#file-info').filter({ hasText: 'MB' }).waitFor();
  await page.getByRole('button', { name: 'Evaluate' }).click();
  await page.locator('#job-result table').waitFor();
  await page.locator('#files').screenshot({ path: `${DOCS}files.png` });
  console.log(`wrote ${DOCS}screenshot.png and ${DOCS}files.png`);
} finally {
  await browser.close();
  await site.close();
}
