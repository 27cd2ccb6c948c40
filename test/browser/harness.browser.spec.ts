/**
 * The real-browser harness itself, in Chromium (playwright-core) and Firefox (puppeteer-core over
 * WebDriver BiDi), against a plain local HTTP server that echoes the Cookie header it receives:
 * cookies are set (HttpOnly ones too, seen through the browser's cookie API and hidden from
 * `document.cookie`), kept, sent back on navigations and in-page fetches in RFC 6265 order,
 * scoped by path and deleted; and Firefox tries to reach nothing off the machine.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, expect, it } from '@jest/globals';
import {
  describeWithBrowser,
  launchBrowser,
  REAL_BROWSERS,
  type RunningBrowser,
} from '../support/launch-browser.js';

const SLOW = 90_000;

/** What a page script sees (the tests' types have no DOM library). */
type InPage = { document: { cookie: string } };

type Echo = { path: string; cookie: string | null; userAgent: string | null };

/** Answers every request with what it received; some paths also set or delete cookies. */
function startEchoServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/set') {
      res.setHeader('set-cookie', [
        'sid=abc123; Path=/; HttpOnly; SameSite=Lax',
        'theme=dark; Path=/',
        'kept=1; Path=/; Max-Age=3600',
        'scoped=only; Path=/only',
      ]);
    }
    if (path === '/drop') res.setHeader('set-cookie', 'sid=; Path=/; Max-Age=0');
    const echo: Echo = {
      path,
      cookie: req.headers.cookie ?? null,
      userAgent: req.headers['user-agent'] ?? null,
    };
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(echo));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () => {
          server.closeAllConnections();
          return new Promise((done) => server.close(() => done()));
        },
      });
    }),
  );
}

for (const name of REAL_BROWSERS) {
  describeWithBrowser(name, `real-browser harness in ${name}`, () => {
    let running: RunningBrowser;
    let site: { url: string; close(): Promise<void> };

    beforeAll(async () => {
      site = await startEchoServer();
      running = await launchBrowser(name);
    }, SLOW);
    afterAll(async () => {
      await running?.close();
      await site?.close();
    }, SLOW);
    beforeEach(() => running.browser.clearCookies());

    it(
      'sets, keeps, sends back, scopes and deletes cookies, HttpOnly ones read through the cookie API',
      async () => {
        const { browser } = running;
        const page = await browser.newPage();
        try {
          const first = await page.goto(`${site.url}/echo`);
          expect(first.status).toBe(200);
          expect(await first.json<Echo>()).toEqual({
            path: '/echo',
            cookie: null,
            userAgent: await browser.userAgent(),
          });
          expect(await browser.cookies(site.url)).toEqual([]);

          const set = await page.goto(`${site.url}/set`);
          expect(set.status).toBe(200);
          expect((await set.json<Echo>()).cookie).toBeNull();

          // The cookie API sees all four, HttpOnly included; document.cookie hides sid.
          const cookies = await browser.cookies();
          const byName = Object.fromEntries(cookies.map((c) => [c.name, c]));
          expect(Object.keys(byName).sort()).toEqual(['kept', 'scoped', 'sid', 'theme']);
          expect(byName.sid).toEqual({
            name: 'sid',
            value: 'abc123',
            domain: '127.0.0.1',
            path: '/',
            expires: -1,
            httpOnly: true,
            secure: false,
            sameSite: 'Lax',
          });
          expect(byName.theme).toMatchObject({ value: 'dark', httpOnly: false, expires: -1 });
          const inAnHour = Date.now() / 1000 + 3600;
          expect(byName.kept.expires).toBeGreaterThan(inAnHour - 60);
          expect(byName.kept.expires).toBeLessThanOrEqual(inAnHour + 1);
          expect(byName.scoped).toMatchObject({ value: 'only', path: '/only' });
          expect(
            await page.evaluate(() => (globalThis as unknown as InPage).document.cookie, undefined),
          ).toBe('theme=dark; kept=1');
          // cookies(url) is what would be sent to that URL: /only's cookie only under /only.
          expect((await browser.cookies(`${site.url}/echo`)).map((c) => c.name).sort()).toEqual([
            'kept',
            'sid',
            'theme',
          ]);
          expect((await browser.cookies(`${site.url}/only/x`)).map((c) => c.name).sort()).toEqual([
            'kept',
            'scoped',
            'sid',
            'theme',
          ]);

          // Sent back on a navigation: the server's echo and the browser's own request headers agree.
          const back = await page.goto(`${site.url}/echo`);
          const echoed = await back.json<Echo>();
          expect(echoed.cookie).toBe('sid=abc123; theme=dark; kept=1');
          expect(back.requestHeaders.cookie).toBe(echoed.cookie);

          // And on a fetch from inside the page; a longer path's cookie comes first (RFC 6265 §5.4).
          const fetched = await page.fetch('/echo');
          expect(fetched.status).toBe(200);
          expect((JSON.parse(fetched.text) as Echo).cookie).toBe('sid=abc123; theme=dark; kept=1');
          const scoped = JSON.parse((await page.fetch('/only/echo')).text) as Echo;
          expect(scoped.cookie).toBe('scoped=only; sid=abc123; theme=dark; kept=1');

          // Deleted by Max-Age=0.
          await page.goto(`${site.url}/drop`);
          expect((await browser.cookies(site.url)).map((c) => c.name).sort()).toEqual([
            'kept',
            'theme',
          ]);
          expect((await (await page.goto(`${site.url}/echo`)).json<Echo>()).cookie).toBe(
            'theme=dark; kept=1',
          );

          // clearCookies empties the jar.
          await browser.clearCookies();
          expect(await browser.cookies()).toEqual([]);
          expect(JSON.parse((await page.fetch('/echo')).text)).toMatchObject({ cookie: null });
        } finally {
          await page.close();
        }
      },
      SLOW,
    );

    it(
      'identifies itself with its own User-Agent and tries to reach nothing off the machine',
      async () => {
        const userAgent = await running.browser.userAgent();
        expect(userAgent).toMatch(name === 'firefox' ? /Firefox\/\d+/ : /HeadlessChrome\/\d+/);
        const page = await running.browser.newPage();
        try {
          const echo = await (await page.goto(`${site.url}/ua`)).json<Echo>();
          expect(echo.userAgent).toBe(userAgent);
        } finally {
          await page.close();
        }
        // Firefox's proxy is the harness's sink: anything not for loopback lands there.
        expect(running.strayRequests).toEqual([]);
      },
      SLOW,
    );
  });
}
