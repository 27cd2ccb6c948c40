/**
 * The sample shop in Debian's Chromium, driven by playwright-core: a visitor browses, signs in,
 * fills the cart and the history past the cookie budget, sees the page report the shrink,
 * reloads, opens the guarded page and logs out. Saves test-artifacts/sample.png.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { BrowserContext, Cookie, Page } from 'playwright-core';
import { startSample, type RunningSample } from '../../sample/bootstrap.js';
import { describeWithChromium, launchChromium, type RunningChromium } from '../support/chromium.js';

const SECRET = 'the-sample-browser-test-secret-0123456789';
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
/** Rounds of "View 10" + "Add 10" before giving up on seeing a shrink (one is seen at the 5th). */
const MAX_ROUNDS = 12;

function scenario(platform: 'express' | 'fastify'): void {
  let sample: RunningSample;
  let chromium: RunningChromium;
  let context: BrowserContext;
  let page: Page;
  let sessionDir: string;

  beforeAll(async () => {
    sessionDir = mkdtempSync(join(tmpdir(), 'chunked-session-sample-'));
    sample = await startSample({ port: 0, secret: SECRET, sessionDir, logger: false, platform });
    chromium = await launchChromium();
    context = chromium.context;
    page = context.pages()[0] ?? (await context.newPage());
  }, 60_000);

  afterAll(async () => {
    await chromium?.close();
    await sample?.close();
    rmSync(sessionDir, { recursive: true, force: true });
  });

  /** An element's text as rendered: runs of white space are one space. */
  const text = async (test: string) => (await raw(test)).replace(/\s+/g, ' ').trim();
  /** An element's text as it is (for the session's `<pre>`). */
  const raw = async (test: string) =>
    (await page.locator(`[data-test="${test}"]`).textContent()) ?? '';
  const number = async (test: string) => Number((await text(test)).replace(/,/g, ''));
  const jar = async (): Promise<Cookie[]> =>
    (await context.cookies(sample.url)).sort((a, b) => a.name.localeCompare(b.name));
  const names = async () => (await jar()).map((c) => c.name);
  /** The store's records: one file per session id. */
  const records = () =>
    readdirSync(sessionDir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => ({
        id: f.slice(0, -'.json'.length),
        data: JSON.parse(readFileSync(join(sessionDir, f), 'utf8')).data,
      }));

  /** Clicks a form's button and waits for the page the redirect leads back to. */
  async function press(name: string): Promise<void> {
    const back = page.waitForResponse(
      (r) => r.request().method() === 'GET' && r.request().isNavigationRequest(),
    );
    await page.getByRole('button', { name, exact: true }).click();
    const response = await back;
    expect(response.status()).toBe(200);
    await page.waitForLoadState('load');
    // A delta set keeps a dropped piece for one more request, and that request's response
    // deletes it (docs/FORMAT.md 5.5): the page shows the cookies its request carried, so it
    // is read again once that deletion is done. Nothing else may be written there.
    const lines = (await response.headerValue('set-cookie'))?.split('\n') ?? [];
    if (lines.length > 0) {
      for (const line of lines) expect(line).toMatch(/^shop\.\d+=; Max-Age=0;/);
      const again = await page.reload();
      expect(again?.status()).toBe(200);
      expect(await again?.headerValue('set-cookie')).toBeNull();
    }
  }

  /** The page's numbers must be the browser's: its jar, joined as a Cookie header. */
  async function expectPageToMatchJar(): Promise<Cookie[]> {
    const cookies = await jar();
    const header = cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    expect(await number('cookie-count')).toBe(cookies.length);
    expect(await number('header-bytes')).toBe(Buffer.byteLength(header));
    const largest = Math.max(0, ...cookies.map((c) => Buffer.byteLength(c.name + c.value)));
    expect(await number('largest-bytes')).toBe(largest);
    expect(new Set(await page.locator('[data-test="cookie-name"]').allTextContents())).toEqual(
      new Set(cookies.map((c) => c.name)),
    );
    return cookies;
  }

  it('shows a new visitor an empty session and the limits of Chromium', async () => {
    const response = await page.goto(sample.url);
    expect(response?.status()).toBe(200);
    expect(await page.title()).toBe('Sample shop — nestjs-chunked-session');
    expect(await text('user-none')).toBe('Not signed in');
    expect(await text('no-cookies')).toBe('Your browser holds no cookie for this site.');
    expect(await text('shrink-none')).toBe('Nothing has had to shrink yet.');
    expect(await text('session-json')).toBe('{}');
    expect(await text('limits')).toBe(
      '4,096 bytes per cookie (name + value), 180 cookies, 8,000 bytes of Cookie header',
    );
    expect(await number('cookie-count')).toBe(0);
    expect(await jar()).toEqual([]);
  });

  it('refuses the guarded page to a visitor who has not signed in', async () => {
    const response = await page.goto(`${sample.url}/account`);
    expect(response?.status()).toBe(401);
    expect(await text('error')).toBe('Sign in to see your account.');
    expect(await jar()).toEqual([]);
  });

  let anonymousId: string;

  it('keeps an anonymous visitor in a sealed id cookie and a chunked cookie', async () => {
    await page.goto(sample.url);
    await press('View 10 products');
    expect(await number('history-count')).toBe(10);
    const cookies = await expectPageToMatchJar();
    expect(cookies.map((c) => c.name)).toEqual(['shop', 'sid']);
    for (const cookie of cookies) {
      // Every attribute as Chromium stored it: host-only, Path=/, HttpOnly, SameSite=Lax,
      // not Secure (plain http), and a browser-session cookie (no Max-Age by default).
      expect(cookie).toEqual({
        name: cookie.name,
        value: cookie.value,
        domain: '127.0.0.1',
        path: '/',
        expires: -1,
        httpOnly: true,
        secure: false,
        sameSite: 'Lax',
      });
      expect(cookie.value).toMatch(/^1\.[A-Za-z0-9_-]+$/);
    }
    const stored = records();
    expect(stored).toHaveLength(1);
    expect(Object.keys(stored[0]!.data)).toEqual(['visitor']);
    anonymousId = stored[0]!.id;
  });

  it('signs in with regenerate(): a new store record, the old one deleted', async () => {
    const sidBefore = (await jar()).find((c) => c.name === 'sid')!.value;
    await page.getByPlaceholder('any name, e.g. alice').fill('alice');
    await press('Sign in');
    expect(await text('user')).toBe('alice');
    const sid = (await jar()).find((c) => c.name === 'sid')!.value;
    expect(sid).not.toBe(sidBefore);
    expect(sid).not.toContain('alice');
    const stored = records();
    expect(stored).toHaveLength(1);
    expect(stored[0]!.id).not.toBe(anonymousId);
    expect(stored[0]!.data).toEqual({
      visitor: expect.any(String),
      user: { id: expect.stringMatching(/^u_/), name: 'alice', since: expect.any(Number) },
      roles: ['customer'],
    });
    // The history survived the new id.
    expect(await number('history-count')).toBe(10);
  });

  it('grows the shop cookie within one response, then reports the shrink', async () => {
    let splitAt: number | undefined;
    let shrinkAt: number | undefined;
    for (let round = 1; round <= MAX_ROUNDS && shrinkAt === undefined; round++) {
      await press('View 10 products');
      await press('Add 10 products to the cart');
      expect(await number('cart-count')).toBe(10 * round);
      const cookies = await expectPageToMatchJar();
      // Chromium keeps a cookie of up to 4096 bytes of name + value (the library's limit for it).
      for (const c of cookies)
        expect(Buffer.byteLength(c.name + c.value)).toBeLessThanOrEqual(4096);
      expect(await number('header-bytes')).toBeLessThanOrEqual(8000);
      if (splitAt === undefined && cookies.some((c) => c.name === 'shop.1')) splitAt = round;
      if ((await page.locator('[data-test="shrink-event"]').count()) > 0) shrinkAt = round;
    }
    // Every write re-sends the whole set, and one response carries 4096 bytes of headers by
    // default (nginx's proxy_buffer_size): the shop is shrunk before it needs a second cookie.
    // A split, if the format lets one happen within that budget, comes before the shrink.
    expect(shrinkAt).toBeDefined();
    if (splitAt !== undefined) expect(splitAt).toBeLessThan(shrinkAt!);

    // The shrinker dropped the oldest views only: the history holds fewer than were viewed.
    expect(await text('shrunk-keys')).toBe('recentlyViewed');
    expect(await text('removed-keys')).toBe('none');
    expect(await number('history-count')).toBeLessThan(10 * (shrinkAt! + 1));
    expect(await number('history-count')).toBeGreaterThan(3);
    const before = await number('shrink-before');
    const after = await number('shrink-after');
    expect(before).toBeGreaterThan(after);
    const shop = (await jar()).filter((c) => c.name === 'shop' || c.name.startsWith('shop.'));
    expect(after).toBe(shop.reduce((sum, c) => sum + c.name.length + c.value.length, 0));
    expect(await page.locator('#shrink h2').textContent()).toContain('POST /cart/add-many');
    // The first cookie says how the set is written: a single value with its chunk count, or a
    // delta set whose sealed manifest names its pieces (docs/FORMAT.md sections 4 and 5).
    const first = shop.find((c) => c.name === 'shop')!;
    if (first.value.startsWith('d1.')) expect(shop.length).toBeGreaterThan(1);
    else expect(first.value.startsWith(`${shop.length}.`)).toBe(true);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({
      path: join(ARTIFACTS, platform === 'fastify' ? 'sample-fastify.png' : 'sample.png'),
      fullPage: true,
    });
  });

  it('finds the session intact after a reload, with no cookie rewritten', async () => {
    const json = await raw('session-json');
    const cookies = await jar();
    const response = await page.reload();
    expect(response?.status()).toBe(200);
    expect(await response?.headerValue('set-cookie')).toBeNull();
    expect(await raw('session-json')).toBe(json);
    expect(await jar()).toEqual(cookies);
    expect(await text('user')).toBe('alice');
    const session = JSON.parse(json);
    expect(session.user.name).toBe('alice');
    expect(session.cart.length).toBe(await number('cart-count'));
  });

  it('shows the guarded page to the signed-in visitor', async () => {
    const response = await page.goto(`${sample.url}/account`);
    expect(response?.status()).toBe(200);
    expect(await text('account-name')).toBe('alice');
    expect(await text('account-roles')).toBe('customer');
  });

  it('logs out with destroy(): every cookie and the store record are gone', async () => {
    await page.goto(sample.url);
    // sid and shop at least (prefs only once set).
    expect((await names()).length).toBeGreaterThanOrEqual(2);
    await press('Log out');
    expect(await jar()).toEqual([]);
    expect(records()).toEqual([]);
    expect(await text('user-none')).toBe('Not signed in');
    expect(await text('no-cookies')).toBe('Your browser holds no cookie for this site.');
    expect(await text('session-json')).toBe('{}');
    const response = await page.goto(`${sample.url}/account`);
    expect(response?.status()).toBe(401);
  });
}

// One scenario, both of Nest's HTTP platforms: the sample's code does not change between them.
describeWithChromium('the sample shop in Chromium (Express)', () => scenario('express'));
describeWithChromium('the sample shop in Chromium (FastifyAdapter)', () => scenario('fastify'));
