/**
 * 200 concurrent requests on one session (issue 7, "Concurrency and faults"), in cookie mode and
 * with every store: no request fails, and what is read afterwards is exactly one of the states a
 * request wrote — never a mix of chunks (or records) from two responses.
 *
 * The 200 responses are applied to a real cookie jar (tough-cookie) one response at a time, in the
 * order they arrived, as a browser applies each response's headers; the cookie-mode read must then
 * give the state of the last response applied. Chunks taken from two different responses must
 * read as an empty session.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Get, Module, Param, Post } from '@nestjs/common';
import { Redis } from 'ioredis';
import memjs from 'memjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import {
  ChunkedSessionModule,
  FileStore,
  MemcachedStore,
  MemoryStore,
  PostgresStore,
  RedisStore,
  Session,
  type SessionStore,
} from '../../src/index.js';
import { TestBrowser } from '../support/browser.js';
import { startNestApp, type RunningApp } from '../support/nest-app.js';
import { describeWithServer } from '../support/require-server.js';
import { CaptureLogger, RawClient, SECRET, cookiePairs } from '../security/harness.js';
import { HOST } from '../support/private-servers.js';

const CONCURRENCY = 200;
const RUN = `rel${process.pid}${Date.now().toString(36)}`;

/** The state request `n` writes: every field derived from `n`, so a mix is visible. */
function stateOf(n: number): Record<string, unknown> {
  const letter = String.fromCharCode(97 + (n % 26));
  return { writer: n, echo: `w${n}`, list: [n, n, n], pad: `${n}:`.padEnd(5000, letter) };
}

@Controller()
class RaceController {
  @Post('write/:n')
  write(@Session() session: Record<string, unknown>, @Param('n') n: string) {
    Object.assign(session, stateOf(Number(n)));
    return { ok: true };
  }

  @Get('read')
  read(@Session() session: Record<string, unknown>) {
    return { data: session };
  }
}

interface Mode {
  store?: SessionStore;
  cleanup?: () => Promise<void>;
}

/** Figures for SECURITY.md. */
const figures = { requests: 0, mixesTried: 0 };

function raceTests(name: string, makeMode: () => Promise<Mode>): void {
  describe(`200 concurrent writes on one session: ${name}`, () => {
    let mode: Mode;
    let running: RunningApp;
    let client: RawClient;
    let logger: CaptureLogger;

    beforeAll(async () => {
      mode = await makeMode();
      @Module({
        imports: [
          ChunkedSessionModule.forRoot({
            secret: SECRET,
            storeTimeout: 30_000, // a concurrency test, not a latency test: the machine is shared
            // Several chunks in one response: the response budget is not what this tests.
            limits: { maxCookieBytes: 2000, maxResponseHeaderBytes: 32768 },
            sessions: mode.store
              ? [{ cookieName: 'sid', fields: 'auto', store: mode.store }]
              : [{ cookieName: 'session', fields: 'auto' }],
          }),
        ],
        controllers: [RaceController],
      })
      class RaceModule {}
      logger = new CaptureLogger();
      running = await startNestApp(RaceModule, { configure: (app) => app.useLogger(logger) });
      client = new RawClient(running.url);
    });

    afterAll(async () => {
      client?.close();
      await running?.close();
      await mode?.cleanup?.();
      console.log(`concurrency figures after ${name}: ${JSON.stringify(figures)}`);
    });

    it('answers every request, and reads back exactly one written state', async () => {
      const browser = new TestBrowser(running.url);
      const first = await browser.post('/write/0');
      figures.requests++;
      expect(first.status).toBe(201);
      const start = await browser.cookieHeader();
      const chunkNames = cookiePairs(first.setCookies).map((c) => c.name);
      expect(chunkNames.length).toBeGreaterThanOrEqual(mode.store ? 1 : 3);

      // Every response is applied to the jar whole, in arrival order.
      const arrived: number[] = [];
      let applying = Promise.resolve();
      const responses = await Promise.all(
        Array.from({ length: CONCURRENCY }, async (_, i) => {
          const n = i + 1;
          const res = await client.post(`/write/${n}`, {}, start);
          arrived.push(n);
          applying = applying.then(async () => {
            for (const line of res.setCookies) await browser.jar.setCookie(line, running.url);
          });
          return { n, res };
        }),
      );
      await applying;
      figures.requests += CONCURRENCY;

      for (const { res } of responses) {
        expect(res.status).toBe(201);
        expect(cookiePairs(res.setCookies).map((c) => c.name)).toEqual(chunkNames);
        expect(res.setCookies.every((line) => !line.includes('Max-Age=0'))).toBe(true);
      }
      expect(arrived).toHaveLength(CONCURRENCY);

      const read = await browser.get('/read');
      figures.requests++;
      expect(read.status).toBe(200);
      const data = read.json.data as Record<string, unknown>;
      const writer = data.writer as number;
      expect(Number.isInteger(writer)).toBe(true);
      expect(writer).toBeGreaterThanOrEqual(1);
      expect(writer).toBeLessThanOrEqual(CONCURRENCY);
      expect(data).toEqual(stateOf(writer));
      if (!mode.store) {
        // The data is in the cookies: the last response applied is what is read.
        expect(writer).toBe(arrived[arrived.length - 1]);
      } else if (mode.store instanceof MemoryStore) {
        expect(mode.store.size).toBe(1);
      }
      expect(logger.errors).toEqual([]);

      if (!mode.store) {
        // Chunks of two different responses together never read as data.
        let seed = 7;
        const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
        for (let t = 0; t < 100; t++) {
          const a = responses[Math.floor(random() * CONCURRENCY)]!;
          let b = responses[Math.floor(random() * CONCURRENCY)]!;
          if (b.n === a.n) b = responses[(responses.indexOf(a) + 1) % CONCURRENCY]!;
          const ca = cookiePairs(a.res.setCookies);
          const cb = cookiePairs(b.res.setCookies);
          let mask = 1 + Math.floor(random() * (2 ** ca.length - 2)); // neither all a nor all b
          const pairs = ca.map((c, i) => {
            const pick = mask & 1 ? cb[i]! : c;
            mask >>= 1;
            return `${pick.name}=${pick.value}`;
          });
          const mixed = await client.get('/read', pairs.join('; '));
          figures.requests++;
          figures.mixesTried++;
          expect(mixed.status).toBe(200);
          expect(mixed.json.data).toEqual({});
        }
      }
    });
  });
}

