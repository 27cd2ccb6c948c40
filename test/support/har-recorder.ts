/**
 * Records a HAR in Debian's Chromium, as a user would with devtools: playwright-core's
 * `recordHar` on a persistent context with a fresh profile. The HAR is written when the context
 * closes.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './chromium.js';

export interface RecordedHar {
  path: string;
  text: string;
}

/** Runs `steps` in a new Chromium and returns the HAR of everything it requested. */
export async function recordHar(
  steps: (page: Page, context: BrowserContext) => Promise<void>,
): Promise<RecordedHar & { remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'chunked-session-har-'));
  const path = join(dir, 'session.har');
  const profile = join(dir, 'profile');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    recordHar: { path, content: 'omit' },
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await steps(page, context);
  } finally {
    await context.close();
  }
  return {
    path,
    text: await readFile(path, 'utf8'),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
