// Versions and determinism (issue 9): a deploy never breaks the page, online or offline,
// whatever the network and the server's caching do, and every tab holds exactly the start
// model with the stored log learned in log order. A second build is made here from the first
// (builds.mjs) and served by a server the test controls (server.mjs).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile, access } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { launch, ready } from './browser.mjs';
import { secondBuild, versionOf } from './builds.mjs';
import { serve } from './server.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIST = join(ROOT, 'dist');
const VERDICT = /^(positive|negative) \d{1,3}\.\d{2}% (:D|:\)|:\||:`\(|:\()$/;

let browser;
let first;
let second;

before(async () => {
  browser = await launch();
  first = await versionOf(DIST);
  second = await secondBuild(DIST);
});

after(async () => {
  await browser?.close();
});

/** The version the page runs: the folder its script came from. */
function pageVersion(page) {
  return page.evaluate(() => document.querySelector('script[type=module]').src.match(/v\/([0-9a-f]+)\//)[1]);
}

async function verdictOf(page, text) {
  await page.getByRole('textbox', { name: 'Review' }).fill(text);
  const status = page.getByRole('status');
  await page.waitForFunction(
    ([pattern, text]) => new RegExp(pattern).test(document.querySelector('[role=status]').textContent)
      && document.querySelector('#review').value === text,
    [VERDICT.source, text],
  );
  await page.waitForTimeout(300);
  return status.textContent();
}

function waitForTaught(page, n) {
  return page.locator('#taught').filter({ hasText: `Examples learned: ${n}` }).waitFor();
}

/** Opens the site in a new tab and waits until a service worker controls it. */
async function openControlled(context, url) {
  const page = await context.newPage();
  await page.goto(url);
  await ready(page);
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  return page;
}

/** Waits until the service worker has no update in progress and none waiting. */
function updateSettled(page) {
  return page.waitForFunction(async () => {
    const registration = await navigator.serviceWorker.getRegistration();
    return registration && !registration.installing && !registration.waiting;
  });
}

test('a first visit downloads each file once, and the next visit works offline', async () => {
  const site = await serve(DIST);
  const context = await browser.newContext();
  try {
    const page = await openControlled(context, site.url);
    assert.match(await verdictOf(page, 'A wonderful film.'), VERDICT);
    const manifest = await page.evaluate(async () => {
      const response = await fetch('./sw.js');
      const text = await response.text();
      return JSON.parse(text.match(/const MANIFEST = (\{[\s\S]*?\n\});/)[1]).files;
    });
    for (const path of Object.keys(manifest)) {
      const downloads = site.requests.filter((r) => r.path === path && r.status === 200).length;
      assert.equal(downloads, 1, `${path} downloaded ${downloads} times`);
    }
    await context.setOffline(true);
    await page.reload();
    await ready(page);
    assert.match(await verdictOf(page, 'A dreadful, boring waste of time.'), /^negative/);
  } finally {
    await context.close();
    await site.close();
  }
});

test('on a connection that never answers, a repeat visit starts from the installed version at once', async () => {
  const site = await serve(DIST);
  const context = await browser.newContext();
  try {
    const page = await openControlled(context, site.url);
    site.sabotage(/.*/, 'hang');
    const started = Date.now();
    await page.reload();
    await ready(page);
    assert.match(await verdictOf(page, 'A wonderful film.'), VERDICT);
    const seconds = (Date.now() - started) / 1000;
    assert.ok(seconds < 5, `${seconds} s to a verdict`);
  } finally {
    await context.close();
    await site.close();
  }
});

// The four ways a deploy went wrong before: the new engine's download cut half-way, its
// connection dropped before any answer, a server whose Last-Modified dates made the browser
// keep old files, and ordinary caching that kept new versions from visitors.
const DEPLOYS = [
  { name: 'the new WebAssembly cut half-way', caching: 'etag', sabotage: 'cut' },
  { name: 'the new WebAssembly dropped before any answer', caching: 'etag', sabotage: 'drop' },
  { name: 'a server that only sends Last-Modified', caching: 'last-modified' },
  { name: 'a server that lets browsers cache for ten minutes', caching: 'max-age' },
];

for (const deploy of DEPLOYS) {
  test(`a deploy with ${deploy.name} never breaks the page, and the new version arrives`, async () => {
    const site = await serve(DIST, '/', { caching: deploy.caching });
    const context = await browser.newContext();
    try {
      const page = await openControlled(context, site.url);
      await verdictOf(page, 'Two hours I will never get back.');
      await page.getByRole('button', { name: /negative/ }).click();
      await waitForTaught(page, 1);

      site.deploy(second.dir);
      const wasm = new RegExp(`^v/${second.version}/movieclassifier_bg\\.wasm$`);
      if (deploy.sabotage) site.sabotage(wasm, deploy.sabotage);
      await page.reload();
      await ready(page);
      assert.equal(await pageVersion(page), first, 'the page starts with its installed version');
      await waitForTaught(page, 1);
      assert.match(await verdictOf(page, 'A fine film.'), VERDICT);
      if (deploy.sabotage) {
        await assert.doesNotReject(async () => {
          for (let tries = 0; !site.requests.some((r) => wasm.test(r.path)); tries += 1) {
            if (tries > 100) throw new Error('the new version was never tried');
            await page.waitForTimeout(100);
          }
        });
        await updateSettled(page);
        assert.equal(await page.getByRole('button', { name: 'Reload to update' }).isVisible(), false);

        await context.setOffline(true);
        await page.reload();
        await ready(page);
        assert.equal(await pageVersion(page), first, 'offline, the installed version still starts');
        await waitForTaught(page, 1);
        assert.match(await verdictOf(page, 'A fine film.'), VERDICT);
        await context.setOffline(false);
        site.sabotage(wasm, null);
        await page.reload();
        await ready(page);
      }

      // The documented steps: the page offers the new version once it is installed whole.
      const update = page.getByRole('button', { name: 'Reload to update' });
      await update.waitFor({ timeout: 20000 });
      await page.getByRole('textbox', { name: 'Review' }).fill('Half-typed');
      await update.click();
      await page.waitForFunction((version) => document.querySelector('script[type=module]').src.includes(`v/${version}/`), second.version);
      await ready(page);
      assert.equal(await page.getByRole('textbox', { name: 'Review' }).inputValue(), 'Half-typed', 'what was typed is kept');
      await waitForTaught(page, 1);
      assert.match(await verdictOf(page, 'A fine film.'), VERDICT);
      await page.waitForFunction(async (version) => {
        const names = await caches.keys();
        return names.length === 1 && names[0].endsWith(version);
      }, second.version);

      await context.setOffline(true);
      await page.reload();
      await ready(page);
      assert.equal(await pageVersion(page), second.version, 'offline, the new version starts');
    } finally {
      await context.close();
      await site.close();
    }
  });
}

test('when the engine cannot start, the page says so and that nothing taught is lost', async () => {
  // The old glue with the new WebAssembly, served to a browser without a service worker.
  const mixed = await mkdtemp(join(tmpdir(), 'movieclassifier-mixed-'));
  await promisify(execFile)('cp', ['-r', `${DIST}/.`, mixed]);
  await promisify(execFile)('cp', [
    join(second.dir, 'v', second.version, 'movieclassifier_bg.wasm'),
    join(mixed, 'v', first, 'movieclassifier_bg.wasm'),
  ]);
  const site = await serve(mixed);
  const context = await browser.newContext({ serviceWorkers: 'block' });
  try {
    const page = await context.newPage();
    await page.goto(site.url);
    const verdict = page.getByRole('status');
    await verdict.filter({ hasText: 'could not start' }).waitFor();
    assert.match(await verdict.textContent(), /could not start: .*__wbg_NOW|import/);
    const taught = await page.locator('#taught').textContent();
    assert.match(taught, /still stored in this browser/);
    assert.doesNotMatch(taught, /Examples learned: 0/);
    assert.match(await page.locator('#notice').textContent(), /Reload the page/);
  } finally {
    await context.close();
    await site.close();
  }
});

// --- One model per log ---

const TRAINER = process.env.TRAINER ?? join(ROOT, 'target', 'debug', 'trainer');

/** The stored log, oldest first, read straight from the page's IndexedDB. */
function storedLog(page) {
  return page.evaluate(() => new Promise((resolve, reject) => {
    const request = indexedDB.open('movieclassifier');
    request.onerror = () => reject(request.error);
    request.onsuccess = () => {
      const db = request.result;
      const all = db.transaction('log').objectStore('log').getAll();
      all.onsuccess = () => {
        db.close();
        resolve(all.result.map(({ text, positive }) => ({ text, positive })));
      };
    };
  }));
}

async function exported(page) {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export', exact: true }).click(),
  ]);
  return readFile(await download.path());
}

const csvField = (text) => `"${text.replaceAll('"', '""')}"`;