raceTests('cookie mode (chunked cookies)', async () => ({}));
raceTests('MemoryStore', async () => ({ store: new MemoryStore() }));
raceTests('FileStore', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rel-file-'));
  return {
    store: new FileStore({ dir: join(dir, 'sessions') }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

await describeWithServer(
  { name: 'Redis', host: HOST, port: 6379, start: 'redis-server --daemonize yes' },
  'concurrency with RedisStore',
  () =>
    raceTests('RedisStore (127.0.0.1:6379)', async () => {
      const client = new Redis({
        host: HOST,
        port: 6379,
        lazyConnect: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
      });
      client.on('error', () => undefined);
      await client.connect();
      const prefix = `${RUN}:`;
      return {
        store: new RedisStore({ client, prefix }),
        cleanup: async () => {
          const keys = await client.keys(`${prefix}*`);
          if (keys.length) await client.del(...keys);
          client.disconnect();
        },
      };
    }),
);

await describeWithServer(
  {
    name: 'memcached',
    host: HOST,
    port: 11211,
    start: 'memcached -d -u root -l 127.0.0.1 -p 11211',
  },
  'concurrency with MemcachedStore',
  () =>
    raceTests('MemcachedStore (127.0.0.1:11211)', async () => {
      const client = memjs.Client.create(`${HOST}:11211`, {
        logger: { log: () => undefined },
        timeout: 5,
        retries: 1,
      });
      return {
        store: new MemcachedStore({ client, prefix: `${RUN}:` }),
        cleanup: async () => client.close(),
      };
    }),
);

await describeWithServer(
  { name: 'PostgreSQL', host: HOST, port: 5432, start: 'pg_ctlcluster <version> main start' },
  'concurrency with PostgresStore',
  () =>
    raceTests('PostgresStore (127.0.0.1:5432)', async () => {
      const pool = new pg.Pool({
        host: HOST,
        port: 5432,
        user: 'postgres',
        database: 'test',
        max: 10,
      });
      pool.on('error', () => undefined);
      const table = `${RUN}_sessions`;
      return {
        store: new PostgresStore({ pool, table }),
        cleanup: async () => {
          await pool.query(`DROP TABLE IF EXISTS "${table}"`);
          await pool.end();
        },
      };
    }),
);
