/**
 * What only Fastify has, on both ways of using it (the shared suites run everything else on
 * Fastify with PLATFORM=fastify): `nestjs-chunked-session/fastify` as a plain plugin, and the
 * Nest module on `FastifyAdapter`, next to `@fastify/cookie`, `reply.header('set-cookie', …)`,
 * `reply.raw` and `reply.hijack()`.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  Controller,
  Get,
  Module,
  Res,
  type MiddlewareConsumer,
  type NestModule,
} from '@nestjs/common';
import fastifyCookie from '@fastify/cookie';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { NestFactory } from '@nestjs/core';
import Fastify from 'fastify';
import { Writable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import {
  browserLimits,
  ChunkedSessionModule,
  ChunkedSessionOptionsError,
  RedisStore,
  Session,
} from '../../../src/index.js';
import { chunkedSession } from '../../../src/fastify/index.js';
import { TestBrowser } from '../../support/browser.js';
import { describeWithServer } from '../../support/require-server.js';
import { startFastifyApp } from '../fixtures/fastify-app.js';
import { CHROME_UA, SECRET } from '../fixtures/secrets.js';

const SESSION_LINE = /^session=1\.[A-Za-z0-9_-]+; Path=\/; HttpOnly; SameSite=Lax$/;
const THEME_LINE = 'theme=dark; Path=/; SameSite=Lax';
const RAW_LINE = 'raw=1; Path=/';

/** Fastify's pino logger, kept: one parsed JSON object per line. */
function captureLog(): { lines: Record<string, unknown>[]; stream: Writable } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, stream };
}

