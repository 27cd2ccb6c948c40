/**
 * Stores that go away in the middle of a load run, then come back (issue 7, "Concurrency and
 * faults"). Each scenario runs virtual users (real HTTP, tough-cookie jars) against one running
 * Nest application while the test stops the store under it, then brings it back:
 *
 * - every request gets an answer: 201, or 503 `ERR_SESSION_STORE_UNAVAILABLE` while the store is
 *   away — never a 500, never a dropped connection ("requests lost", the target is none);
 * - a 503's body is generic (it names no host, port or path); the detail (which call, the store's
 *   error) is logged once per refused request, through Nest's Logger;
 * - a 503 changes no cookie; no 503 before the fault; none for a user once it has been served
 *   again after the store came back (no restart of the application);
 * - the counter each user increments stays consistent: it only moves by the requests that were
 *   answered, plus at most the 503s since (a write the store applied while the request failed).
 *
 * Servers are the test's own (support.ts): a private redis-server (stopped with SHUTDOWN SAVE and
 * restarted; frozen with SIGSTOP), a private memcached (killed with SIGKILL and restarted: its data
 * is gone), and a TCP proxy in front of the machine's PostgreSQL (closed, every connection cut, and
 * reopened), and a Firestore API server (@firestore-emulator/server in a child process on
 * loopback: stopped, every connection cut, and started again on the same port; frozen with
 * SIGSTOP). A FileStore folder that cannot be written gives a 503 too, its log line naming the
 * folder and the fix.
 *
 * Latencies are measured and printed (no timed assertion: the machine is shared).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Module, Post } from '@nestjs/common';
import { Redis } from 'ioredis';
import memjs from 'memjs';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import {
  ChunkedSessionModule,
  FileStore,
  FirestoreStore,
  MemcachedStore,
  PostgresStore,
  RedisStore,
  Session,
  type SessionStore,
} from '../../src/index.js';
import { TestBrowser, type BrowserResponse } from '../support/browser.js';
import { startNestApp, type RunningApp } from '../support/nest-app.js';
import { describeWithServer } from '../support/require-server.js';
import { CaptureLogger, SECRET, cookiePairs } from '../security/harness.js';
import {
  HOST,
  PostgresProxy,
  PrivateMemcached,
  PrivateRedis,
  sleep,
  until,
} from '../support/private-servers.js';
import { PrivateFirestore } from '../support/private-firestore.js';

const STORE_TIMEOUT = 300;
const USERS = 6;
const PACE_MS = 10;
/** The body of every 503 (the detail is only in the log). */
const UNAVAILABLE_BODY = {
  statusCode: 503,
  error: 'Service Unavailable',
  message: 'Session store unavailable',
  code: 'ERR_SESSION_STORE_UNAVAILABLE',
};
/** A store failure's detail, as logged. */
const UNAVAILABLE =
  /^Session store unavailable: (get from|set in|touch in) the store of "sid" failed: .+$/;
/** What the capturing logger keeps of an error line of Nest's Logger: message, no stack, context. */
const LOGGED = / undefined ChunkedSession$/;

/** The details of the store failures logged (each line checked for level and context). */
function loggedDetails(logger: CaptureLogger): string[] {
  for (const line of logger.errorLines) expect(line).toMatch(LOGGED);
  return logger.errorLines.map((line) => line.replace(LOGGED, ''));
}

@Controller()
class CounterController {
  @Post('inc')
  inc(@Session() session: Record<string, unknown>) {
    session.counter = ((session.counter as number | undefined) ?? 0) + 1;
    session.csrf ??= `csrf-${Math.random().toString(36).slice(2)}`;
    return { counter: session.counter };
  }
}

async function startApp(
  store: SessionStore,
  logger: CaptureLogger,
  storeTimeout = STORE_TIMEOUT,
): Promise<RunningApp> {
  @Module({
    imports: [
      ChunkedSessionModule.forRoot({
        secret: SECRET,
        storeTimeout,
        sessions: [
          { cookieName: 'csrf', fields: ['csrf'] },
          { cookieName: 'sid', fields: 'auto', store },
        ],
      }),
    ],
    controllers: [CounterController],
  })
  class FaultModule {}
  return startNestApp(FaultModule, { configure: (app) => app.useLogger(logger) });
}

type Phase = 'up' | 'down' | 'back';

interface Outcome {
  user: number;
  phase: Phase;
  /** performance.now() when sent and when answered. */
  start: number;
  end: number;
  status: number | 'no answer';
  ms: number;
  response?: BrowserResponse;
  error?: string;
}

