/**
 * A store that fails, or does not answer, in the middle of a run: a private redis-server of
 * this spec's own (the machine's Redis is never stopped) is stopped, frozen and restarted under
 * a running Nest application and a running Express application. Every affected request answers
 * 503 (`ERR_SESSION_STORE_UNAVAILABLE`) without touching a cookie, and the same application
 * instances serve again, with their sessions, once Redis is back.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import type { Redis } from 'ioredis';
import pg from 'pg';

import {
  chunkedSession,
  FileStore,
  PostgresStore,
  RedisStore,
  SessionStoreUnavailableError,
  type SessionStore,
} from '../../../src/index.js';
import { TestBrowser, type BrowserResponse } from '../../support/browser.js';
import { startNestApp, type RunningApp } from '../../support/nest-app.js';
import { describeMissing } from '../../support/require-server.js';
import {
  expectNest503,
  outageModule,
  partitionedOptions,
  STORE_TIMEOUT,
  UNAVAILABLE_BODY,
} from './outage-fixture.js';
import {
  CaptureLogger,
  connectRedis,
  CountingStore,
  freePort,
  HOST,
  PrivateRedis,
  randomId,
  setCookieNames,
  until,
  type LoggedError,
} from './support.js';

interface RunningExpress {
  url: string;
  errors: unknown[];
  close(): Promise<void>;
}

/** A plain Express application with `chunkedSession()` and an error handler that keeps the errors. */
async function startExpressApp(store: SessionStore): Promise<RunningExpress> {
  const app = express();
  const errors: unknown[] = [];
  app.use(express.json());
  app.use(chunkedSession(partitionedOptions(store)));
  app.get('/read', (req, res) => {
    res.json({ session: req.session, isNew: req.sessionHandle.isNew });
  });
  app.post('/set', (req, res) => {
    Object.assign(req.session, req.body);
    res.status(201).json({ ok: true });
  });
  app.use(
    (
      err: { status?: number; code?: string; message?: string },
      _req: express.Request,
      res: express.Response,
      _next: express.NextFunction,
    ) => {
      errors.push(err);
      res
        .status(err.status ?? 500)
        .json({ status: err.status, code: err.code, message: err.message });
    },
  );
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${HOST}:${port}`,
    errors,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const hasRedisServer =
  spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0 &&
  spawnSync('redis-cli', ['--version'], { stdio: 'ignore' }).status === 0;

const outageTests = () => {
  let redis: PrivateRedis;
  let client: Redis;
  let nest: RunningApp;
  let plain: RunningExpress;
  let store: CountingStore;
  const logger = new CaptureLogger();
  const prefix = `outage:${randomId()}:`;

  /** A browser signed in with a record in Redis (csrf, sid, session), and its Cookie header. */
  let nestBrowser: TestBrowser;
  let nestCookies: string;
  let expressBrowser: TestBrowser;
  let expressCookies: string;
  /** A browser whose session has no store record (cookie partitions only). */
  let cookieOnly: TestBrowser;

  /**
   * Reads with the Nest browser until it is served again: every answer before is a 503 of a
   * failed get, logged once; the one served logged nothing. Returns the answer served.
   */
  async function servedAgain(): Promise<BrowserResponse> {
    const answers: { res: BrowserResponse; logged: LoggedError[] }[] = [];
    await until('the Nest application to serve again', async () => {
      const res = await nestBrowser.get('/read');
      answers.push({ res, logged: logger.takeErrors() });
      return res.status === 200;
    });
    for (const waiting of answers.slice(0, -1))
      expectNest503(waiting.res, waiting.logged, /get from the store of "sid"/);
    expect(answers.at(-1)!.logged).toEqual([]);
    return answers.at(-1)!.res;
  }

  beforeAll(async () => {
    redis = await PrivateRedis.create();
    client = await connectRedis(redis.port);
    store = new CountingStore(new RedisStore({ client, prefix }));
    nest = await startNestApp(outageModule(store), {
      configure: (app) => app.useLogger(logger),
    });
    plain = await startExpressApp(store);
  });

  afterAll(async () => {
    await nest?.close();
    await plain?.close();
    client?.disconnect();
    await redis?.dispose();
  });

  it('serves while Redis is up', async () => {
    nestBrowser = new TestBrowser(nest.url);
    const signIn = await nestBrowser.post('/set', {
      csrfToken: 't1',
      user: { id: 1 },
      roles: ['admin'],
      theme: 'dark',
    });
    expect(signIn.status).toBe(201);
    expect(setCookieNames(signIn)).toEqual(['csrf', 'sid', 'session']);
    nestCookies = await nestBrowser.cookieHeader();

    expressBrowser = new TestBrowser(plain.url);
    const expressSignIn = await expressBrowser.post('/set', { user: { id: 2 }, theme: 'light' });
    expect(expressSignIn.status).toBe(201);
    expect(setCookieNames(expressSignIn)).toEqual(['sid', 'session']);
    expressCookies = await expressBrowser.cookieHeader();

    cookieOnly = new TestBrowser(nest.url);
    expect((await cookieOnly.post('/set', { csrfToken: 'c1', theme: 'blue' })).status).toBe(201);
    expect(store.methods()).toEqual(['set', 'set']);
    store.take();
  });

  it('a stopped Redis: 503 naming the store failure, and no cookie changes', async () => {
    await redis.stop();

    // Loading needs the record.
    const read = await nestBrowser.get('/read');
    expectNest503(
      read,
      logger.takeErrors(),
      /^Session store unavailable: get from the store of "sid" failed: /,
    );
    const write = await nestBrowser.post('/set', { theme: 'light', csrfToken: 't2' });
    expectNest503(write, logger.takeErrors(), /get from the store of "sid"/);
    expect(await nestBrowser.cookieHeader()).toBe(nestCookies);

    // Loading needs no store, but the write does: nothing is written, not even the csrf cookie.
    const before = await cookieOnly.cookieHeader();
    const login = await cookieOnly.post('/set', { user: { id: 3 }, csrfToken: 'c2', theme: 'red' });
    expectNest503(
      login,
      logger.takeErrors(),
      /^Session store unavailable: set in the store of "sid" failed: /,
    );
    expect(await cookieOnly.cookieHeader()).toBe(before);

    // The same through a hand-written @Res() response (the response hooks commit).
    const byHand = await cookieOnly.post('/by-hand', { user: { id: 3 }, theme: 'red' });
    expectNest503(byHand, logger.takeErrors(), /set in the store of "sid"/);
    expect(await cookieOnly.cookieHeader()).toBe(before);

    // A request that needs no store at all still works.
    const cookieOnlyRead = await cookieOnly.get('/read');
    expect(cookieOnlyRead.status).toBe(200);
    expect(cookieOnlyRead.json).toEqual({
      session: { csrfToken: 'c1', theme: 'blue' },
      isNew: false,
    });
    expect(logger.takeErrors()).toEqual([]);
  });

  it('a stopped Redis through chunkedSession(): next(err) with status 503 and the code', async () => {
    plain.errors.length = 0;
    const read = await expressBrowser.get('/read');
    expect(read.status).toBe(503);
    expect(read.setCookies).toEqual([]);
    expect(plain.errors).toHaveLength(1);
    const [error] = plain.errors as SessionStoreUnavailableError[];
    expect(error).toBeInstanceOf(SessionStoreUnavailableError);
    expect(error!.status).toBe(503);
    expect(error!.code).toBe('ERR_SESSION_STORE_UNAVAILABLE');
    expect(error!.message).toMatch(
      /^Session store unavailable: get from the store of "sid" failed: .+/,
    );
    expect(error!.cause).toBeInstanceOf(Error);
    expect(read.json).toEqual({
      status: 503,
      code: 'ERR_SESSION_STORE_UNAVAILABLE',
      message: error!.message,
    });
    expect(await expressBrowser.cookieHeader()).toBe(expressCookies);

    // A failing write: the response hooks hand the error to next(err) as well.
    plain.errors.length = 0;
    const fresh = new TestBrowser(plain.url);
    const write = await fresh.post('/set', { user: { id: 4 }, theme: 'x' });
    expect(write.status).toBe(503);
    expect(write.setCookies).toEqual([]);
    expect(plain.errors).toHaveLength(1);
    expect(plain.errors[0]).toBeInstanceOf(SessionStoreUnavailableError);
    expect(plain.errors[0]).toMatchObject({ status: 503, code: 'ERR_SESSION_STORE_UNAVAILABLE' });
    expect(write.json.message).toMatch(
      /^Session store unavailable: set in the store of "sid" failed: .+/,
    );
    expect(await fresh.cookies()).toEqual(new Map());
  });

  it('Redis back on the same port: the same applications serve again, sessions intact', async () => {
    await redis.start();
    // ioredis reconnects by itself; until it has, requests keep answering 503.
    await servedAgain();
    const read = await nestBrowser.get('/read');
    expect(read.json).toEqual({
      session: { csrfToken: 't1', user: { id: 1 }, roles: ['admin'], theme: 'dark' },
      isNew: false,
    });
    expect(read.setCookies).toEqual([]);
    expect(await nestBrowser.cookieHeader()).toBe(nestCookies);

    const expressRead = await expressBrowser.get('/read');
    expect(expressRead.status).toBe(200);
    expect(expressRead.json).toEqual({
      session: { user: { id: 2 }, theme: 'light' },
      isNew: false,
    });

    const login = await cookieOnly.post('/set', { user: { id: 3 }, csrfToken: 'c2' });
    expect(login.status).toBe(201);
    expect(setCookieNames(login)).toEqual(['csrf', 'sid']);
    expect((await cookieOnly.get('/read')).json.session).toEqual({
      csrfToken: 'c2',
      user: { id: 3 },
      theme: 'blue',
    });
  });

  it('a frozen Redis (SIGSTOP) that never answers: 503 after storeTimeout, then serving again', async () => {
    const pid = Number(
      await redis.cli('info', 'server').then((s) => /process_id:(\d+)/.exec(s)![1]),
    );
    expect(redis.pid).toBe(pid); // our own child, never the machine's Redis
    process.kill(pid, 'SIGSTOP');
    try {
      const read = await nestBrowser.get('/read');
      expectNest503(
        read,
        logger.takeErrors(),
        new RegExp(
          `^Session store unavailable: get from the store of "sid" failed: no answer within ${STORE_TIMEOUT} ms \\(storeTimeout\\)$`,
        ),
      );
      expect(await nestBrowser.cookieHeader()).toBe(nestCookies);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    expect((await servedAgain()).json.session.user).toEqual({ id: 1 });
    expect(await nestBrowser.cookieHeader()).toBe(nestCookies);
  });
};

if (hasRedisServer) {
  describe('a store outage in the middle of a run (private redis-server)', outageTests);
} else {
  describeMissing(
    'a store outage in the middle of a run (private redis-server)',
    "redis-server and redis-cli are not installed (Debian's redis-server package).",
    outageTests,
  );
}

/** `text` as a pattern that matches it literally. */
function literally(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('the 503 body names no host, port or path: the detail goes to the log', () => {
  let base: string;
  let pool: pg.Pool;
  let nest: RunningApp | undefined;
  const logger = new CaptureLogger();

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'outage-leak-'));
  });
  afterAll(async () => {
    await nest?.close();
    await pool?.end();
    await rm(base, { recursive: true, force: true });
  });

  it('a refused connection (127.0.0.1:port) and an unusable folder (its path)', async () => {
    // Nothing listens on this port: PostgreSQL's client gets ECONNREFUSED with host and port.
    const port = await freePort();
    pool = new pg.Pool({ host: HOST, port, user: 'postgres', connectionTimeoutMillis: 1000 });
    pool.on('error', () => undefined);
    // A folder under a file: FileStore's error names the folder's path.
    const blocker = join(base, 'not-a-folder');
    await writeFile(blocker, 'x');
    const dir = join(blocker, 'sessions');
    const cases = [
      {
        store: new PostgresStore({ pool }),
        detail: `PostgresStore: connect ECONNREFUSED ${HOST}:${port}`,
        secret: `${HOST}:${port}`,
      },
      {
        store: new FileStore({ dir }),
        detail:
          `nestjs-chunked-session: FileStore cannot create its folder ${JSON.stringify(dir)}: ` +
          `ENOTDIR: not a directory, mkdir '${dir}'. Pass a \`dir\` this process can create and write to.`,
        secret: dir,
      },
    ];
    for (const { store, detail, secret } of cases) {
      nest = await startNestApp(outageModule(store), {
        configure: (app) => app.useLogger(logger),
      });
      const login = await new TestBrowser(nest.url).post('/set', { user: { id: 5 } });
      expectNest503(
        login,
        logger.takeErrors(),
        new RegExp(
          `^Session store unavailable: set in the store of "sid" failed: ${literally(detail)}$`,
        ),
      );
      expect(login.text).toBe(JSON.stringify(UNAVAILABLE_BODY));
      expect(login.text).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|\/tmp\/|ENOTDIR|FileStore/);
      expect(login.text).not.toContain(secret);
      await nest.close();
      nest = undefined;
    }
  });
});
