// Whole files in the page (issue 11): real files classified, scored and learned from in a
// worker, checked against the native trainer on the same files, and every bad file refused
// with its message and nothing changed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';

import { launch, ready } from './browser.mjs';
import { versionOf } from './builds.mjs';
import { serve } from './server.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIST = join(ROOT, 'dist');
const FIXTURES = join(ROOT, 'tests', 'fixtures');
const TRAINER = process.env.TRAINER ?? join(ROOT, 'target', 'debug', 'trainer');

let browser;
let site;
let pretrained;

before(async () => {
  browser = await launch();
  site = await serve(DIST);
  pretrained = join(DIST, 'v', await versionOf(DIST), 'pretrained.postcard');
});

after(async () => {
  await browser?.close();
  await site?.close();
});

async function openPage() {
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  await page.goto(site.url);
  await ready(page);
  return { context, page };
}

/** `trainer` in the fixtures folder, so that files are named as the page names them. */
async function trainer(...args) {
  const { stdout } = await promisify(execFile)(TRAINER, args, { cwd: FIXTURES, maxBuffer: 1 << 28 });
  return stdout;
}

/** Picks a file and waits for what the page found in it (not its "Reading…" line). */
async function pick(page, path) {
  await page.getByLabel('Reviews file').setInputFiles(path);
  await page.locator('#file-info').filter({ hasText: /./ }).filter({ hasNotText: /^Reading the start of/ }).waitFor();
}

/** Runs a job by its button and waits for its result. */
async function runJob(page, button) {
  const result = page.locator('#job-result');
  await page.evaluate(() => document.getElementById('job-result').replaceChildren());
  await page.getByRole('button', { name: button, exact: true }).click();
  await result.locator('*').first().waitFor();
  return result;
}

async function download(page, locator) {
  const [file] = await Promise.all([page.waitForEvent('download'), locator.click()]);
  return readFile(await file.path());
}

/** Every record of the page's IndexedDB, to compare before and after. */
function storedState(page) {
  return page.evaluate(() => new Promise((resolve, reject) => {
    const request = indexedDB.open('movieclassifier');
    request.onerror = () => reject(request.error);
    request.onsuccess = () => {
      const db = request.result;
      const transaction = db.transaction(['log', 'model'], 'readonly');
      const log = transaction.objectStore('log').getAll();
      const keys = transaction.objectStore('model').getAllKeys();
      const models = transaction.objectStore('model').getAll();
      transaction.oncomplete = () => {
        db.close();
        const bytes = (value) => (value instanceof Uint8Array ? Array.from(value) : value);
        resolve(JSON.stringify({
          log: log.result,
          model: models.result.map((m, n) => [keys.result[n], m instanceof Uint8Array ? bytes(m) : { ...m, bytes: bytes(m.bytes) }]),
        }));
      };
    };
  }));
}

async function teach(page, text, label) {
  await page.getByRole('textbox', { name: 'Review' }).fill(text);
  const count = Number((await page.locator('#taught').textContent()).match(/\d+/)?.[0] ?? 0);
  await page.getByRole('button', { name: new RegExp(`It's ${label}`) }).click();
  await page.locator('#taught').filter({ hasText: `Examples learned: ${count + 1}` }).waitFor();
}

test('a classified file downloads with every row as trainer classify writes it', async () => {
  const { context, page } = await openPage();
  for (const name of ['reviews.csv.gz', 'lines.txt', 'acl-small.tar.gz']) {
    await pick(page, join(FIXTURES, name));
    const result = await runJob(page, 'Classify file');
    assert.match(await result.textContent(), /Classified \d+ reviews: \d+ positive, \d+ negative/);
    assert.equal(await result.getByRole('img').count(), 1, 'a histogram');
    const csv = await download(page, page.getByRole('link', { name: /Download/ }));
    const expected = await trainer('classify', '--model', pretrained, '--data', name, '--out', '-');
    assert.equal(csv.toString(), expected, name);
  }
  await context.close();
});

test('an evaluation shows the figures trainer eval prints, and an ROC curve', async () => {
  const { context, page } = await openPage();
  await pick(page, join(FIXTURES, 'reviews.csv'));
  const result = await runJob(page, 'Evaluate');
  const text = await result.textContent();
  const report = JSON.parse(await trainer('eval', '--model', pretrained, '--data', 'reviews.csv', '--json'));
  assert.match(text, new RegExp(`accuracy ${report.accuracy.toFixed(4)}`));
  assert.match(text, new RegExp(`log loss ${report.log_loss.toFixed(4)}`));
  assert.match(text, new RegExp(`ROC AUC ${report.roc_auc.toFixed(4)}`));
  assert.match(text, /line 14: 1 fields where the header has 2/);
  assert.match(await result.getByRole('img').getAttribute('aria-label'), /ROC curve/);
  await context.close();
});

