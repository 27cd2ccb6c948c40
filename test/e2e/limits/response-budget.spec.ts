/**
 * The response side of the budget, with the default limits (a plain Express application using
 * `chunkedSession({ secret })`): every response's header block, as it leaves the application,
 * stays within `maxResponseHeaderBytes` (4096, what a stock nginx takes from an upstream); the
 * application's own cookies on the same response count for the browser's next request and are
 * never removed or changed; a request with hundreds of junk chunk cookies gets them deleted
 * within the budget, the rest on the responses that follow.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Controller, Get, Module, Param, Query, Res } from '@nestjs/common';
import { ChunkedSessionModule, Session } from '../../../src/index.js';
import { startNestApp, type RunningApp } from '../../support/nest-app.js';
import express from 'express';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  chunkedSession,
  type ChunkedSessionOptions,
  type ShrinkEvent,
} from '../../../src/index.js';
import { SCRIPT_COOKIE_HEADROOM } from '../../../src/core/allowance.js';
import { CookieJar } from 'tough-cookie';
import { SECRET, CHROME_UA } from '../fixtures/secrets.js';
import { byteLength, isChunkOf, isDeletion, lineName } from './jar-client.js';

const DEFAULT_RESPONSE = 4096;
const NEXT_REQUEST = 8000 - SCRIPT_COOKIE_HEADROOM;

interface Exchange {
  status: number;
  /** The header block as it came from the application: status line, header lines, CRLF. */
  headerBytes: number;
  setCookies: string[];
  sentCookie: string;
  json: any;
}

/** A browser stand-in that also measures each response's header block to the byte. */
class MeasuringClient {
  readonly jar = new CookieJar();
  constructor(readonly url: string) {}

