/**
 * Launches either real browser behind the common API of real-browser.ts, and defines tests that
 * need it (skipped with a notice by hand, failing under CI=true when it is not installed):
 *
 *   for (const name of REAL_BROWSERS) {
 *     describeWithBrowser(name, `cookies in ${name}`, () => { ...launchBrowser(name)... });
 *   }
 */
import { describeWithChromium, launchChromium } from './chromium.js';
import { describeWithFirefox, launchFirefox } from './firefox.js';
import { fromPlaywright, type BrowserName, type BrowserUnderTest } from './real-browser.js';

export const REAL_BROWSERS: readonly BrowserName[] = ['chromium', 'firefox'];

export interface RunningBrowser {
  browser: BrowserUnderTest;
  /** Connections that tried to leave the machine (Firefox records them; Chromium: always []). */
  strayRequests: readonly string[];
  /** Closes the browser and removes its profile. */
  close(): Promise<void>;
}

export async function launchBrowser(name: BrowserName): Promise<RunningBrowser> {
  if (name === 'firefox') {
    const firefox = await launchFirefox();
    return { browser: firefox.context, strayRequests: firefox.strayRequests, close: firefox.close };
  }
  const chromium = await launchChromium();
  return { browser: fromPlaywright(chromium.context), strayRequests: [], close: chromium.close };
}

export function describeWithBrowser(name: BrowserName, title: string, body: () => void): void {
  if (name === 'firefox') describeWithFirefox(title, body);
  else describeWithChromium(title, body);
}
