// The labelling queue and the history (issue 12), driven by keyboard and by the names a
// screen reader hears: labelling by keys, undo, delete and flip (each model checked against
// the native trainer taught the remaining log from scratch), labels out and back in, reloads,
// two tabs, and a tab closed in the middle of a rebuild.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { launch, ready } from './browser.mjs';
import { versionOf } from './builds.mjs';
import { serve } from './server.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIST = join(ROOT, 'dist');
const FIXTURES = join(ROOT, 'tests', 'fixtures');
const TRAINER = process.env.TRAINER ?? join(ROOT, 'target', 'debug', 'trainer');
const VERDICT = /^(positive|negative) \d{1,3}\.\d{2}% (:D|:\)|:\||:`\(|:\()$/;
const FIXED = 'A slow film, but the ending was worth the wait.';

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

async function openPage(context) {
  const page = await context.newPage();
  await page.goto(site.url);
  await ready(page);
  return page;
}

function waitForTaught(page, n) {
  return page.locator('#taught').filter({ hasText: `Examples learned: ${n}` }).waitFor();
}

async function verdictOf(page, text) {
  await page.getByRole('textbox', { name: 'Review' }).fill(text);
  await page.waitForFunction(
    ([pattern, text]) => new RegExp(pattern).test(document.getElementById('verdict').textContent)
      && document.getElementById('review').value === text,
    [VERDICT.source, text],
  );
  await page.waitForTimeout(300);
  return page.locator('#verdict').textContent();
}

async function download(page, button) {
  const [file] = await Promise.all([page.waitForEvent('download'), button.click()]);
  return readFile(await file.path());
}

const exportModel = (page) => download(page, page.getByRole('button', { name: 'Export', exact: true }));
const exportLabels = (page) => download(page, history(page).getByRole('button', { name: 'Export labels' }));
const queue = (page) => page.getByRole('region', { name: 'Queue' });
const history = (page) => page.getByRole('region', { name: 'History' });

/** The start model taught the labels CSV `csv` (as "Export labels" writes it), natively. */
async function replayed(csv) {
  const dir = await mkdtemp(join(tmpdir(), 'movieclassifier-labels-'));
  const data = join(dir, 'labels.csv');
  const out = join(dir, 'replayed.postcard');
  await writeFile(data, csv);
  await promisify(execFile)(TRAINER, ['train', '--start', pretrained, '--data', data, '--out', out, '--quiet']);
  return readFile(out);
}

/** The page's model equals the start model taught its own exported labels from scratch. */
async function assertReplayed(page) {
  assert.deepEqual(await exportModel(page), await replayed(await exportLabels(page)));
}

async function teachTyped(page, text, label, n) {
  await page.getByRole('textbox', { name: 'Review' }).fill(text);
  await page.getByRole('button', { name: new RegExp(`It's ${label}`) }).click();
  await waitForTaught(page, n);
}

async function answered(page, n) {
  await queue(page).locator('#queue-progress').filter({ hasText: `Answered ${n} of` }).waitFor();
}

async function loadQueue(page, file) {
  await queue(page).getByLabel('Reviews to label').setInputFiles(file);
  await queue(page).getByRole('article').waitFor();
}