  async get(path: string): Promise<Exchange> {
    const target = new URL(path, this.url).toString();
    const sentCookie = await this.jar.getCookieString(target);
    const headers: Record<string, string> = { 'user-agent': CHROME_UA };
    if (sentCookie) headers.cookie = sentCookie;
    const out = await new Promise<Omit<Exchange, 'sentCookie'>>((resolve, reject) => {
      const req = request(target, { headers, agent: false, maxHeaderSize: 1 << 20 }, (res) => {
        let headerBytes = `HTTP/1.1 ${res.statusCode} ${res.statusMessage}\r\n`.length + 2;
        for (let i = 0; i < res.rawHeaders.length; i += 2) {
          headerBytes += byteLength(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}\r\n`);
        }
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headerBytes,
            setCookies: res.headers['set-cookie'] ?? [],
            json: text.startsWith('{') ? JSON.parse(text) : text,
          }),
        );
      });
      req.on('error', reject);
      req.end();
    });
    for (const line of out.setCookies) await this.jar.setCookie(line, target);
    return { ...out, sentCookie };
  }

  plant(name: string, value: string): Promise<unknown> {
    return this.jar.setCookie(`${name}=${value}`, this.url);
  }

  async header(): Promise<string> {
    return this.jar.getCookieString(this.url);
  }
}

async function startApp(options: Partial<ChunkedSessionOptions> = {}) {
  const events: ShrinkEvent[] = [];
  const app = express();
  app.use(chunkedSession({ secret: SECRET, onShrink: (e) => events.push(e), ...options }));
  /** Adds `bytes` of data under `key`; with `prefs`, also sets the application's own cookie. */
  app.get('/add/:key/:bytes', (req, res) => {
    req.session[req.params.key] = 'x'.repeat(Number(req.params.bytes));
    if (req.query.prefs) res.cookie('prefs', 'p'.repeat(Number(req.query.prefs)));
    res.json({ ok: true });
  });
  app.get('/grow', (req, res) => {
    const list = (req.session.list as string[] | undefined) ?? [];
    req.session.list = [...list, 'y'.repeat(300)];
    res.json({ length: req.session.list.length });
  });
  app.get('/read', (req, res) => res.json(req.session));
  const server: Server = createServer({ maxHeaderSize: 1 << 20 }, app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    events,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('the response budget, with the default limits', () => {
  let app: Awaited<ReturnType<typeof startApp>>;
  let warn: ReturnType<typeof jest.spyOn>;
  beforeAll(async () => {
    warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    app = await startApp({
      shrinkers: [
        {
          key: 'list',
          shrink: (list: string[], { last }) =>
            last || list.length < 2 ? undefined : list.slice(1),
        },
      ],
    });
  });
  afterAll(async () => {
    warn.mockRestore();
    await app.close();
  });

  it('keeps every response within 4096 bytes of headers while a list grows well past 8 KB', async () => {
    const client = new MeasuringClient(app.url);
    app.events.length = 0;
    let kept = 0;
    for (let step = 1; step <= 40; step++) {
      const res = await client.get('/grow');
      expect(res.status).toBe(200);
      expect(res.headerBytes).toBeLessThanOrEqual(DEFAULT_RESPONSE);
      expect(byteLength(await client.header())).toBeLessThanOrEqual(NEXT_REQUEST);
      const read = (await client.get('/read')).json as { list: string[] };
      kept = read.list.length;
      expect(kept).toBeGreaterThan(0);
    }
    // 40 × 300 bytes written; the oldest dropped on the way, by the shrinker only.
    expect(app.events.length).toBeGreaterThan(0);
    expect(
      app.events.every((e) => e.shrunkKeys.join() === 'list' && e.removedKeys.length === 0),
    ).toBe(true);
    expect(kept).toBeLessThan(40);
    expect(kept).toBeGreaterThan(5);
  });

  it("counts the application's own cookie on the same response, and never touches it", async () => {
    const client = new MeasuringClient(app.url);
    app.events.length = 0;
    await client.get('/add/big/2000');
    // One response grows the session and sets the application's 3 000-byte cookie.
    const res = await client.get('/add/more/300?prefs=3000');
    expect(res.status).toBe(200);
    expect(res.headerBytes).toBeLessThanOrEqual(DEFAULT_RESPONSE);
    expect(res.setCookies[0]).toBe(`prefs=${'p'.repeat(3000)}; Path=/`);
    // The session gave way: shrunk to what the response and the next request leave.
    expect(app.events).toHaveLength(1);
    expect(app.events[0]!.removedKeys).toEqual(['big']);
    const next = await client.get('/read');
    expect(next.status).toBe(200);
    expect(byteLength(next.sentCookie)).toBeLessThanOrEqual(NEXT_REQUEST);
    expect(next.sentCookie).toContain(`prefs=${'p'.repeat(3000)}`);
    expect(next.json).toEqual({ more: 'x'.repeat(300) });
  });

  it('deletes hundreds of junk chunk cookies within the budget, the rest on later responses', async () => {
    const client = new MeasuringClient(app.url);
    for (let i = 1; i <= 300; i++) await client.plant(`session.${i}`, 'junk');
    let left = 300;
    let responses = 0;
    while (left > 0) {
      const res = await client.get('/add/note/10');
      responses++;
      expect(res.status).toBe(200);
      expect(res.headerBytes).toBeLessThanOrEqual(DEFAULT_RESPONSE);
      const deleted = res.setCookies.filter(isDeletion).map(lineName);
      expect(deleted.length).toBeGreaterThan(0);
      expect(deleted.every((name) => isChunkOf('session', name))).toBe(true);
      const now = (await client.jar.getCookies(app.url)).filter((c) =>
        /^session\.\d+$/.test(c.key),
      );
      expect(now.length).toBeLessThan(left);
      left = now.length;
      expect(responses).toBeLessThan(20);
    }
    // Junk gone: the session is written and reads back.
    const read = await client.get('/read');
    expect(read.json).toEqual({ note: 'x'.repeat(10) });
    expect(responses).toBeGreaterThan(3);
  });
});

@Controller()
class PrefsController {
  /** Grows the session and sets the application's own cookie on the same response. */
  @Get('add/:key/:bytes')
  add(
    @Session() session: Record<string, unknown>,
    @Param('key') key: string,
    @Param('bytes') bytes: string,
    @Query('prefs') prefs: string | undefined,
    // `header` is on Express's response and Fastify's reply alike (`res.cookie` is Express's).
    @Res({ passthrough: true }) res: { header(name: string, value: string): unknown },
  ) {
    session[key] = 'x'.repeat(Number(bytes));
    if (prefs) res.header('set-cookie', `prefs=${'p'.repeat(Number(prefs))}; Path=/`);
    return { ok: true };
  }

  @Get('read')
  read(@Session() session: Record<string, unknown>) {
    return session;
  }
}

describe("the Nest module: the application's cookie on the same response", () => {
  let running: RunningApp;
  const events: ShrinkEvent[] = [];
  beforeAll(async () => {
    @Module({
      imports: [ChunkedSessionModule.forRoot({ secret: SECRET, onShrink: (e) => events.push(e) })],
      controllers: [PrefsController],
    })
    class PrefsModule {}
    running = await startNestApp(PrefsModule);
  });
  afterAll(() => running.close());

  it('keeps the 3 000-byte prefs cookie, shrinks the session to fit, and the next request passes', async () => {
    const client = new MeasuringClient(running.url);
    await client.get('/add/big/2000');
    const res = await client.get('/add/more/300?prefs=3000');
    expect(res.status).toBe(200);
    expect(res.headerBytes).toBeLessThanOrEqual(DEFAULT_RESPONSE);
    expect(res.setCookies[0]).toBe(`prefs=${'p'.repeat(3000)}; Path=/`);
    expect(events.map((e) => e.removedKeys)).toEqual([['big']]);
    const next = await client.get('/read');
    expect(next.status).toBe(200);
    expect(byteLength(next.sentCookie)).toBeLessThanOrEqual(NEXT_REQUEST);
    expect(next.sentCookie).toContain(`prefs=${'p'.repeat(3000)}`);
    expect(next.json).toEqual({ more: 'x'.repeat(300) });
  });
});

describe('a raised maxTotalBytes raises the response budget with it', () => {
  let app: Awaited<ReturnType<typeof startApp>>;
  beforeAll(async () => {
    app = await startApp({ limits: { maxTotalBytes: 20000 } });
  });
  afterAll(() => app.close());

  it('writes a 14 KB session in one response of up to 24 096 bytes of headers', async () => {
    const client = new MeasuringClient(app.url);
    const res = await client.get('/add/big/10000');
    expect(res.status).toBe(200);
    expect(res.setCookies.length).toBeGreaterThanOrEqual(4);
    expect(res.headerBytes).toBeGreaterThan(DEFAULT_RESPONSE);
    expect(res.headerBytes).toBeLessThanOrEqual(20000 + 4096);
    expect(app.events).toEqual([]);
    expect((await client.get('/read')).json).toEqual({ big: 'x'.repeat(10000) });
  });
});
