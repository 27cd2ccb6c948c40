/**
 * The limits in a real browser: Debian's Chromium, driven by playwright-core, against real Nest
 * applications. What Chromium holds (`context.cookies()`) must stay within the table's Chromium
 * row, a session past the budget is shrunk by its policy and still read back, and raised limits
 * carry a 40 KB session over many cookies.
 */
import { afterAll, beforeAll, beforeEach, expect, it } from '@jest/globals';
import { Controller, Get, Injectable, Module, Param } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { Cookie } from 'playwright-core';
import {
  browserLimits,
  ChunkedSessionModule,
  Session,
  Shrinker,
  type ShrinkContext,
  type ShrinkEvent,
} from '../../src/index.js';
import { BROWSER_TABLE } from '../../src/limits/index.js';
import { describeWithChromium, launchChromium, type RunningChromium } from '../support/chromium.js';
import { startNestApp, type RunningApp } from '../support/nest-app.js';

const SECRET = 'a-browser-test-secret-that-is-long-enough-01';
const CHROMIUM_ROW = BROWSER_TABLE.chromium.limits; // 4096 name+value, 180 cookies, 8000 bytes
const SLOW = 90_000; // launching Chromium on a shared two-core machine takes a while

type Visit = { page: number; note: string };
type ShopSession = { history?: Visit[]; visits?: number };
const events: ShrinkEvent[] = [];

// ---- (a) a session that grows past the default budget, with a shrink policy -------------

@Injectable()
class HistoryShrinker {
  @Shrinker('history', { priority: 0 })
  dropOldest(history: Visit[], { last }: ShrinkContext): Visit[] | undefined {
    return last || history.length < 2 ? undefined : history.slice(1);
  }
}

@Module({ providers: [HistoryShrinker] })
class HistoryModule {}

@Controller()
class ShopController {
  /** Each visit adds about 500 bytes. */
  @Get('visit/:page')
  visit(@Session() session: ShopSession, @Param('page') page: string) {
    const note = `visited page ${page}; `.repeat(40).slice(0, 480);
    session.history = [...(session.history ?? []), { page: Number(page), note }];
    session.visits = (session.visits ?? 0) + 1;
    return { pages: session.history.map((v) => v.page), visits: session.visits };
  }

  @Get('read')
  read(@Session() session: ShopSession) {
    return { pages: (session.history ?? []).map((v) => v.page), visits: session.visits ?? 0 };
  }
}

@Module({
  imports: [
    ChunkedSessionModule.forRoot({
      secret: SECRET,
      // Chromium talks to the application directly: no proxy's response buffer to fit, so one
      // response may carry the whole set (test/browser/nginx.browser.spec.ts keeps the default).
      limits: { maxResponseHeaderBytes: 16384 },
      onShrink: (event) => events.push(event),
    }),
    HistoryModule,
  ],
  controllers: [ShopController],
})
class ShopModule {}

// ---- (b) raised limits: a 40 KB session over many cookies --------------------------------

let bigData: Record<string, string> = {};

@Controller()
class BigController {
  @Get('big')
  big(@Session() session: Record<string, unknown>) {
    Object.assign(session, bigData);
    return { keys: Object.keys(bigData).length };
  }

  @Get('read-big')
  readBig(@Session() session: Record<string, unknown>) {
    return session;
  }
}

@Module({
  imports: [
    ChunkedSessionModule.forRoot({
      secret: SECRET,
      cookieName: 'big',
      limits: { maxTotalBytes: 60000 },
      onShrink: (event) => events.push(event),
    }),
  ],
  controllers: [BigController],
})
class BigModule {}

// ---- helpers ------------------------------------------------------------------------------

/** The Cookie header Chromium would send for these cookies: `name=value` joined by `; `. */
const headerBytes = (cookies: Cookie[]): number =>
  cookies.reduce((sum, c) => sum + Buffer.byteLength(`${c.name}=${c.value}`), 0) +
  Math.max(0, cookies.length - 1) * 2;

function expectWithin(cookies: Cookie[], limits: { maxCookies: number; maxTotalBytes: number }) {
  expect(cookies.length).toBeLessThanOrEqual(limits.maxCookies);
  expect(headerBytes(cookies)).toBeLessThanOrEqual(limits.maxTotalBytes);
  for (const c of cookies) {
    expect(Buffer.byteLength(c.name) + Buffer.byteLength(c.value)).toBeLessThanOrEqual(
      CHROMIUM_ROW.maxCookieBytes,
    );
    expect(c.httpOnly).toBe(true);
    expect(c.sameSite).toBe('Lax');
    expect(c.path).toBe('/');
    expect(c.expires).toBe(-1); // a browser-session cookie: no maxAge configured
  }
}

