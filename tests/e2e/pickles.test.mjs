// The notebook's pickles in the page (issue 13): its classifier.pkl with its stopwords.pkl,
// made the notebook's way by tests/golden/make_pickles.py, imported through Import; the
// notebook's probability for its example review; learning goes on; the model goes back out
// as a pickle, the same bytes as the trainer's; a hostile pickle changes nothing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';

import { launch, ready } from './browser.mjs';
import { serve } from './server.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIST = join(ROOT, 'dist');
const NOTEBOOK = join(ROOT, 'tests', 'fixtures', 'notebook');
const TRAINER = process.env.TRAINER ?? join(ROOT, 'target', 'debug', 'trainer');

let browser;
let site;
let dir;
let expected;

before(async () => {
  browser = await launch();
  site = await serve(DIST);
  dir = await mkdtemp(join(tmpdir(), 'movieclassifier-pickles-'));
  await writeFile(join(dir, 'classifier.pkl'), gunzipSync(await readFile(join(NOTEBOOK, 'classifier.pkl.gz'))));
  await writeFile(join(dir, 'stopwords.pkl'), await readFile(join(NOTEBOOK, 'stopwords.pkl')));
  expected = JSON.parse(await readFile(join(NOTEBOOK, 'notebook.json'), 'utf8'));
});

after(async () => {
  await browser?.close();
  await site?.close();
});

const trainer = (...args) => promisify(execFile)(TRAINER, args, { cwd: dir, maxBuffer: 1 << 28 });

async function verdictOf(page, text) {
  await page.getByRole('textbox', { name: 'Review' }).fill(text);
  await page.waitForFunction(
    (text) => /%/.test(document.getElementById('verdict').textContent) && document.getElementById('review').value === text,
    text,
  );
  await page.waitForTimeout(300);
  return page.locator('#verdict').textContent();
}

async function download(page, button) {
  const [file] = await Promise.all([page.waitForEvent('download'), button.click()]);
  return readFile(await file.path());
}

test("the notebook's classifier.pkl and stopwords.pkl: its probability, then it keeps learning, and goes back out as the trainer's pickle", async () => {
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  await page.goto(site.url);
  await ready(page);
  const pickleExport = page.getByRole('button', { name: 'Export as scikit-learn pickle' });
  assert.equal(await pickleExport.isVisible(), false, 'the site model cannot go to scikit-learn');

  await page.getByLabel('Import').setInputFiles([join(dir, 'stopwords.pkl'), join(dir, 'classifier.pkl')]);
  await pickleExport.waitFor();
  const percent = (expected.probability * 100).toFixed(2);
  assert.match(await verdictOf(page, expected.example), new RegExp(`^positive ${percent.replace('.', '\\.')}% `));

  await page.getByRole('textbox', { name: 'Review' }).fill('A dreadful, boring film.');
  await page.getByRole('button', { name: "It's positive" }).click();
  await page.locator('#taught').filter({ hasText: 'Examples learned: 1' }).waitFor();

  // The trainer, from the same files: import, then the same lesson taught.
  await trainer('import-pickle', 'classifier.pkl', '--stop-words', 'stopwords.pkl', '--out', 'imported.postcard');
  await writeFile(join(dir, 'lesson.csv'), 'review,sentiment\n"A dreadful, boring film.",1\n');
  await trainer('train', '--start', 'imported.postcard', '--data', 'lesson.csv', '--out', 'taught.postcard', '--quiet');
  assert.deepEqual(await download(page, page.getByRole('button', { name: 'Export', exact: true })), await readFile(join(dir, 'taught.postcard')));

  await trainer('export-pickle', 'taught.postcard', '--out', 'taught.pkl');
  assert.deepEqual(await download(page, pickleExport), await readFile(join(dir, 'taught.pkl')));
  await context.close();
});

test('a pickle that would run a command is refused by name and changes nothing', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(site.url);
  await ready(page);
  const before = await verdictOf(page, expected.example);
  // pickle.dumps of a __reduce__ returning (os.system, ('touch /tmp/owned',)), protocol 4.
  const hostile = Buffer.concat([
    Buffer.from([0x80, 4, 0x8c, 2]), Buffer.from('os'), Buffer.from([0x8c, 6]), Buffer.from('system'),
    Buffer.from([0x93, 0x8c, 16]), Buffer.from('touch /tmp/owned'), Buffer.from([0x85, 0x52, 0x2e]),
  ]);
  await page.getByLabel('Import').setInputFiles({ name: 'classifier.pkl', mimeType: 'application/octet-stream', buffer: hostile });
  await page.locator('#notice').filter({ hasText: 'this file would call os.system; a model never needs that' }).waitFor();
  assert.equal(await verdictOf(page, expected.example), before);
  await context.close();
});
