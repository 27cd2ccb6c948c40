/**
 * Debian's Chromium driven by playwright-core, for the browser tests (see ../shared/TOOLCHAIN.md).
 * When Chromium is not installed the tests SKIP with a printed notice when run by hand and FAIL
 * in CI (`CI=true`), as require-server.ts does for servers.
 *
 * Install it with: apt-get update && apt-get install -y chromium
 */
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from '@jest/globals';
import { chromium, type BrowserContext } from 'playwright-core';
import { describeMissing } from './require-server.js';

/** Where Debian puts it; `CHROMIUM_PATH` overrides. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Headless, no sandbox (containers run as root), nothing that reaches the network by itself. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function hasChromium(): boolean {
  try {
    accessSync(CHROMIUM_PATH, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface RunningChromium {
  context: BrowserContext;
  /** Closes the browser and removes its profile. */
  close(): Promise<void>;
}

/**
 * Chromium on the profile in `profile`, kept when the browser closes: closing the context and
 * opening the same directory again is a browser restart (session cookies gone, persistent ones
 * read back from the profile's cookie database).
 */
export function openChromiumProfile(profile: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
  });
}

/** A fresh profile in a new temporary directory (Chromium refuses `--user-data-dir` in args). */
export async function launchChromium(): Promise<RunningChromium> {
  const profile = await mkdtemp(join(tmpdir(), 'chunked-session-chromium-'));
  try {
    const context = await openChromiumProfile(profile);
    return {
      context,
      close: async () => {
        await context.close();
        await rm(profile, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
}

/** Defines `body` under `title` when Chromium is installed; otherwise skips (by hand) or fails (CI). */
export function describeWithChromium(title: string, body: () => void): void {
  if (hasChromium()) {
    describe(title, body);
    return;
  }
  describeMissing(
    title,
    `Chromium is not installed at ${CHROMIUM_PATH}. Install it with: apt-get update && apt-get install -y chromium (or set CHROMIUM_PATH)`,
    body,
  );
}