/** Totals over every scenario, printed at the end for SECURITY.md. */
const totals = { requests: 0, faults: 0, lost: 0, served: 0, unavailable: 0 };

/**
 * Virtual users incrementing their counters until `stop()`. `phase` is stamped on each outcome as
 * the request is sent.
 */
function startLoad(url: string) {
  let phase: Phase = 'up';
  let stopping = false;
  const outcomes: Outcome[] = [];
  const browsers = Array.from({ length: USERS }, () => new TestBrowser(url));
  const loops = browsers.map(async (browser, user) => {
    while (!stopping) {
      const at = phase;
      const started = performance.now();
      try {
        const response = await browser.post('/inc');
        const end = performance.now();
        outcomes.push({
          user,
          phase: at,
          status: response.status,
          ms: end - started,
          start: started,
          end,
          response,
        });
      } catch (error) {
        const end = performance.now();
        outcomes.push({
          user,
          phase: at,
          status: 'no answer',
          ms: end - started,
          start: started,
          end,
          error: String(error),
        });
      }
      await sleep(PACE_MS);
    }
  });
  const served = (user: number, since: Phase[]) =>
    outcomes.filter((o) => o.user === user && since.includes(o.phase) && o.status === 201).length;
  return {
    outcomes,
    setPhase: (p: Phase) => {
      phase = p;
    },
    /** Waits until every user has had `count` answers of 201 sent in one of `phases`. */
    servedEach: (count: number, phases: Phase[]) =>
      until(`${count} served requests per user in ${phases.join('/')}`, () =>
        browsers.every((_, u) => served(u, phases) >= count),
      ),
    unavailableCount: () => outcomes.filter((o) => o.status === 503).length,
    stop: async () => {
      stopping = true;
      await Promise.all(loops);
    },
  };
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!);
}

/**
 * Checks a finished run; `dataLost`: the store forgot everything when it came back; `lateWrites`:
 * the client retries a refused request's write by itself, so that it may land after later ones
 * (the counter may then step back, once the fault has struck); `logger`:
 * what the application logged.
 */
function checkRun(
  name: string,
  outcomes: Outcome[],
  times: { faultAt: number; backAt: number; settleMs: number },
  dataLost: boolean,
  logger: CaptureLogger,
  lateWrites = false,
): void {
  const lost = outcomes.filter((o) => o.status !== 201 && o.status !== 503);
  totals.requests += outcomes.length;
  totals.lost += lost.length;
  totals.served += outcomes.filter((o) => o.status === 201).length;
  totals.unavailable += outcomes.filter((o) => o.status === 503).length;
  const unavailable = outcomes.filter((o) => o.status === 503);
  const served = outcomes.filter((o) => o.status === 201);
  const details = loggedDetails(logger);
  console.log(
    `${name}: ${outcomes.length} requests, ${served.length} served, ${unavailable.length} × 503, ` +
      `${lost.length} lost; 503 latency median ${percentile(
        unavailable.map((o) => o.ms),
        50,
      )} ms, ` +
      `p99 ${percentile(
        unavailable.map((o) => o.ms),
        99,
      )} ms, max ${percentile(
        unavailable.map((o) => o.ms),
        100,
      )} ms; ` +
      `served latency median ${percentile(
        served.map((o) => o.ms),
        50,
      )} ms; reasons: ` +
      JSON.stringify(reasons(details)),
  );
  expect(lost.map((o) => `${o.status} ${o.error ?? o.response?.text}`)).toEqual([]);
  expect(unavailable.length).toBeGreaterThan(0);
  // Answered before the fault: all served. (A request in flight when it struck may be refused.)
  expect(
    outcomes.filter((o) => o.end < times.faultAt && o.status !== 201).map((o) => o.status),
  ).toEqual([]);

  for (const o of unavailable) {
    expect(o.response!.setCookies).toEqual([]);
    expect(o.response!.json).toEqual(UNAVAILABLE_BODY);
  }
  // The detail of each refusal is logged, once per refused request, and nothing else is.
  expect(details).toHaveLength(unavailable.length);
  for (const detail of details) expect(detail).toMatch(UNAVAILABLE);

  let rollbacks = 0;
  for (let user = 0; user < USERS; user++) {
    const mine = outcomes.filter((o) => o.user === user);
    let expected = 0;
    let failedSince = 0;
    let faultSince = false;
    let backServed = false;
    let csrf: string | undefined;
    for (const o of mine) {
      if (o.status === 503) {
        expect(backServed).toBe(false); // once served again, the user is not refused again
        failedSince++;
        faultSince = true;
        continue;
      }
      const counter = o.response!.json.counter as number;
      const restartedEmpty = dataLost && faultSince && counter === 1;
      const rolledBack = lateWrites && faultSince && counter >= 1 && counter < expected + 1;
      if (rolledBack) rollbacks++;
      if (!restartedEmpty && !rolledBack) {
        expect(counter).toBeGreaterThanOrEqual(expected + 1);
        expect(counter).toBeLessThanOrEqual(expected + 1 + failedSince);
      }
      expected = counter;
      failedSince = 0;
      if (o.start > times.backAt + times.settleMs) backServed = true;
      for (const { name, value } of cookiePairs(o.response!.setCookies)) {
        if (name !== 'csrf') continue;
        // csrf is written once: the first response, or again when the store lost the session.
        if (csrf !== undefined) expect(restartedEmpty || value === '').toBe(true);
        csrf = value;
      }
    }
    expect(backServed).toBe(true);
  }
  if (lateWrites) console.log(`${name}: ${rollbacks} counter(s) stepped back by a late write`);
}

