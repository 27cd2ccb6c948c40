/**
 * Shrink policies given in the options, for the Express middleware (API.md sections 3 and 6):
 * `shrinkers: [{ key, priority?, shrink }]`, synchronous or asynchronous, `undefined` removing
 * the key; warnings and errors go to the console with the package's name.
 */
import {
  afterAll,
  afterEach,
  beforeAll,
  beforeEach,
  describe,
  expect,
  it,
  jest,
} from '@jest/globals';
import express from 'express';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chunkedSession, type ShrinkContext, type ShrinkEvent } from '../../../src/index.js';
import { byteLength, isDeletion, JarClient, lineName, lineValue } from '../limits/jar-client.js';

const SECRET = 'an-express-shrink-secret-long-enough-0123456';
const UA =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15';
/** As in shrink-phases.spec.ts: one cookie of at most 1500 bytes holds at most 1075 bytes of JSON. */
const FITS = 1075;
const DELETION =
  '=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax';

const calls: string[] = [];
const events: ShrinkEvent[] = [];

const bytesOf = (data: unknown): number => byteLength(JSON.stringify(data));
const pairBytes = (lines: string[]): number =>
  lines
    .filter((line) => !isDeletion(line))
    .reduce((sum, line) => sum + byteLength(lineName(line)) + byteLength(lineValue(line)), 0);
const list = (c: string, count: number) => Array.from({ length: count }, () => c.repeat(200));

