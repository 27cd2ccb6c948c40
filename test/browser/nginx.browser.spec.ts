/**
 * Behind a stock nginx (every buffer at its default), in Chromium and in Firefox: a ten-line
 * Express application using `chunkedSession({ secret })` with the default limits, its session
 * grown step by step well past 8 KB, with and without a shrinker. nginx answers 502 when the
 * application's response headers pass `proxy_buffer_size` (4096 bytes) and 400 when a request's
 * Cookie header passes 8 KB; neither may ever happen because of the session.
 *
 * Every step asserts: the status (200: no 502, no 400, the handler's change is answered); the
 * Cookie header the browser sent (what the application received, the browser's own cookies for
 * the site, within the budget); and that what the handler wrote is what the next request reads
 * (whole, or shrunk as the ShrinkEvent of that response says). With today's cookie format every
 * change re-sends the whole set, so the response budget caps the session near 3.7 KB.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import express from 'express';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chunkedSession, type ShrinkEvent, type ShrinkerRegistration } from '../../src/index.js';
import { SCRIPT_COOKIE_HEADROOM } from '../../src/core/allowance.js';
import {
  describeWithBrowser,
  launchBrowser,
  REAL_BROWSERS,
  type RunningBrowser,
} from '../support/launch-browser.js';
import { describeWithNginx, startNginx, type RunningNginx } from '../support/nginx.js';

const SECRET = 'an-nginx-test-secret-that-is-long-enough-0123';
const SLOW = 120_000;
const STEPS = 30;
/** Each step adds about 400 bytes of JSON: 30 steps are 12 KB. */
const ITEM_BYTES = 400;
const BUDGET = 8000 - SCRIPT_COOKIE_HEADROOM;

type Data = { history?: { step: number; note: string }[]; steps?: number };

interface StepRecord {
  cookie: string;
  read: Data;
  written: Data;
  event?: ShrinkEvent;
}

const dropOldest: ShrinkerRegistration = {
  key: 'history',
  shrink: (list: unknown[], { last }) => (last || list.length < 2 ? undefined : list.slice(1)),
};

/** The application as a new user writes it, plus a record of what every request saw. */
async function startApp(shrinkers: ShrinkerRegistration[]) {
  const steps = new Map<number, StepRecord>();
  let current: StepRecord | undefined;
  const app = express();
  app.use(
    chunkedSession({
      secret: SECRET,
      shrinkers,
      onShrink: (event) => {
        if (current) current.event = event;
      },
    }),
  );
  app.get('/grow/:step', (req, res) => {
    const step = Number(req.params.step);
    const session = req.session as Data;
    const record: StepRecord = {
      cookie: req.headers.cookie ?? '',
      read: structuredClone(session),
      written: {},
    };
    current = record;
    steps.set(step, record);
    session.history = [
      ...(session.history ?? []),
      { step, note: `step ${step} `.repeat(60).slice(0, ITEM_BYTES) },
    ];
    session.steps = (session.steps ?? 0) + 1;
    record.written = structuredClone(session);
    res.json({ step, items: session.history.length });
  });
  app.get('/read', (req, res) => {
    res.json({ cookie: req.headers.cookie ?? '', session: req.session });
  });
  app.post('/logout', (req, res) => {
    req.sessionHandle.destroy();
    res.json({ ok: true });
  });
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    steps,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const pairs = (header: string): string[] => (header === '' ? [] : header.split('; ').sort());

describeWithNginx('behind a stock nginx', () => {
  // The middleware logs each shrink with console.warn: expected here, and noisy.
  let warn: ReturnType<typeof jest.spyOn>;
  beforeAll(() => {
    warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  });
  afterAll(() => warn.mockRestore());

  for (const name of REAL_BROWSERS) {
    describeWithBrowser(name, `a session grown past 8 KB in ${name}`, () => {
      let browser: RunningBrowser;
      beforeAll(async () => {
        browser = await launchBrowser(name);
      }, SLOW);
      afterAll(async () => {
        await browser?.close();
      }, SLOW);

      describe.each([
        ['with a shrinker', [dropOldest]],
        ['without a shrinker', []],
      ])('%s', (_, shrinkers) => {
        let app: Awaited<ReturnType<typeof startApp>>;
        let nginx: RunningNginx;
        beforeAll(async () => {
          app = await startApp(shrinkers as ShrinkerRegistration[]);
          nginx = await startNginx(app.url);
          await browser.browser.clearCookies();
        }, SLOW);
        afterAll(async () => {
          await nginx?.close();
          await app?.close();
        });

        it(
          'answers every step, and the next request reads what the handler wrote',
          async () => {
            const page = await browser.browser.newPage();
            let largest = 0;
            let events = 0;
            try {
              for (let step = 1; step <= STEPS; step++) {
                const response = await page.goto(`${nginx.url}/grow/${step}`);
                expect(response.status).toBe(200);
                expect(await response.json()).toEqual({ step, items: expect.any(Number) });
                const record = app.steps.get(step)!;
                // The Cookie header the browser sent is what the application received: the
                // browser's own cookies for the site, within the budget.
                const sent = response.requestHeaders.cookie ?? '';
                expect(record.cookie).toBe(sent);
                largest = Math.max(largest, Buffer.byteLength(sent));
                expect(Buffer.byteLength(sent)).toBeLessThanOrEqual(BUDGET);

                if (step > 1) {
                  // What the previous handler wrote is what this request read.
                  const previous = app.steps.get(step - 1)!;
                  expectReadOf(record.read, previous);
                  if (previous.event) events++;
                }
              }
              // The browser holds exactly what it sends.
              const read = await page.goto(`${nginx.url}/read`);
              expect(read.status).toBe(200);
              const body = await read.json<{ cookie: string; session: Data }>();
              expect(pairs(body.cookie)).toEqual(
                (await browser.browser.cookies(nginx.url))
                  .map((c) => `${c.name}=${c.value}`)
                  .sort(),
              );
              expectReadOf(body.session, app.steps.get(STEPS)!);
              expect(body.session.steps).toBe(STEPS);

              // 12 KB written: shrunk on the way, every time within one response's headers.
              expect(events).toBeGreaterThan(0);
              expect(largest).toBeGreaterThan(2500);
              expect(await nginx.errorLog()).not.toMatch(/too big header|too large/i);

              // Logging out deletes every cookie of the session.
              const out = await page.fetch('/logout', 'POST');
              expect(out.status).toBe(200);
              expect(await browser.browser.cookies(nginx.url)).toEqual([]);
            } finally {
              await page.close();
            }
          },
          SLOW,
        );
      });
    });
  }
});

/**
 * What the request after `record` read: what its handler wrote, exactly, unless that response's
 * ShrinkEvent says otherwise: without a shrinker `history` is removed whole; with one, the
 * newest entries are kept, in order, and only the oldest dropped.
 */
function expectReadOf(read: Data, record: StepRecord): void {
  const { written, event } = record;
  if (!event) {
    expect(read).toEqual(written);
    return;
  }
  expect(event.bytesAfter).toBeLessThan(event.bytesBefore);
  if (event.removedKeys.includes('history')) {
    const { history: _, ...rest } = written;
    expect(read).toEqual(rest);
    return;
  }
  expect(event.shrunkKeys).toEqual(['history']);
  const kept = read.history!;
  expect(kept.length).toBeGreaterThan(0);
  expect(kept.length).toBeLessThan(written.history!.length);
  expect(kept).toEqual(written.history!.slice(written.history!.length - kept.length));
  expect({ ...read, history: undefined }).toEqual({ ...written, history: undefined });
}