/** The store errors in the logged details, counted (addresses masked). */
function reasons(details: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const message of details) {
    const reason = message
      .replace(/^.*? failed: /, '')
      .replace(/\d+\.\d+\.\d+\.\d+:\d+/, 'HOST:PORT');
    out[reason] = (out[reason] ?? 0) + 1;
  }
  return out;
}

/** One fault scenario: load, fault, wait for 503s, recover, wait until everyone is served again. */
async function runScenario(
  name: string,
  store: SessionStore,
  fault: {
    inject: () => Promise<void>;
    recover: () => Promise<void>;
    dataLost?: boolean;
    /** The client retries failed writes by itself: one may land after later writes. */
    lateWrites?: boolean;
    /** How long after recovery the client may still be reconnecting (a pool's other connections). */
    settleMs?: number;
    /** The application's storeTimeout, when the store needs longer than STORE_TIMEOUT. */
    storeTimeout?: number;
  },
): Promise<void> {
  const logger = new CaptureLogger();
  const running = await startApp(store, logger, fault.storeTimeout);
  const load = startLoad(running.url);
  const times = { faultAt: Infinity, backAt: Infinity };
  try {
    await load.servedEach(10, ['up']);
    load.setPhase('down');
    times.faultAt = performance.now();
    await fault.inject();
    totals.faults++;
    const before = load.unavailableCount();
    await until(
      '503 answers while the store is away',
      () => load.unavailableCount() >= before + 30,
      600,
    );
    await fault.recover();
    times.backAt = performance.now();
    load.setPhase('back');
    await load.servedEach(10, ['back']);
    if (fault.settleMs) {
      // Past the settling time, every user must be served again, and never refused after.
      const settled = times.backAt + fault.settleMs;
      await until('the settling time to pass', () => performance.now() > settled);
      await until('a request served per user after the settling time', () =>
        Array.from({ length: USERS }, (_, user) => user).every((user) =>
          load.outcomes.some((o) => o.user === user && o.status === 201 && o.start > settled),
        ),
      );
    }
  } finally {
    await load.stop();
    await running.close();
  }
  checkRun(
    name,
    load.outcomes,
    { ...times, settleMs: fault.settleMs ?? 0 },
    fault.dataLost ?? false,
    logger,
    fault.lateWrites ?? false,
  );
}

afterAll(() => {
  console.log(`fault-injection totals: ${JSON.stringify(totals)}`);
});

describe('Redis stopped and started again under load (private redis-server)', () => {
  let redis: PrivateRedis;
  let client: Redis;

  beforeAll(async () => {
    redis = await PrivateRedis.create();
    client = new Redis({
      host: HOST,
      port: redis.port,
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
    });
    client.on('error', () => undefined);
    await client.connect();
  });

  afterAll(async () => {
    client.disconnect();
    await redis.dispose();
  });

  it('answers 503 while Redis is stopped, and serves the same sessions once it is back', async () => {
    await runScenario('redis SHUTDOWN SAVE + restart', new RedisStore({ client }), {
      inject: () => redis.stop(),
      recover: () => redis.start(),
    });
  });

  it('answers 503 after storeTimeout while Redis is frozen (SIGSTOP), and serves again after SIGCONT', async () => {
    await until('the client ready', () => client.status === 'ready');
    await runScenario('redis SIGSTOP + SIGCONT', new RedisStore({ client }), {
      inject: async () => redis.freeze(),
      recover: async () => redis.thaw(),
    });
  });
});