describe('nestjs-chunked-session/fastify: the plain plugin', () => {
  it('applies to every route of the instance, child plugins included (not encapsulated)', async () => {
    const running = await startFastifyApp({ secret: SECRET }, undefined, async (app) => {
      await app.register(async (child) => {
        child.get('/child', async (request) => {
          request.session.from = 'child';
          return { data: request.session };
        });
      });
    });
    try {
      const browser = new TestBrowser(running.url);
      const res = await browser.get('/child');
      expect(res.json).toEqual({ data: { from: 'child' } });
      expect(res.setCookies).toHaveLength(1);
      expect(res.setCookies[0]).toMatch(SESSION_LINE);
      expect((await browser.get('/session')).json).toEqual({
        data: { from: 'child' },
        isNew: false,
      });
    } finally {
      await running.close();
    }
  });

  it('fails the registration on a bad option, naming it', async () => {
    const app = Fastify();
    const registered = app.register(chunkedSession, { secret: 'too-short' });
    await expect(registered).rejects.toThrow(ChunkedSessionOptionsError);
    await expect(app.ready()).rejects.toMatchObject({
      code: 'ERR_SESSION_OPTIONS',
      option: 'secret',
    });
    await app.close().catch(() => undefined);
  });

  it.each([
    ['before the plugin', true],
    ['after the plugin', false],
  ])(
    'keeps @fastify/cookie lines registered %s, and reply.header lines, each once',
    async (_, cookieFirst) => {
      const running = await startFastifyApp(
        { secret: SECRET },
        cookieFirst ? (app) => app.register(fastifyCookie) : undefined,
        async (app) => {
          if (!cookieFirst) await app.register(fastifyCookie);
          app.get('/cookies', async (request, reply) => {
            request.session.user = 'ada';
            reply.setCookie('theme', 'dark', { path: '/' });
            reply.header('set-cookie', RAW_LINE);
            return { ok: true };
          });
        },
      );
      try {
        const browser = new TestBrowser(running.url);
        const res = await browser.get('/cookies');
        expect(res.status).toBe(200);
        expect(res.setCookies).toHaveLength(3);
        expect(res.setCookies.filter((l) => l === THEME_LINE)).toHaveLength(1);
        expect(res.setCookies.filter((l) => l === RAW_LINE)).toHaveLength(1);
        expect(res.setCookies.filter((l) => SESSION_LINE.test(l))).toHaveLength(1);
        // Registered first, @fastify/cookie's onSend hook runs first: its line comes before ours.
        if (cookieFirst) expect(res.setCookies[2]).toMatch(SESSION_LINE);
        const read = await browser.get('/session');
        expect(read.json).toEqual({ data: { user: 'ada' }, isNew: false });
        expect((await browser.cookies()).get('theme')).toBe('dark');
      } finally {
        await running.close();
      }
    },
  );

  it('counts the reply’s own Set-Cookie lines against the budget, with @fastify/cookie or not', async () => {
    const limits = browserLimits(CHROME_UA); // 8000 bytes of Cookie header in all
    const big = randomBytes(3000).toString('base64url'); // 4000 characters, incompressible
    const running = await startFastifyApp(
      // The request-side budget alone: one response may carry the whole cookie set.
      { secret: SECRET, limits: { maxTotalBytes: 8000, maxResponseHeaderBytes: 32768 } },
      (app) => app.register(fastifyCookie),
      (app) => {
        app.post('/big', async (request, reply) => {
          const { app: appCookie, via } = request.body as { app: boolean; via: string };
          request.session.big = big;
          if (appCookie && via === 'header')
            reply.header('set-cookie', `app=${'y'.repeat(3000)}; Path=/`);
          if (appCookie && via === 'setCookie')
            reply.setCookie('app', 'y'.repeat(3000), { path: '/' });
          return { ok: true };
        });
      },
    );
    try {
      // Alone, the session keeps its 4000 characters (about 5400 once sealed).
      const alone = new TestBrowser(running.url, CHROME_UA);
      await alone.post('/big', { app: false, via: 'none' });
      expect((await alone.get('/session')).json.data.big).toBe(big);
      for (const via of ['header', 'setCookie']) {
        const browser = new TestBrowser(running.url, CHROME_UA);
        const res = await browser.post('/big', { app: true, via });
        expect(res.setCookies.filter((l) => l.startsWith('app='))).toHaveLength(1);
        // Beside the application's 3000 bytes, it no longer fits: dropped, and the next
        // request's Cookie header stays within Chrome's limit.
        const header = await browser.cookieHeader();
        expect(Buffer.byteLength(header)).toBeLessThanOrEqual(limits.maxTotalBytes);
        expect((await browser.cookies()).get('app')).toBe('y'.repeat(3000));
        expect((await browser.get('/session')).json.data.big).toBeUndefined();
      }
    } finally {
      await running.close();
    }
  });

  it('measures the response budget where the head goes out: the reply’s headers in onSend', async () => {
    const limits = browserLimits(CHROME_UA);
    expect(limits.maxResponseHeaderBytes).toBe(4096);
    const field = randomBytes(1200).toString('base64url'); // 1600 characters, about 2200 sealed
    const running = await startFastifyApp({ secret: SECRET }, undefined, (app) => {
      app.post('/filled', async (request, reply) => {
        const { filler } = request.body as { filler: number };
        request.session.field = field;
        if (filler > 0) reply.header('x-filler', 'z'.repeat(filler));
        return { ok: true };
      });
    });
    try {
      const alone = new TestBrowser(running.url, CHROME_UA);
      await alone.post('/filled', { filler: 0 });
      expect((await alone.get('/session')).json.data.field).toBe(field);

      const crowded = new TestBrowser(running.url, CHROME_UA);
      const res = await crowded.post('/filled', { filler: 3000 });
      expect(res.headers.get('x-filler')).toHaveLength(3000);
      const sessionBytes = res.setCookies.reduce(
        (n, l) => n + 'Set-Cookie: \r\n'.length + l.length,
        0,
      );
      expect(3000 + sessionBytes).toBeLessThanOrEqual(limits.maxResponseHeaderBytes);
      expect((await crowded.get('/session')).json.data.field).toBeUndefined();
    } finally {
      await running.close();
    }
  });

  it('keeps reply.header set-cookie lines without @fastify/cookie, and replaces none', async () => {
    const running = await startFastifyApp({ secret: SECRET }, undefined, (app) => {
      app.get('/two', async (request, reply) => {
        request.session.n = 2;
        reply.header('set-cookie', ['a=1; Path=/', 'b=2; Path=/']);
        return { ok: true };
      });
    });
    try {
      const res = await new TestBrowser(running.url).get('/two');
      expect(res.setCookies.slice(0, 2)).toEqual(['a=1; Path=/', 'b=2; Path=/']);
      expect(res.setCookies).toHaveLength(3);
      expect(res.setCookies[2]).toMatch(SESSION_LINE);
    } finally {
      await running.close();
    }
  });

  it('reply.raw and reply.hijack(): answered, nothing saved, one warning in Fastify’s log', async () => {
    const { lines, stream } = captureLog();
    const running = await startFastifyApp(
      { secret: SECRET },
      undefined,
      (app) => {
        app.get('/raw', (request, reply) => {
          request.session.lost = true;
          reply.hijack();
          (reply.raw as ServerResponse).end('by hand');
        });
      },
      { logger: { level: 'warn', stream } },
    );
    try {
      const browser = new TestBrowser(running.url);
      for (let i = 0; i < 2; i++) {
        const res = await browser.get('/raw');
        expect(res.text).toBe('by hand');
        expect(res.setCookies).toEqual([]);
      }
      expect(lines.map((l) => [l.level, l.msg])).toEqual([
        [
          40,
          "nestjs-chunked-session: the response to GET /raw was written through reply.raw or after reply.hijack(), which Fastify's onSend hooks never see: session changes made for such responses are not saved. Answer with reply.send() (this is said once).",
        ],
      ]);
    } finally {
      await running.close();
    }
  });
});

