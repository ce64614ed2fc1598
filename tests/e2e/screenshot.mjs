// Takes docs/screenshot.png from the real page in headless Chromium:
//   trunk build --release --offline && (cd tests/e2e && node screenshot.mjs)
import { fileURLToPath } from 'node:url';

import { launch, ready } from './browser.mjs';
import { serve } from './server.mjs';

const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));
const OUT = fileURLToPath(new URL('../../docs/screenshot.png', import.meta.url));

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
  await page.screenshot({ path: OUT, fullPage: true });
  console.log(`wrote ${OUT}`);
} finally {
  await browser.close();
  await site.close();
}