describe('memcached killed and started again under load (private memcached)', () => {
  let memcached: PrivateMemcached;
  let client: memjs.Client;

  beforeAll(async () => {
    memcached = await PrivateMemcached.create();
    client = memjs.Client.create(`${HOST}:${memcached.port}`, {
      logger: { log: () => undefined },
      timeout: 0.25,
      conntimeout: 0.25,
      retries: 0,
    });
  });

  afterAll(async () => {
    client.close();
    await memcached.dispose();
  });

  it('answers 503 while memcached is down, and serves again once it is back (its data is gone)', async () => {
    await runScenario('memcached SIGKILL + restart', new MemcachedStore({ client }), {
      inject: () => memcached.kill(),
      recover: () => memcached.start(),
      dataLost: true,
    });
  });
});

await describeWithServer(
  { name: 'PostgreSQL', host: HOST, port: 5432, start: 'pg_ctlcluster <version> main start' },
  'PostgreSQL going away under load (a TCP proxy the test owns in front of 127.0.0.1:5432)',
  () => {
    let proxy: PostgresProxy;
    let pool: pg.Pool;
    const table = `rel_faults_${process.pid}_${Date.now().toString(36)}`;

    beforeAll(async () => {
      proxy = await PostgresProxy.create();
      pool = new pg.Pool({
        host: HOST,
        port: proxy.port,
        user: 'postgres',
        database: 'test',
        max: 5,
        connectionTimeoutMillis: 1000,
      });
      pool.on('error', () => undefined);
    });

    afterAll(async () => {
      await proxy.open().catch(() => undefined);
      await pool.query(`DROP TABLE IF EXISTS "${table}"`).catch(() => undefined);
      await pool.end();
      await proxy.close();
    });

    it('answers 503 while the connection to PostgreSQL is cut, and serves again once it is back', async () => {
      await runScenario('postgres proxy closed + reopened', new PostgresStore({ pool, table }), {
        inject: () => proxy.close(),
        recover: () => proxy.open(),
        // The pool re-opens its connections one by one after the proxy is back: on a busy machine
        // one may still be connecting when its query's storeTimeout (300 ms) runs out.
        settleMs: 2000,
      });
    });
  },
);

/**
 * The emulator is a JavaScript server sharing this machine's cores with the test: a healthy
 * get or set took up to a few hundred milliseconds under the load of six users (over a second
 * with other suites running beside it), far more than the
 * 300 ms the other stores are given.
 */
const FIRESTORE_STORE_TIMEOUT = 3000;

describe('Firestore going away under load (a private @firestore-emulator/server)', () => {
  let emulator: PrivateFirestore;

  beforeAll(async () => {
    emulator = await PrivateFirestore.create();
  });

  afterAll(async () => {
    await emulator.dispose();
  });

  it('answers 503 while the Firestore server is stopped, and serves the same sessions once it is back', async () => {
    const store = new FirestoreStore({ firestore: emulator.client(), collection: 'stopped' });
    await runScenario('firestore stopped + started', store, {
      inject: () => emulator.stop(),
      recover: () => emulator.start(),
      // The client's channel reconnects after its back-off (1 s, growing 1.6 times per failure).
      settleMs: 3000,
      // The Google client retries a Commit that failed with UNAVAILABLE by itself, with growing
      // back-off, for up to 10 minutes (its service config): a write of a request already
      // refused can land after the writes of later requests and put an older record back.
      lateWrites: true,
      storeTimeout: FIRESTORE_STORE_TIMEOUT,
    });
  }, 120_000);

  it('answers 503 after storeTimeout while the Firestore server is frozen (SIGSTOP), and serves again after SIGCONT', async () => {
    const store = new FirestoreStore({ firestore: emulator.client(), collection: 'frozen' });
    await runScenario('firestore SIGSTOP + SIGCONT', store, {
      inject: async () => emulator.freeze(),
      recover: async () => emulator.thaw(),
      storeTimeout: FIRESTORE_STORE_TIMEOUT,
    });
  }, 120_000);
});