/** A client of the machine's Redis that fails at once (no retries, no queue) once disconnected. */
async function connectRedis(): Promise<Redis> {
  const client = new Redis({
    host: '127.0.0.1',
    port: 6379,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
  });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

await describeWithServer(
  { name: 'Redis', host: '127.0.0.1', port: 6379, start: 'redis-server --daemonize yes' },
  'the plain plugin with a failing store',
  () => {
    it('answers 503 with the code and a message naming no store internals; logs the detail once', async () => {
      const client = await connectRedis();
      const { lines, stream } = captureLog();
      const running = await startFastifyApp(
        {
          secret: SECRET,
          storeTimeout: 500,
          sessions: [{ cookieName: 'sid', fields: 'auto', store: new RedisStore({ client }) }],
        },
        undefined,
        undefined,
        { logger: { level: 'error', stream } },
      );
      try {
        client.disconnect(); // a real client whose commands now fail
        const res = await new TestBrowser(running.url).post('/session', { user: 'ada' });
        expect(res.status).toBe(503);
        expect(res.setCookies).toEqual([]);
        // The fixture's error handler answers `{ error: message }`: the public message only.
        expect(res.json).toEqual({ error: 'Session store unavailable' });
        const logged = lines.filter((l) => String(l.msg).startsWith('nestjs-chunked-session'));
        expect(logged).toHaveLength(1);
        expect(logged[0]!.msg).toMatch(
          /^nestjs-chunked-session: Session store unavailable: set in the store of "sid" failed: .+/,
        );
      } finally {
        await running.close();
      }
    });

    it('answers with Fastify’s default error handler: 503 and the same body as Nest', async () => {
      const client = await connectRedis();
      const app = Fastify();
      await app.register(chunkedSession, {
        secret: SECRET,
        sessions: [{ cookieName: 'sid', fields: 'auto', store: new RedisStore({ client }) }],
      });
      app.get('/w', async (request) => {
        request.session.user = 'ada';
        return { ok: true };
      });
      await app.listen({ port: 0, host: '127.0.0.1' });
      try {
        client.disconnect();
        const { port } = app.server.address() as AddressInfo;
        const res = await new TestBrowser(`http://127.0.0.1:${port}`).get('/w');
        expect(res.status).toBe(503);
        expect(res.json).toEqual({
          statusCode: 503,
          code: 'ERR_SESSION_STORE_UNAVAILABLE',
          error: 'Service Unavailable',
          message: 'Session store unavailable',
        });
        expect(res.setCookies).toEqual([]);
      } finally {
        await app.close();
      }
    });

    it('exclude and logger: an excluded path answers during the outage; the failure goes to the given logger', async () => {
      const client = await connectRedis();
      const logged: string[] = [];
      const app = Fastify();
      await app.register(chunkedSession, {
        secret: SECRET,
        saveUninitialized: true,
        exclude: ['/health'],
        logger: { warn: (m) => logged.push(`warn ${m}`), error: (m) => logged.push(`error ${m}`) },
        sessions: [{ cookieName: 'sid', fields: 'auto', store: new RedisStore({ client }) }],
      });
      app.get('/health', async (request) => ({ session: request.session ?? 'none' }));
      app.get('/w', async (request) => {
        request.session.user = 'ada';
        return { ok: true };
      });
      await app.listen({ port: 0, host: '127.0.0.1' });
      try {
        client.disconnect();
        const { port } = app.server.address() as AddressInfo;
        const browser = new TestBrowser(`http://127.0.0.1:${port}`);
        const health = await browser.get('/health');
        expect(health.status).toBe(200);
        expect(health.json).toEqual({ session: 'none' });
        expect(health.setCookies).toEqual([]);
        expect(logged).toEqual([]);
        const res = await browser.get('/w');
        expect(res.status).toBe(503);
        expect(logged).toHaveLength(1);
        expect(logged[0]).toMatch(/^error Session store unavailable: /);
      } finally {
        await app.close();
      }
    });
  },
);

/** A Nest middleware that sets a cookie on the Node response, as Express middleware would. */
function rawCookieMiddleware(_req: unknown, res: ServerResponse, next: () => void) {
  res.setHeader('set-cookie', 'mw=1; Path=/');
  next();
}

interface Reply {
  setCookie(name: string, value: string, options: object): Reply;
  header(name: string, value: string): Reply;
}

@Controller()
class CookiesController {
  @Get('cookies')
  cookies(@Session() session: Record<string, unknown>, @Res({ passthrough: true }) reply: Reply) {
    session.user = 'ada';
    reply.setCookie('theme', 'dark', { path: '/' });
    reply.header('set-cookie', RAW_LINE);
    return { ok: true };
  }

  /** Behind a middleware that set a cookie on the Node response. */
  @Get('mw')
  mw(@Session() session: Record<string, unknown>, @Res({ passthrough: true }) reply: Reply) {
    session.user = 'mw';
    reply.header('set-cookie', RAW_LINE);
    return { ok: true };
  }

  @Get('session')
  read(@Session() session: Record<string, unknown>) {
    return { data: session };
  }
}

@Module({
  imports: [ChunkedSessionModule.forRoot({ secret: SECRET })],
  controllers: [CookiesController],
})
class CookiesModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(rawCookieMiddleware).forRoutes('mw');
  }
}

