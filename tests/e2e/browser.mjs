// Headless Debian Chromium, launched the way this machine allows (see ../shared/TOOLCHAIN.md).
import { chromium } from 'playwright-core';

export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  // Chromium 156 builds its desktop address bar's popup, a WebUI page in a process of its own,
  // for every window it opens, and each Playwright context's page is a window: a trace of one
  // repeat visit showed that process busy 476 ms of the visit's 560 ms, beside the page on this
  // machine's two cores. No phone builds it. Side by side on one build (CPU 4x slower, Fast 3G,
  // 18 repeat visits each): 0.57 s with it, 0.34 s without.
  '--disable-features=WebUIOmniboxPopup,WebUIOmniboxAimPopup',
];

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
}

/** Waits until the page's worker is ready and its controls are enabled. */
export function ready(page) {
  return page.getByRole('button', { name: /positive/ }).and(page.locator(':enabled')).waitFor();
}
