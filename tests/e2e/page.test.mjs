// The real page, built by trunk into dist/, served as a static site and driven in headless
// Chromium: real WebAssembly, real IndexedDB, real service worker.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { launch, ready } from './browser.mjs';
import { serve } from './server.mjs';

const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));
const REVIEW = 'The movie was okay but I would not watch it again!';
const VERDICT = /^(positive|negative) \d{1,3}\.\d{2}% (:D|:\)|:\||:`\(|:\()$/;

let browser;
let site;

before(async () => {
  browser = await launch();
  site = await serve(DIST, '/');
});

after(async () => {
  await browser?.close();
  await site?.close();
});

/** Waits until the page counts `n` learned examples. */
function waitForTaught(page, n) {
  return page.locator('#taught').filter({ hasText: `Examples learned: ${n}` }).waitFor();
}

/** The label opposite to `verdict` ("positive 96.36% :D") and the button that teaches it. */
function opposite(page, verdict) {
  const label = verdict.startsWith('positive') ? 'negative' : 'positive';
  return { label, button: page.getByRole('button', { name: new RegExp(label) }) };
}

async function openPage(context, url = site.url) {
  const page = await context.newPage();
  await page.goto(url);
  await ready(page);
  return page;
}

/** From a page of the site's origin, upgrades the page's database to `version`. */
function upgradeDatabase(page, version) {
  return page.evaluate(
    (version) =>
      new Promise((resolve, reject) => {
        const request = indexedDB.open('movieclassifier', version);
        request.onsuccess = () => {
          request.result.close();
          resolve();
        };
        request.onerror = () => reject(request.error);
      }),
    version,
  );
}

async function verdictOf(page, text) {
  const box = page.getByRole('textbox', { name: 'Review' });
  const status = page.getByRole('status');
  await box.fill(text);
  await assert.doesNotReject(() =>
    page.waitForFunction(
      ([pattern]) => new RegExp(pattern).test(document.querySelector('[role=status]').textContent),
      [VERDICT.source],
    ),
  );
  // Let a debounced classification of the final text land.
  await page.waitForTimeout(300);
  return status.textContent();
}

function probabilityOf(verdict, label) {
  const [, predicted, percent] = verdict.match(/^(\w+) ([\d.]+)%/);
  const p = Number(percent) / 100;
  return predicted === label ? p : 1 - p;
}

async function taughtCount(page) {
  const text = await page.locator('#taught').textContent();
  return Number(text.match(/\d+/)[0]);
}

test('a typed review gets a label, a percentage and a face', async () => {
  const context = await browser.newContext();
  const page = await openPage(context);
  const verdict = await verdictOf(page, 'I love this movie. It is amazing, a wonderful film.');
  assert.match(verdict, VERDICT);
  assert.match(verdict, /^positive/);
  assert.ok(await page.locator('#strongest li').count() > 0, 'the strongest words are listed');
  assert.ok(await page.locator('#highlighted mark').count() > 0, 'words are highlighted');
  const iconWidth = await page.evaluate(async () => {
    const icon = new Image();
    icon.src = document.querySelector('link[rel=icon]').href;
    await icon.decode();
    return icon.naturalWidth;
  });
  assert.equal(iconWidth, 64, 'the page has its icon');
  await context.close();
});

test('teaching moves the prediction, and survives a reload', async () => {
  const context = await browser.newContext();
  const page = await openPage(context);
  const before = await verdictOf(page, REVIEW);
  const { label: target, button: teach } = opposite(page, before);
  for (let n = 1; n <= 3; n += 1) {
    await teach.click();
    await waitForTaught(page, n);
  }
  const after = await verdictOf(page, REVIEW);
  assert.ok(
    probabilityOf(after, target) > probabilityOf(before, target),
    `${before} -> ${after} should move toward ${target}`,
  );

  await page.reload();
  await ready(page);
  assert.equal(await taughtCount(page), 3);
  assert.equal(await verdictOf(page, REVIEW), after);
  await context.close();
});

test('the first verdict needs only the small engine; a taught visitor waits for the whole one', async () => {
  const slow = await serve(DIST, '/');
  // Service workers blocked: every load goes to the server, which holds back what it is told to.
  const context = await browser.newContext({ serviceWorkers: 'block' });
  try {
    const page = await openPage(context, slow.url);
    const expected = await verdictOf(page, REVIEW);
    const explanation = (of) => of.locator('#why').innerHTML();
    const why = await explanation(page);
    await page.close();

    // The whole engine never arrives: the verdict, the same to the byte, comes without it.
    slow.sabotage(/movieclassifier_bg\.wasm$/, 'hang');
    const early = await context.newPage();
    await early.goto(slow.url);
    assert.equal(await verdictOf(early, REVIEW), expected);
    assert.equal(await explanation(early), why);
    assert.ok(await early.getByRole('button', { name: "It's positive" }).isDisabled(), 'teaching waits for the engine');
    await early.close();

    // Once something is taught, only the whole engine's model gives verdicts.
    slow.sabotage(null);
    const teacher = await openPage(context, slow.url);
    await opposite(teacher, await verdictOf(teacher, REVIEW)).button.click();
    await waitForTaught(teacher, 1);
    const taught = await verdictOf(teacher, REVIEW);
    await teacher.close();
    slow.sabotage(/movieclassifier_bg\.wasm$/, 'hang');
    const waiting = await context.newPage();
    await waiting.goto(slow.url);
    await waiting.getByRole('textbox', { name: 'Review' }).fill(REVIEW);
    await waiting.waitForTimeout(1500);
    assert.doesNotMatch(await waiting.getByRole('status').textContent(), VERDICT);
    await waiting.close();
    slow.sabotage(null);
    assert.equal(await verdictOf(await openPage(context, slow.url), REVIEW), taught);
  } finally {
    await context.close();
    await slow.close();
  }
});

test('export, reset and import bring the learned model back', async () => {
  const context = await browser.newContext();
  const page = await openPage(context);
  const pretrained = await verdictOf(page, REVIEW);
  const teach = opposite(page, pretrained).button;
  await teach.click();
  await waitForTaught(page, 1);
  const learned = await verdictOf(page, REVIEW);
  assert.notEqual(learned, pretrained);

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export', exact: true }).click(),
  ]);
  const file = join(await mkdtemp(join(tmpdir(), 'movieclassifier-')), 'learned.postcard');
  await download.saveAs(file);

  page.once('dialog', (dialog) => dialog.accept());
  await page.getByRole('button', { name: 'Reset' }).click();
  await waitForTaught(page, 0);
  assert.equal(await verdictOf(page, REVIEW), pretrained);

  const notAModel = join(tmpdir(), 'not-a-model.postcard');
  await writeFile(notAModel, 'review,sentiment\nnice,1\n');
  await page.getByLabel('Import').setInputFiles(notAModel);
  await page.locator('#notice').filter({ hasText: 'cannot be imported' }).waitFor();
  assert.match(await page.locator('#notice').textContent(), /not a movieclassifier model file/);
  assert.equal(await verdictOf(page, REVIEW), pretrained, 'a bad file changes nothing');

  await page.getByLabel('Import').setInputFiles(file);
  await page.waitForFunction(
    (text) => document.querySelector('[role=status]').textContent === text,
    learned,
  );
  await page.reload();
  await ready(page);
  assert.equal(await verdictOf(page, REVIEW), learned, 'the import is kept');
  assert.ok((await readFile(file)).subarray(0, 8).toString() === 'MOVIECLF');
  await context.close();
});

test('a second tab learns what the first one teaches', async () => {
  const context = await browser.newContext();
  const first = await openPage(context);
  const second = await openPage(context);
  await verdictOf(first, REVIEW);
  await first.getByRole('button', { name: /negative/ }).click();
  await waitForTaught(first, 1);
  await waitForTaught(second, 1);
  assert.equal(await verdictOf(second, REVIEW), await verdictOf(first, REVIEW));
  await context.close();
});

test('after one visit the page works offline', async () => {
  const context = await browser.newContext();
  const page = await openPage(context);
  await page.evaluate(() => navigator.serviceWorker.ready);
  // The first visit is not yet controlled by the worker; a reload is, and caches as it goes.
  await page.reload();
  await ready(page);
  await context.setOffline(true);
  await page.reload();
  await ready(page);
  assert.match(await verdictOf(page, 'A dreadful, boring waste of time.'), /^negative/);
  await context.close();
});

test('the site works under a sub-path', async () => {
  const nested = await serve(DIST, '/movieclassifier/');
  const context = await browser.newContext();
  try {
    const page = await openPage(context, nested.url);
    assert.match(await verdictOf(page, 'An excellent film.'), VERDICT);
    const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
    assert.equal(new URL(scope).pathname, '/movieclassifier/');
  } finally {
    await context.close();
    await nested.close();
  }
});

test('without usable IndexedDB the page still classifies and learns, and says so', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  // A database of a newer version than the page asks for cannot be opened by it.
  await page.goto(`${site.url}sw.js`);
  await upgradeDatabase(page, 999);
  await page.goto(site.url);
  await ready(page);
  await page.locator('#notice').filter({ hasText: 'will not be kept' }).waitFor();
  const before = await verdictOf(page, REVIEW);
  await page.getByRole('button', { name: /negative/ }).click();
  await waitForTaught(page, 1);
  assert.notEqual(await verdictOf(page, REVIEW), before);
  await context.close();
});

test('with storage full the page keeps learning in memory and destroys nothing', async () => {
  const context = await browser.newContext();
  const page = await openPage(context);
  const pretrained = await verdictOf(page, REVIEW);
  const teach = opposite(page, pretrained).button;

  // Chromium's own quota override: the next write fails with a real QuotaExceededError.
  // (Chromium applies it only to an origin that has not written yet.)
  const cdp = await context.newCDPSession(page);
  const origin = new URL(site.url).origin;
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: 1 });
  await teach.click();
  await page.locator('#notice').filter({ hasText: 'Storage is full' }).waitFor();
  await waitForTaught(page, 1);
  assert.notEqual(await verdictOf(page, REVIEW), pretrained, 'the example is learned in memory');

  await cdp.send('Storage.overrideQuotaForOrigin', { origin });
  await page.reload();
  await ready(page);
  assert.equal(await taughtCount(page), 0, 'nothing half-written was kept');
  assert.equal(await verdictOf(page, REVIEW), pretrained);
  assert.equal(await page.locator('#notice').isHidden(), true);
  await context.close();
});

test('a failed write keeps the earlier saved example and model intact', async () => {
  const context = await browser.newContext();
  const page = await openPage(context);
  const pretrained = await verdictOf(page, REVIEW);
  const teach = opposite(page, pretrained).button;
  await teach.click();
  await waitForTaught(page, 1);

  // Another tab upgrades the database: the page lets go of it, so its next write fails.
  const other = await context.newPage();
  await other.goto(`${site.url}sw.js`);
  await upgradeDatabase(other, 3);
  await teach.click();
  await page.locator('#notice').filter({ hasText: 'will not be kept' }).waitFor();
  await waitForTaught(page, 2);

  const stored = await other.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const request = indexedDB.open('movieclassifier');
        request.onerror = () => reject(request.error);
        request.onsuccess = () => {
          const db = request.result;
          const transaction = db.transaction(['log', 'model'], 'readonly');
          const count = transaction.objectStore('log').count();
          const learned = transaction.objectStore('model').get('learned');
          transaction.oncomplete = () => {
            db.close();
            resolve({ log: count.result, keys: learned.result.keys.length });
          };
        };
      }),
  );
  assert.deepEqual(stored, { log: 1, keys: 1 }, 'the first example and its model are intact');
  await context.close();
});

test('crafted and oversized model files are refused, naming what is wrong', async () => {
  const context = await browser.newContext();
  const page = await openPage(context);
  const pretrained = await verdictOf(page, REVIEW);
  const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));
  const notice = page.locator('#notice');
  for (const [name, field] of [['crafted-8-grams.postcard', 'ngram_range is (1, 8)'], ['crafted-huge-step.postcard', 'eta0 is 1e308']]) {
    await page.getByLabel('Import').setInputFiles(join(fixtures, name));
    await notice.filter({ hasText: field }).waitFor();
  }
  // Larger than any model file: refused from its size, before it is read.
  await page.getByLabel('Import').setInputFiles({
    name: 'huge.postcard',
    mimeType: 'application/octet-stream',
    buffer: Buffer.alloc(46 << 20, 1),
  });
  await notice.filter({ hasText: 'larger than any model file' }).waitFor();
  assert.equal(await verdictOf(page, REVIEW), pretrained, 'nothing changed');
  await context.close();
});
