// Everyone can read the page (issue 15): axe-core finds no violation in light or dark, with a
// verdict, a queue and a history showing, under the page's own Content-Security-Policy; and
// no review, however long its words, makes a 320-pixel screen scroll sideways.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { launch, ready } from './browser.mjs';
import { serve } from './server.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

let browser;
let site;

before(async () => {
  browser = await launch();
  site = await serve(join(ROOT, 'dist'));
});

after(async () => {
  await browser?.close();
  await site?.close();
});

/** The page with a verdict, a queue and a lesson in its history. */
async function busyPage(context) {
  const page = await context.newPage();
  await page.goto(site.url);
  await ready(page);
  await page.getByRole('textbox', { name: 'Review' }).fill('A wonderful film, but the ending dragged.');
  await page.getByRole('button', { name: "It's positive" }).click();
  await page.locator('#taught').filter({ hasText: 'Examples learned: 1' }).waitFor();
  await page.getByLabel('Reviews to label').setInputFiles(join(ROOT, 'tests', 'fixtures', 'lines.txt'));
  await page.getByRole('region', { name: 'Queue' }).getByRole('article').waitFor();
  await page.locator('#why').waitFor();
  return page;
}

for (const scheme of ['light', 'dark']) {
  test(`axe-core finds no violation, ${scheme}`, async () => {
    // The page's policy allows its own scripts only; axe is the test's, so the context lets it in.
    const context = await browser.newContext({ colorScheme: scheme, bypassCSP: true });
    const page = await busyPage(context);
    await page.addScriptTag({ content: await readFile(AXE, 'utf8') });
    const { violations } = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
    const found = violations.map((v) => `${v.id}: ${v.help} (${v.nodes.slice(0, 3).map((n) => `${n.target.join(' ')}: ${n.failureSummary}`).join('; ')})`);
    assert.deepEqual(found, []);
    await context.close();
  });
}

test('the page runs under its Content-Security-Policy', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const refused = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) refused.push(message.text());
  });
  await page.goto(site.url);
  await ready(page);
  const policy = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  assert.match(policy, /default-src 'self'; script-src 'self' 'wasm-unsafe-eval'/);
  await page.getByRole('textbox', { name: 'Review' }).fill('I love this movie.');
  await page.locator('#verdict').filter({ hasText: '%' }).waitFor();
  assert.deepEqual(refused, []);
  await context.close();
});

test('no review makes a 320-pixel screen scroll sideways', async () => {
  const context = await browser.newContext({ viewport: { width: 320, height: 640 } });
  const page = await context.newPage();
  await page.goto(site.url);
  await ready(page);
  for (const review of [`See https://example.com/${'a'.repeat(300)} now`, 'x'.repeat(1 << 20)]) {
    await page.getByRole('textbox', { name: 'Review' }).fill(review);
    await page.locator('#why').waitFor();
    await page.waitForTimeout(500);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 320, `${review.length} characters: the page is ${width} px wide`);
  }
  await context.close();
});