describe('the Nest module on FastifyAdapter, beside @fastify/cookie', () => {
  let app: NestFastifyApplication;
  let url: string;
  beforeAll(async () => {
    app = await NestFactory.create<NestFastifyApplication>(CookiesModule, new FastifyAdapter(), {
      logger: false,
    });
    await app.register(fastifyCookie);
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterAll(() => app.close());

  it('keeps reply.setCookie and reply.header lines, each once, the session’s last', async () => {
    const browser = new TestBrowser(url);
    const res = await browser.get('/cookies');
    expect(res.status).toBe(200);
    expect(res.setCookies).toHaveLength(3);
    expect(res.setCookies.slice(0, 2)).toEqual([RAW_LINE, THEME_LINE]);
    expect(res.setCookies[2]).toMatch(SESSION_LINE);
    expect((await browser.get('/session')).json).toEqual({ data: { user: 'ada' } });
    expect([...(await browser.cookies()).keys()].sort()).toEqual(['raw', 'session', 'theme']);
  });

  // Fastify itself lets the reply's Set-Cookie win over the Node response's at writeHead (and
  // @fastify/cookie's own writer drops it): the session's commit keeps both.
  it('keeps a Nest middleware’s res.setHeader line beside the handler’s reply.header line', async () => {
    const browser = new TestBrowser(url);
    const res = await browser.get('/mw');
    expect(res.setCookies).toHaveLength(3);
    expect(res.setCookies.slice(0, 2)).toEqual(['mw=1; Path=/', RAW_LINE]);
    expect(res.setCookies[2]).toMatch(SESSION_LINE);
    expect((await browser.get('/session')).json).toEqual({ data: { user: 'mw' } });
  });
});