describe('shrinkers given in the options, with the Express middleware', () => {
  let server: Server;
  let url: string;
  let warn: jest.SpiedFunction<typeof console.warn>;
  let error: jest.SpiedFunction<typeof console.error>;

  beforeAll(async () => {
    const app = express();
    app.use(express.json());
    app.use(
      chunkedSession({
        secret: SECRET,
        limits: {
          maxCookieBytes: 4096,
          countsAttributes: false,
          maxCookies: 180,
          maxTotalBytes: 1500,
        },
        onShrink: (event) => events.push(event),
        shrinkers: [
          {
            key: 'draft',
            priority: 1,
            // Asynchronous, and gives the key up at once.
            shrink: async (_draft: string, { last }: ShrinkContext) => {
              calls.push(`draft${last ? '!' : ''}`);
              await new Promise((resolve) => setImmediate(resolve));
              return undefined;
            },
          },
          {
            key: 'mutating',
            priority: 2,
            // Against the contract: the second call grows every element in place before slicing.
            shrink: (list: { n: string }[]) => {
              calls.push('mutating');
              if (calls.filter((c) => c === 'mutating').length === 2) {
                for (const element of list) element.n += 'y'.repeat(50);
              }
              return list.slice(1);
            },
          },
          {
            key: 'recent',
            // priority defaults to 0: shrunk before draft
            shrink: (recent: string[], { last }: ShrinkContext) => {
              calls.push(`recent${last ? '!' : ''}`);
              return last ? undefined : recent.length < 2 ? recent : recent.slice(1);
            },
          },
        ],
      }),
    );
    app.post('/set', (req, res) => {
      const session = req.session as Record<string, unknown>;
      for (const key of Object.keys(session)) delete session[key];
      Object.assign(session, req.body);
      res.status(201).json({ ok: true });
    });
    app.get('/get', (req, res) => {
      res.json(req.session);
    });
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  beforeEach(() => {
    calls.length = 0;
    events.length = 0;
    warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    error = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => {
    warn.mockRestore();
    error.mockRestore();
  });

  it('runs them by priority, counts a key a shrinker removed as removed, and stops once it fits', async () => {
    const data = { recent: list('r', 5), draft: 'd'.repeat(300), keep: 'k'.repeat(100) };
    // 1448 bytes; recent drops one (1245: over), draft is removed (934): fits.
    expect(bytesOf(data)).toBe(1448);
    const result = { recent: list('r', 4), keep: 'k'.repeat(100) };
    expect(bytesOf({ ...data, recent: list('r', 4) })).toBeGreaterThan(FITS);
    expect(bytesOf(result)).toBeLessThanOrEqual(FITS);

    const client = new JarClient(url, { userAgent: UA });
    const res = await client.post('/set', data);
    expect(res.status).toBe(201);
    expect(calls).toEqual(['recent', 'draft']);
    expect(events).toEqual([
      {
        cookieName: 'session',
        userAgent: UA,
        bytesBefore: expect.any(Number),
        bytesAfter: pairBytes(res.setCookies),
        shrunkKeys: ['recent'],
        removedKeys: ['draft'],
      },
    ]);
    expect(events[0]!.bytesBefore).toBeGreaterThan(events[0]!.bytesAfter);
    expect(warn.mock.calls).toEqual([
      [
        `[nestjs-chunked-session] the session cookie "session" did not fit (${events[0]!.bytesBefore} → ${events[0]!.bytesAfter} bytes); shrunk: recent; removed: draft`,
      ],
    ]);
    expect(error).not.toHaveBeenCalled();
    expect((await client.get('/get')).json).toEqual(result);
  });

  it('gives `last: true` in phase 3, where a shrinker may remove its key', async () => {
    const data = { recent: list('r', 1), big: 'b'.repeat(300), other: 'o'.repeat(800) };
    // Phase 1 makes nothing smaller; phase 2 removes other, then big; phase 3 removes recent.
    expect(bytesOf({ recent: list('r', 1) })).toBeLessThanOrEqual(FITS);
    expect(bytesOf({ recent: list('r', 1), big: 'b'.repeat(300) })).toBeLessThanOrEqual(FITS);
    const client = new JarClient(url, { userAgent: UA });
    const res = await client.post('/set', data);
    expect(calls).toEqual(['recent']);
    expect(events.map((e) => [e.shrunkKeys, e.removedKeys])).toEqual([[[], ['other']]]);
    expect(res.setCookies).toHaveLength(1);

    // With a neighbour cookie leaving room for only a nearly empty session, recent goes in phase 3.
    calls.length = 0;
    events.length = 0;
    await client.plant('neighbour', 'n'.repeat(1300));
    const tight = await client.post('/set', { recent: list('r', 2), big: 'b'.repeat(300) });
    expect(calls).toEqual(['recent', 'recent', 'recent!']);
    expect(events.map((e) => [e.shrunkKeys, e.removedKeys])).toEqual([
      [['recent'], ['big', 'recent']],
    ]);
    // Shrunk to nothing: an empty session keeps no cookie.
    expect(tight.setCookies).toEqual([`session${DELETION}`]);
    expect(events[0]!.bytesAfter).toBe(0);
    expect(error).not.toHaveBeenCalled();
    expect((await client.get('/get')).json).toEqual({});
  });

  it('measures what fits exactly even when a shrinker changed elements in place', async () => {
    const element = () => ({ n: 'x'.repeat(150) });
    const data = { mutating: Array.from({ length: 9 }, element) };
    const grown = (count: number) =>
      Array.from({ length: count }, () => ({ n: 'x'.repeat(150) + 'y'.repeat(50) }));
    // 1445 bytes. Each call drops one element; the second also grows them all in place, after
    // their sizes were known. The third leaves 6 grown elements: 1268 bytes, though sizes known
    // by identity say 968 (sealing would then find no room); the fourth leaves 5: 1059, fits.
    expect(bytesOf(data)).toBe(1445);
    expect(bytesOf({ mutating: Array.from({ length: 8 }, element) })).toBeGreaterThan(FITS);
    expect(bytesOf({ mutating: Array.from({ length: 6 }, element) })).toBeLessThanOrEqual(FITS);
    expect(bytesOf({ mutating: grown(6) })).toBeGreaterThan(FITS);
    expect(bytesOf({ mutating: grown(5) })).toBeLessThanOrEqual(FITS);

    const client = new JarClient(url, { userAgent: UA });
    const res = await client.post('/set', data);
    expect(calls).toEqual(['mutating', 'mutating', 'mutating', 'mutating']);
    expect(res.setCookies).toHaveLength(1);
    expect(events.map((e) => [e.shrunkKeys, e.removedKeys, e.bytesAfter])).toEqual([
      [['mutating'], [], pairBytes(res.setCookies)],
    ]);
    expect(error).not.toHaveBeenCalled();
    expect((await client.get('/get')).json).toEqual({ mutating: grown(5) });
  });

  it('logs an error to the console and deletes the cookies when not even an empty session fits', async () => {
    const client = new JarClient(url, { userAgent: UA });
    await client.plant('neighbour', 'n'.repeat(1500));
    const res = await client.post('/set', { keep: 'k' });
    expect(res.setCookies).toEqual([]);
    expect(events.map((e) => [e.bytesAfter, e.removedKeys])).toEqual([[0, ['keep']]]);
    expect(error.mock.calls).toEqual([
      [
        '[nestjs-chunked-session] the session cookie "session" does not fit even empty: the request\'s other cookies fill the budget (180 cookies, 1500 bytes, 4096 bytes of response headers); its cookies were deleted',
      ],
    ]);
  });
});
