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