test('a model trained in the page is the trainer\'s, byte for byte, and can be used with what was taught', async () => {
  const { context, page } = await openPage();
  await teach(page, 'A slow, joyless remake.', 'negative');
  await teach(page, 'Charming from start to finish.', 'positive');
  for (const [name, recipe, testRows] of [['reviews.csv.gz', 'site', 20], ['acl-small.tar.gz', 'notebook', 0]]) {
    await pick(page, join(FIXTURES, name));
    await page.locator('#train-options').evaluate((details) => { details.open = true; });
    await page.getByLabel('Recipe').selectOption(recipe);
    await page.getByLabel(/Hold out the last/).fill(String(testRows));
    const result = await runJob(page, 'Train a model');
    const region = result.getByRole('region', { name: 'Trained model' });
    assert.match(await region.textContent(), /Trained a model on \d+ rows/);
    const bytes = await download(page, region.getByRole('button', { name: 'Export', exact: true }));
    const dir = await mkdtemp(join(tmpdir(), 'movieclassifier-trained-'));
    const out = join(dir, `${recipe}.postcard`);
    await trainer('train', '--data', name, '--preset', recipe, '--test-rows', String(testRows), '--quiet', '--out', out);
    assert.deepEqual(bytes, await readFile(out), `${name} with the ${recipe} recipe`);
    if (recipe === 'site') {
      await page.getByRole('button', { name: 'Discard' }).click();
      assert.equal(await page.getByRole('button', { name: 'Export', exact: true }).count(), 1);
      continue;
    }
    await region.getByRole('button', { name: 'Use this model' }).click();
    await page.locator('#notice').filter({ hasText: '2 taught examples were replayed' }).waitFor();
    await page.locator('#taught').filter({ hasText: 'Examples learned: 2' }).waitFor();
    // The page now holds the trained model with the two examples taught onto it.
    const taught = join(dir, 'taught.csv');
    await writeFile(taught, 'review,sentiment\n"A slow, joyless remake.",0\nCharming from start to finish.,1\n');
    const replay = join(dir, 'replayed.postcard');
    await promisify(execFile)(TRAINER, ['train', '--start', out, '--data', taught, '--out', replay, '--quiet']);
    const exported = await download(page, page.getByRole('button', { name: 'Export', exact: true }));
    assert.deepEqual(exported, await readFile(replay));
  }
  await context.close();
});

test('Cancel and a damaged file leave storage exactly as it was', async () => {
  const { context, page } = await openPage();
  await teach(page, 'Two hours I will never get back.', 'negative');
  const before = await storedState(page);
  // A file long enough to cancel mid-way: the fixture, 60 times.
  const dir = await mkdtemp(join(tmpdir(), 'movieclassifier-big-'));
  const rows = (await readFile(join(FIXTURES, 'reviews.csv'), 'utf8')).split('\n').slice(1).join('\n');
  const big = join(dir, 'big.csv.gz');
  await writeFile(big, gzipSync(`review,sentiment\n${rows.repeat(60)}`));
  await pick(page, big);
  await page.getByRole('button', { name: 'Train a model' }).click();
  await page.getByRole('progressbar').waitFor();
  await page.waitForFunction(() => document.querySelector('progress')?.value > 0.05);
  await page.getByRole('button', { name: 'Cancel' }).click();
  await page.locator('#job-result').filter({ hasText: 'Cancelled: nothing was changed.' }).waitFor();
  assert.equal(await page.getByRole('progressbar').isVisible(), false);
  assert.equal(await storedState(page), before, 'cancel changed nothing stored');

  for (const [name, message] of [['truncated.csv.gz', /gzip data is damaged or cut short/], ['truncated.tar', /truncated/]]) {
    await pick(page, join(FIXTURES, name));
    const result = await runJob(page, name.endsWith('.tar') ? 'Evaluate' : 'Classify file');
    assert.match(await result.textContent(), message);
    assert.match(await result.textContent(), /Nothing was changed/);
  }
  assert.equal(await storedState(page), before, 'damaged files changed nothing stored');
  await context.close();
});

test('bad files get their messages: not text, not a file this page reads, columns to choose', async () => {
  const { context, page } = await openPage();
  await pick(page, join(FIXTURES, 'picture.png'));
  assert.match(await page.locator('#file-info').textContent(), /not a kind of file this page reads/);
  // The same picture renamed .csv is still refused, from its first bytes.
  const dir = await mkdtemp(join(tmpdir(), 'movieclassifier-bad-'));
  await writeFile(join(dir, 'picture.csv'), await readFile(join(FIXTURES, 'picture.png')));
  await pick(page, join(dir, 'picture.csv'));
  assert.match(await page.locator('#file-info').textContent(), /not a text file/);
  assert.equal(await page.getByRole('button', { name: 'Classify file' }).isDisabled(), true);

  // Other column names: the picker shows them, guesses nothing, and says so.
  await pick(page, join(FIXTURES, 'comments.tsv'));
  assert.match(await page.locator('#file-info').textContent(), /no "review" column/);
  const text = page.getByLabel('Text column');
  assert.deepEqual(await text.locator('option').allTextContents(), ['Choose…', 'id', 'stars', 'comment']);
  assert.equal(await page.getByRole('button', { name: 'Classify file' }).isDisabled(), true);
  await text.selectOption('comment');
  const result = await runJob(page, 'Classify file');
  assert.match(await result.textContent(), /Classified 60 reviews/);
  await context.close();
});