test('label 20 reviews with the keyboard only, undo, and a reload keeps the queue and the history', async () => {
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await openPage(context);
  await loadQueue(page, join(FIXTURES, 'lines.txt'));
  await queue(page).locator('#queue-progress').filter({ hasText: 'of 60 queued' }).waitFor();
  for (const name of ['Positive', 'Negative', 'Skip', 'Undo']) {
    assert.equal(await queue(page).getByRole('button', { name: new RegExp(`^${name} \\(`) }).count(), 1);
  }
  // The least sure first: the first review offered is near an even chance.
  const guess = await queue(page).locator('#queue-guess').textContent();
  const percent = Number(guess.match(/([\d.]+)%/)[1]);
  assert.ok(percent < 75, `the first review offered is one it is unsure of (${guess})`);

  const seen = new Set();
  for (let n = 1; n <= 20; n += 1) {
    seen.add(await queue(page).getByRole('article').locator('#queue-text').textContent());
    await page.keyboard.press(n % 3 === 0 ? 'f' : 'j');
    await answered(page, n);
  }
  assert.equal(seen.size, 20, 'each answer moves to another review');
  await page.keyboard.press(' ');
  await queue(page).locator('#queue-progress').filter({ hasText: '1 skipped' }).waitFor();
  await page.keyboard.press('Backspace');
  await queue(page).locator('#queue-progress').filter({ hasText: /Answered 20 of 60 queued, 40 to go/ }).waitFor();
  await page.keyboard.press('Backspace');
  await answered(page, 19);
  await waitForTaught(page, 19);
  // The history is asked for again once the undo is stored, a moment after the count shows.
  await history(page).getByRole('listitem').nth(19).waitFor({ state: 'detached' });
  assert.equal(await history(page).getByRole('listitem').count(), 19);
  assert.match(await history(page).getByRole('listitem').first().textContent(), /from the queue/);
  await assertReplayed(page);

  await page.reload();
  await ready(page);
  await answered(page, 19);
  await waitForTaught(page, 19);
  await history(page).getByRole('listitem').nth(18).waitFor();
  assert.equal(await history(page).getByRole('listitem').count(), 19);
  await queue(page).getByRole('article').waitFor();
  await queue(page).getByRole('button', { name: /^Positive/ }).click();
  await answered(page, 20);
  await assertReplayed(page);
  await context.close();
});

test('delete and flip in the history: the model is the remaining log taught from scratch', async () => {
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await openPage(context);
  const start = await verdictOf(page, FIXED);
  const lessons = [
    ['The ending was worth the wait, a wonderful slow film.', 'positive'],
    ['A slow film. Dreadful.', 'negative'],
    ['Slow, slow, slow: I wanted my money back.', 'negative'],
  ];
  for (const [n, [text, label]] of lessons.entries()) await teachTyped(page, text, label, n + 1);
  const taught = await verdictOf(page, FIXED);
  assert.notEqual(taught, start);
  assert.equal(await history(page).getByRole('listitem').count(), 3);
  assert.match(await history(page).getByRole('listitem').first().textContent(), /Slow, slow, slow.*negative, typed/s);

  const item = (text) => history(page).getByRole('listitem').filter({ hasText: text });
  await item('Dreadful').getByRole('button', { name: 'Delete' }).click();
  await history(page).getByText(/rebuilt from your 2 taught examples in \d+ ms/).waitFor();
  await waitForTaught(page, 2);
  await assertReplayed(page);

  await item('Slow, slow, slow').getByRole('button', { name: 'Flip' }).click();
  await history(page).getByRole('listitem').first().filter({ hasText: /Slow, slow, slow.*positive/s }).waitFor();
  await assertReplayed(page);

  // Search, then take every lesson back: the verdict is the pretrained model's again.
  await history(page).getByLabel('Search history').fill('WONDERFUL');
  await history(page).getByRole('listitem').nth(1).waitFor({ state: 'detached' });
  assert.equal(await history(page).getByRole('listitem').count(), 1);
  await history(page).getByLabel('Search history').fill('');
  await history(page).getByRole('listitem').nth(1).waitFor();
  for (let left = 1; left >= 0; left -= 1) {
    await history(page).getByRole('listitem').first().getByRole('button', { name: 'Delete' }).click();
    await waitForTaught(page, left);
  }
  assert.equal(await verdictOf(page, FIXED), start);
  await context.close();
});