describeWithChromium('limits in Chromium', () => {
  let browser: RunningChromium;
  let shop: RunningApp;
  let big: RunningApp;

  beforeAll(async () => {
    browser = await launchChromium();
    shop = await startNestApp(ShopModule);
    big = await startNestApp(BigModule, { maxHeaderSize: 80000 });
  }, SLOW);
  afterAll(async () => {
    await browser?.close();
    await shop?.close();
    await big?.close();
  }, SLOW);
  beforeEach(async () => {
    events.length = 0;
    await browser.context.clearCookies();
  });

  it(
    'shrinks a session grown past 8000 bytes by navigations and fetches, within the Chromium row',
    async () => {
      const page = await browser.context.newPage();
      try {
        const steps = 30;
        let lastPages: number[] = [];
        for (let n = 1; n <= steps; n++) {
          let body: { pages: number[]; visits: number };
          if (n % 2 === 1) {
            const response = await page.goto(`${shop.url}/visit/${n}`);
            expect(response?.status()).toBe(200);
            body = (await response!.json()) as typeof body;
          } else {
            body = await page.evaluate(async (path) => {
              const response = await fetch(path);
              return (await response.json()) as { pages: number[]; visits: number };
            }, `/visit/${n}`);
          }
          // The handler saw every earlier visit that was kept, and the new one.
          expect(body.visits).toBe(n);
          expect(body.pages[body.pages.length - 1]).toBe(n);
          lastPages = body.pages;
          expectWithin(await browser.context.cookies(shop.url), CHROMIUM_ROW);
        }

        // Shrunk on the way: the oldest visits were dropped, the newest kept, in order.
        expect(events.length).toBeGreaterThan(0);
        for (const event of events) {
          expect(event.cookieName).toBe('session');
          expect(event.userAgent).toMatch(/HeadlessChrome\/\d+/);
          expect(browserLimits(event.userAgent)).toEqual(CHROMIUM_ROW);
          expect(event.shrunkKeys).toEqual(['history']);
          expect(event.removedKeys).toEqual([]);
          expect(event.bytesAfter).toBeLessThan(event.bytesBefore);
        }

        // Chromium reads it back (a navigation and a fetch alike): the newest visits, in order,
        // at most those the last handler saw (it answered before the commit shrank them).
        const read = await page.goto(`${shop.url}/read`);
        const kept = (await read!.json()) as { pages: number[]; visits: number };
        expect(kept.visits).toBe(steps);
        expect(kept.pages.length).toBeGreaterThan(5);
        expect(kept.pages.length).toBeLessThanOrEqual(lastPages.length);
        expect(lastPages.length).toBeLessThan(steps);
        const first = steps - kept.pages.length + 1;
        expect(kept.pages).toEqual(Array.from({ length: kept.pages.length }, (_, i) => first + i));
        expect(await page.evaluate(async () => (await fetch('/read')).json())).toEqual(kept);
        const cookies = await browser.context.cookies(shop.url);
        expect(cookies.map((c) => c.name).sort()).toEqual(
          cookies.length === 1 ? ['session'] : ['session', 'session.1'],
        );
      } finally {
        await page.close();
      }
    },
    SLOW,
  );

  it(
    'carries a 40 KB session over at least ten cookies with limits of 60000 bytes, and reads it back',
    async () => {
      bigData = Object.fromEntries(
        Array.from({ length: 10 }, (_, i) => [`part${i}`, randomBytes(3000).toString('base64url')]),
      );
      expect(Buffer.byteLength(JSON.stringify(bigData))).toBeGreaterThanOrEqual(40000);
      const page = await browser.context.newPage();
      try {
        const set = await page.goto(`${big.url}/big`);
        expect(set?.status()).toBe(200);
        const cookies = await browser.context.cookies(big.url);
        expect(cookies.length).toBeGreaterThanOrEqual(10);
        expect(cookies.map((c) => c.name).sort()).toEqual(
          ['big', ...Array.from({ length: cookies.length - 1 }, (_, i) => `big.${i + 1}`)].sort(),
        );
        expectWithin(cookies, { maxCookies: CHROMIUM_ROW.maxCookies, maxTotalBytes: 60000 });
        expect(headerBytes(cookies)).toBeGreaterThan(50000);
        expect(events).toEqual([]);

        const read = await page.goto(`${big.url}/read-big`);
        expect(read?.status()).toBe(200);
        expect(await read!.json()).toEqual(bigData);
        expect(await page.evaluate(async () => (await fetch('/read-big')).json())).toEqual(bigData);
      } finally {
        await page.close();
      }
    },
    SLOW,
  );
});