/** The start model with `log` taught in order, by the native trainer. */
async function replayed(log) {
  await access(TRAINER);
  const dir = await mkdtemp(join(tmpdir(), 'movieclassifier-replay-'));
  const csv = join(dir, 'log.csv');
  await writeFile(csv, `review,sentiment\n${log.map(({ text, positive }) => `${csvField(text)},${positive ? 1 : 0}`).join('\n')}\n`);
  const out = join(dir, 'replayed.postcard');
  await promisify(execFile)(TRAINER, [
    'train', '--start', join(DIST, 'v', first, 'pretrained.postcard'), '--data', csv, '--out', out, '--quiet',
  ]);
  return readFile(out);
}

const LESSONS = [
  ['The plot was thin, but the acting, oh, "wonderful".', 'positive'],
  ['Dull, dull, dull.\nTwo hours I will never get back.', 'negative'],
  ['Not bad at all; not great either.', 'positive'],
  ['Ünïcödé and emoji 🎬 work too :)', 'negative'],
  ['An astonishing ending.', 'positive'],
  ['I fell asleep.', 'negative'],
];

test('teaching with reloads in between holds the log replayed, bit for bit', async () => {
  const site = await serve(DIST);
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(site.url);
    await ready(page);
    for (const [n, [text, label]] of LESSONS.entries()) {
      await page.getByRole('textbox', { name: 'Review' }).fill(text);
      await page.getByRole('button', { name: new RegExp(label) }).click();
      await waitForTaught(page, n + 1);
      await page.reload();
      await ready(page);
    }
    const log = await storedLog(page);
    assert.deepEqual(log.map((l) => l.text), LESSONS.map(([text]) => text));
    assert.deepEqual(await exported(page), await replayed(log));
  } finally {
    await context.close();
    await site.close();
  }
});

test('two tabs teaching at once end with the same model, the log replayed', async () => {
  const site = await serve(DIST);
  const context = await browser.newContext();
  try {
    const tabs = [await context.newPage(), await context.newPage()];
    for (const tab of tabs) {
      await tab.goto(site.url);
      await ready(tab);
    }
    // Each tab teaches without waiting for the other, so examples cross in flight.
    await Promise.all(tabs.map(async (tab, t) => {
      for (let n = t; n < LESSONS.length; n += 2) {
        const [text, label] = LESSONS[n];
        await tab.getByRole('textbox', { name: 'Review' }).fill(text);
        await tab.getByRole('button', { name: new RegExp(label) }).click();
      }
    }));
    for (const tab of tabs) await waitForTaught(tab, LESSONS.length);
    const log = await storedLog(tabs[0]);
    assert.equal(log.length, LESSONS.length);
    const expected = await replayed(log);
    assert.deepEqual(await exported(tabs[0]), expected);
    assert.deepEqual(await exported(tabs[1]), expected);
  } finally {
    await context.close();
    await site.close();
  }
});