test('labels exported and imported into a fresh profile give the same model bytes', async () => {
  const one = await browser.newContext({ acceptDownloads: true });
  const page = await openPage(one);
  await teachTyped(page, 'Quotes "inside", commas, and\na new line.', 'positive', 1);
  await loadQueue(page, join(FIXTURES, 'lines.txt'));
  for (let n = 1; n <= 5; n += 1) {
    await queue(page).getByRole('button', { name: n % 2 ? /^Negative/ : /^Positive/ }).click();
    await answered(page, n);
  }
  await teachTyped(page, 'Ünïcödé and emoji 🎬 :)', 'negative', 7);
  const labels = await exportLabels(page);
  const model = await exportModel(page);
  await one.close();

  const dir = await mkdtemp(join(tmpdir(), 'movieclassifier-labels-'));
  await writeFile(join(dir, 'labels.csv'), labels);
  const two = await browser.newContext({ acceptDownloads: true });
  const fresh = await openPage(two);
  const [chooser] = await Promise.all([
    fresh.waitForEvent('filechooser'),
    history(fresh).getByRole('button', { name: 'Import labels' }).click(),
  ]);
  await chooser.setFiles(join(dir, 'labels.csv'));
  await history(fresh).getByText('Imported 7 labelled reviews').waitFor();
  await waitForTaught(fresh, 7);
  assert.match(await history(fresh).getByRole('listitem').first().textContent(), /imported/);
  assert.deepEqual(await exportModel(fresh), model);
  await two.close();
});

test('an imported labels file with bad rows: they are skipped, counted and named', async () => {
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await openPage(context);
  await page.locator('#labels-file').setInputFiles(join(FIXTURES, 'reviews.csv'));
  const said = history(page).getByText(/Imported \d+ labelled reviews from reviews.csv/);
  await said.waitFor({ timeout: 60_000 });
  assert.match(await said.textContent(), /skipped 3 unusable rows; first: line 14: .*line 25: .*label.*line 36/);
  await assertReplayed(page);

  // Not a labels file: refused, nothing taught.
  await page.locator('#labels-file').setInputFiles(join(FIXTURES, 'lines.txt'));
  await history(page).getByText(/lines.txt was not imported: it needs a header/).waitFor();
  await context.close();
});

test('two tabs: a deletion in one shows in the other', async () => {
  const context = await browser.newContext();
  const [a, b] = [await openPage(context), await openPage(context)];
  await teachTyped(a, 'Wonderful.', 'positive', 1);
  await teachTyped(a, 'Awful.', 'negative', 2);
  await history(b).getByRole('listitem').filter({ hasText: 'Awful.' }).waitFor();
  await history(a).getByRole('listitem').filter({ hasText: 'Awful.' }).getByRole('button', { name: 'Delete' }).click();
  await waitForTaught(b, 1);
  await history(b).getByRole('listitem').filter({ hasText: 'Awful.' }).waitFor({ state: 'detached' });
  assert.equal(await history(b).getByRole('listitem').count(), 1);
  await context.close();
});

test('a tab closed in the middle of a rebuild leaves the model and the log agreeing', async () => {
  const context = await browser.newContext({ acceptDownloads: true });
  let page = await openPage(context);
  // Enough lessons that a rebuild takes a while (about 300 ms for 9,640 here): the fixture's
  // reviews, forty times over.
  const text = (await readFile(join(FIXTURES, 'reviews.csv'), 'latin1')).split('\n').slice(1).join('\n');
  const dir = await mkdtemp(join(tmpdir(), 'movieclassifier-labels-'));
  await writeFile(join(dir, 'many.csv'), `review,sentiment\n${text.repeat(40)}`, 'latin1');
  await page.locator('#labels-file').setInputFiles(join(dir, 'many.csv'));
  await history(page).getByText(/Imported [\d,]+ labelled reviews/).waitFor({ timeout: 120_000 });
  const taught = Number((await page.locator('#taught').textContent()).match(/\d+/)[0]);
  assert.ok(taught > 9000, `${taught} lessons`);

  await history(page).getByRole('listitem').nth(5).getByRole('button', { name: 'Delete' }).click();
  await page.waitForTimeout(100);
  await page.close();

  page = await openPage(context);
  const now = Number((await page.locator('#taught').textContent()).match(/\d+/)[0]);
  assert.ok(now === taught || now === taught - 1, `${now} lessons after the close`);
  await assertReplayed(page);
  await context.close();
});
