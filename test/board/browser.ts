/** Debian's chromium driven by playwright-core: no browser download, the system binary (apt-get install chromium). */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM = process.env.RITUAL_CHROMIUM ?? '/usr/bin/chromium';

/** Skipped only off CI when the binary is missing; CI (.ci/run) installs it, so there the tests run or fail. */
export const BROWSER_SKIP =
  !existsSync(CHROMIUM) && process.env.CI !== 'true' ? `no ${CHROMIUM}: apt-get install -y chromium` : false;

export function launchChromium(): Promise<Browser> {
  // root in a container: chromium's sandbox needs user namespaces it does not have here
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
}
