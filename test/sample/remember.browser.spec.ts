/**
 * "Keep me signed in" in Debian's Chromium, driven by playwright-core, on the sample shop:
 * signed in with the box ticked, the browser is closed and opened again on the same profile
 * directory, and the visitor is still signed in; signed in without it, the same restart signs
 * the visitor out. Both of Nest's HTTP platforms.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { BrowserContext, Page } from 'playwright-core';
import { startSample, type RunningSample } from '../../sample/bootstrap.js';
import { describeWithChromium, openChromiumProfile } from '../support/chromium.js';

const SECRET = 'the-sample-remember-test-secret-0123456789';
const WEEK = 7 * 86400;

function scenario(platform: 'express' | 'fastify'): void {
  let sample: RunningSample;
  let sessionDir: string;
  const profiles: string[] = [];
  const open: BrowserContext[] = [];

  beforeAll(async () => {
    sessionDir = mkdtempSync(join(tmpdir(), 'chunked-session-remember-'));
    sample = await startSample({ port: 0, secret: SECRET, sessionDir, logger: false, platform });
  }, 60_000);

  afterAll(async () => {
    for (const context of open) await context.close().catch(() => undefined);
    await sample?.close();
    for (const dir of [sessionDir, ...profiles]) rmSync(dir, { recursive: true, force: true });
  });

  /** Chromium on `profile`, its first page at the shop. */
  async function launch(profile: string): Promise<{ context: BrowserContext; page: Page }> {
    const context = await openChromiumProfile(profile);
    open.push(context);
    const page = context.pages()[0] ?? (await context.newPage());
    expect((await page.goto(sample.url))?.status()).toBe(200);
    return { context, page };
  }

  async function close(context: BrowserContext): Promise<void> {
    await context.close();
    open.splice(open.indexOf(context), 1);
  }

  /** Signs in as `name` from the page's form, the box ticked or not. */
  async function signIn(page: Page, name: string, remember: boolean): Promise<void> {
    await page.locator('input[name="name"]').fill(name);
    await page.locator('[data-test="remember"]').setChecked(remember);
    const back = page.waitForResponse(
      (r) => r.request().method() === 'GET' && r.request().isNavigationRequest(),
    );
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    expect((await back).status()).toBe(200);
    await page.waitForLoadState('load');
    expect(await page.locator('[data-test="user"]').textContent()).toBe(name);
  }

  const text = async (page: Page, test: string) =>
    ((await page.locator(`[data-test="${test}"]`).textContent()) ?? '').replace(/\s+/g, ' ').trim();

  it('a remembered visitor is still signed in after the browser restarts', async () => {
    const profile = mkdtempSync(join(tmpdir(), 'chunked-session-chromium-remember-'));
    profiles.push(profile);
    const first = await launch(profile);
    const before = Date.now() / 1000;
    await signIn(first.page, 'alice', true);
    expect(await text(first.page, 'remembered')).toBe(
      'Kept signed in: the cookies carry Max-Age and outlive a browser restart.',
    );
    const cookies = await first.context.cookies(sample.url);
    // Signing in writes the sid partition (visitor, user, roles); the others are still empty.
    expect(cookies.map((c) => c.name)).toEqual(['sid']);
    for (const c of cookies) {
      // Persistent (a session cookie's expires is -1), for the week of remember.maxAge.
      expect(c.expires).toBeGreaterThan(before + WEEK - 5);
      expect(c.expires).toBeLessThan(Date.now() / 1000 + WEEK + 5);
    }
    await close(first.context);

    const again = await launch(profile);
    expect(await text(again.page, 'user')).toBe('alice');
    expect(await text(again.page, 'remembered')).toBe(
      'Kept signed in: the cookies carry Max-Age and outlive a browser restart.',
    );
    expect((await again.page.goto(`${sample.url}/account`))?.status()).toBe(200);
    await close(again.context);
  });

  it('a visitor who did not tick the box is signed out by the restart', async () => {
    const profile = mkdtempSync(join(tmpdir(), 'chunked-session-chromium-plain-'));
    profiles.push(profile);
    const first = await launch(profile);
    await signIn(first.page, 'bob', false);
    expect(await text(first.page, 'remembered')).toBe('Signed in until the browser closes.');
    const cookies = await first.context.cookies(sample.url);
    // Signing in writes the sid partition (visitor, user, roles); the others are still empty.
    expect(cookies.map((c) => c.name)).toEqual(['sid']);
    for (const c of cookies) expect(c.expires).toBe(-1);
    await close(first.context);

    const again = await launch(profile);
    expect(await text(again.page, 'user-none')).toBe('Not signed in');
    expect(await again.context.cookies(sample.url)).toEqual([]);
    expect((await again.page.goto(`${sample.url}/account`))?.status()).toBe(401);
    await close(again.context);
  });
}

describeWithChromium('keep me signed in, in Chromium (Express)', () => scenario('express'));
describeWithChromium('keep me signed in, in Chromium (FastifyAdapter)', () => scenario('fastify'));