describe('a FileStore folder that cannot be written', () => {
  let base: string;

  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), 'rel-filestore-'));
  });
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  async function firstWrite(dir: string) {
    const logger = new CaptureLogger();
    const running = await startApp(new FileStore({ dir }), logger);
    const browser = new TestBrowser(running.url);
    return { running, browser, logger };
  }

  /** A 503 with the generic body and no cookie; the one line logged for it, without its context. */
  function refusedDetail(refused: BrowserResponse, logger: CaptureLogger): string {
    expect(refused.status).toBe(503);
    expect(refused.setCookies).toEqual([]);
    expect(refused.json).toEqual(UNAVAILABLE_BODY);
    const details = loggedDetails(logger);
    expect(details).toHaveLength(1);
    logger.clear();
    return details[0]!;
  }

  it('a folder under a file: 503 naming the folder and the fix, no cookie; served once fixed, without a restart', async () => {
    const blocker = join(base, 'not-a-folder');
    writeFileSync(blocker, 'x');
    const dir = join(blocker, 'sessions');
    const { running, browser, logger } = await firstWrite(dir);
    try {
      const refused = await browser.post('/inc');
      totals.requests++;
      totals.faults++;
      totals.unavailable++;
      expect(refusedDetail(refused, logger)).toBe(
        'Session store unavailable: set in the store of "sid" failed: nestjs-chunked-session: ' +
          `FileStore cannot create its folder ${JSON.stringify(dir)}: ENOTDIR: not a directory, mkdir '${dir}'. ` +
          'Pass a `dir` this process can create and write to.',
      );
      // The log names the folder; the body names no path, host or port.
      expect(refused.text).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|\/tmp\/|ENOTDIR/);
      expect(refused.text).not.toContain(base);
      rmSync(blocker);
      mkdirSync(blocker, { mode: 0o700 });
      const served = await browser.post('/inc');
      totals.requests++;
      totals.served++;
      expect(served.status).toBe(201);
      expect(served.json).toEqual({ counter: 1 });
      expect(logger.errors).toEqual([]);
    } finally {
      await running.close();
    }
  });

  it('a folder others may write to: 503 that says so and how to fix it', async () => {
    const dir = join(base, 'open-folder');
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    const { running, browser, logger } = await firstWrite(dir);
    try {
      const refused = await browser.post('/inc');
      totals.requests++;
      totals.faults++;
      totals.unavailable++;
      expect(refusedDetail(refused, logger)).toBe(
        'Session store unavailable: set in the store of "sid" failed: nestjs-chunked-session: ' +
          `FileStore refuses its folder ${JSON.stringify(dir)}: group or others may write to it (mode 0o777); ` +
          'run chmod 700 on it or choose another dir. Pass a `dir` this process can create and write to.',
      );
      chmodSync(dir, 0o700);
      const served = await browser.post('/inc');
      totals.requests++;
      totals.served++;
      expect(served.status).toBe(201);
      expect(logger.errors).toEqual([]);
    } finally {
      await running.close();
    }
  });

  // Permission bits do not stop root; an immutable folder (chattr +i: ext2/3/4, XFS, Btrfs) does,
  // with EPERM. Another user gets a folder of mode 0o500 and EACCES.
  it('a folder that cannot be written to: 503, the log naming the folder and the error', async () => {
    const dir = join(base, 'read-only');
    mkdirSync(dir, { mode: 0o700 });
    const asRoot = process.getuid?.() === 0;
    const lock = () => {
      if (!asRoot) return chmodSync(dir, 0o500);
      try {
        execFileSync('chattr', ['+i', dir], { stdio: 'pipe' });
      } catch (error) {
        throw new Error(
          `running as root, this test makes its folder immutable with chattr +i (e2fsprogs), ` +
            `which failed on ${dir} (the file system or the capability CAP_LINUX_IMMUTABLE ` +
            `is missing): ${String((error as { stderr?: unknown }).stderr ?? error)}`,
          { cause: error },
        );
      }
    };
    const unlock = () =>
      asRoot ? execFileSync('chattr', ['-i', dir], { stdio: 'pipe' }) : chmodSync(dir, 0o700);
    const { running, browser, logger } = await firstWrite(dir);
    let locked = false;
    try {
      lock();
      locked = true;
      const refused = await browser.post('/inc');
      totals.requests++;
      totals.faults++;
      totals.unavailable++;
      expect(refusedDetail(refused, logger)).toMatch(
        new RegExp(
          '^Session store unavailable: set in the store of "sid" failed: nestjs-chunked-session: ' +
            `FileStore cannot write to its folder ${JSON.stringify(dir).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ` +
            `${asRoot ? 'EPERM: operation not permitted' : 'EACCES: permission denied'}, open '`,
        ),
      );
      unlock();
      locked = false;
      const served = await browser.post('/inc');
      totals.requests++;
      totals.served++;
      expect(served.status).toBe(201);
      expect(served.json).toEqual({ counter: 1 });
      expect(logger.errors).toEqual([]);
    } finally {
      if (locked) unlock();
      await running.close();
    }
  });
});
