import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { serviceMissing } from './services.ts';

/** Debian's Chromium, driven by playwright-core. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Why browser tests cannot run here (no Chromium), or null when they can. Under `CI=true` a missing
 * browser is a failure, not a skip.
 */
export function chromiumMissing(): string | null {
  const problem = existsSync(CHROMIUM_PATH) ? null : `no Chromium at ${CHROMIUM_PATH}`;
  return serviceMissing('the browser tests', problem, 'install it (`apt-get install chromium`) or set CHROMIUM_PATH');
}

/** Headless Chromium with background networking off (the test machines have no internet). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--no-sandbox',
      '--headless',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
