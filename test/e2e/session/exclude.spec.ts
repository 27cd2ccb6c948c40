/**
 * `exclude`: on the listed paths the session is neither loaded nor written. A private
 * redis-server of this spec's own is stopped under a running Nest application and a running
 * Express application: a health check on an excluded path still answers 200 (no cookie read,
 * no store call, no Set-Cookie, `@Session()` undefined) while the other paths answer 503.
 */
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Get, Module, Req } from '@nestjs/common';
import express from 'express';
import type { Redis } from 'ioredis';

import {
  ChunkedSessionModule,
  chunkedSession,
  RedisStore,
  Session,
  SessionHandle,
  type ChunkedSessionOptions,
  type SessionStore,
} from '../../../src/index.js';
import { TestBrowser } from '../../support/browser.js';
import { startNestApp, type RunningApp } from '../../support/nest-app.js';
import { describeMissing } from '../../support/require-server.js';
import { UNAVAILABLE_BODY } from '../partitions/outage-fixture.js';
import {
  CaptureLogger,
  connectRedis,
  CountingStore,
  FieldsController,
  HOST,
  PrivateRedis,
  randomId,
  SECRET,
  setCookieNames,
} from '../partitions/support.js';

const EXCLUDE = ['/health', '/assets/{*rest}'];

function excludeOptions(store: SessionStore): ChunkedSessionOptions {
  return {
    secret: SECRET,
    storeTimeout: 300,
    // A new session sets its cookies on its first response: a path that is not excluded
    // answers with Set-Cookie even when nothing was written to it.
    saveUninitialized: true,
    exclude: EXCLUDE,
    sessions: [
      { cookieName: 'sid', fields: ['user'], store },
      { cookieName: 'session', fields: 'auto' },
    ],
  };
}

/** What an excluded route sees of the session. */
@Controller()
class HealthController {
  @Get('health')
  health(
    @Session() session: unknown,
    @SessionHandle() handle: unknown,
    @Req() req: { session?: unknown },
  ) {
    return {
      ok: true,
      session: session === undefined ? 'undefined' : session,
      handle: handle === undefined ? 'undefined' : 'present',
      hasOwnSession: Object.prototype.hasOwnProperty.call(req, 'session'),
    };
  }

  @Get('assets/:file')
  asset(@Session() session: unknown) {
    return { asset: true, session: session === undefined ? 'undefined' : session };
  }
}

const EXCLUDED_ANSWER = {
  ok: true,
  session: 'undefined',
  handle: 'undefined',
  hasOwnSession: false,
};

async function startExpress(store: SessionStore): Promise<{ url: string; close(): Promise<void> }> {
  const app = express();
  app.use(express.json());
  app.use(chunkedSession(excludeOptions(store)));
  app.get('/health', (req, res) => {
    res.json({
      ok: true,
      session: req.session === undefined ? 'undefined' : req.session,
      handle: req.sessionHandle === undefined ? 'undefined' : 'present',
      hasOwnSession: Object.prototype.hasOwnProperty.call(req, 'session'),
    });
  });
  app.get('/read', (req, res) => res.json({ session: req.session }));
  app.post('/set', (req, res) => {
    Object.assign(req.session, req.body);
    res.status(201).json({ ok: true });
  });
  app.use(
    (
      err: { status?: number; code?: string },
      _req: express.Request,
      res: express.Response,
      _next: express.NextFunction,
    ) => {
      res.status(err.status ?? 500).json({ code: err.code });
    },
  );
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${HOST}:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const hasRedisServer = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;

const excludeTests = () => {
  let redis: PrivateRedis;
  let client: Redis;
  let store: CountingStore;
  let nest: RunningApp;
  let plain: { url: string; close(): Promise<void> };
  const logger = new CaptureLogger();
  let nestBrowser: TestBrowser;
  let expressBrowser: TestBrowser;

  beforeAll(async () => {
    redis = await PrivateRedis.create();
    client = await connectRedis(redis.port);
    store = new CountingStore(new RedisStore({ client, prefix: `exclude:${randomId()}:` }));
    @Module({
      imports: [ChunkedSessionModule.forRoot(excludeOptions(store))],
      controllers: [HealthController, FieldsController],
    })
    class ExcludeModule {}
    nest = await startNestApp(ExcludeModule, {
      // Written against Express's request and Nest's Express error path; Fastify's exclude and
      // logger are tested in fastify-platform.spec.ts.
      platform: 'express',
      configure: (app) => app.useLogger(logger),
    });
    plain = await startExpress(store);
    nestBrowser = new TestBrowser(nest.url);
    expressBrowser = new TestBrowser(plain.url);
  });

  afterAll(async () => {
    await nest?.close();
    await plain?.close();
    client?.disconnect();
    await redis?.dispose();
  });

  it('while Redis is up: signed in on both; an excluded path reads no cookie and calls no store', async () => {
    expect((await nestBrowser.post('/set', { user: { id: 1 }, theme: 'dark' })).status).toBe(201);
    expect((await expressBrowser.post('/set', { user: { id: 2 } })).status).toBe(201);
    expect(store.methods()).toEqual(['set', 'set']);
    store.take();

    const health = await nestBrowser.get('/health');
    expect(health.status).toBe(200);
    expect(health.json).toEqual(EXCLUDED_ANSWER);
    expect(health.setCookies).toEqual([]);
    // A path that is not excluded reads the record.
    const read = await nestBrowser.get('/read');
    expect(read.status).toBe(200);
    expect(store.methods()).toEqual(['get']);
    store.take();
  });

  it('a stopped Redis: the excluded health check answers 200 on Nest, other paths 503', async () => {
    await redis.stop();
    try {
      const health = await nestBrowser.get('/health');
      expect(health.status).toBe(200);
      expect(health.json).toEqual(EXCLUDED_ANSWER);
      expect(health.setCookies).toEqual([]);

      const asset = await nestBrowser.get('/assets/app.js?v=3');
      expect(asset.status).toBe(200);
      expect(asset.json).toEqual({ asset: true, session: 'undefined' });
      expect(asset.setCookies).toEqual([]);

      // The same browser on a path that is not excluded: the record cannot be read.
      const read = await nestBrowser.get('/read');
      expect(read.status).toBe(503);
      expect(read.json).toEqual(UNAVAILABLE_BODY);
      expect(read.setCookies).toEqual([]);

      // Excluded paths made no store call; only /read did.
      expect(store.methods()).toEqual(['get']);
      store.take();
      expect(logger.takeErrors()).toEqual([
        {
          message: expect.stringMatching(/^Session store unavailable: get from the store of "sid"/),
          context: 'ChunkedSession',
        },
      ]);
    } finally {
      await redis.start();
    }
  });

  it('a stopped Redis: the excluded health check answers 200 on Express, other paths 503', async () => {
    await redis.stop();
    try {
      const health = await expressBrowser.get('/health');
      expect(health.status).toBe(200);
      expect(health.json).toEqual(EXCLUDED_ANSWER);
      expect(health.setCookies).toEqual([]);

      const read = await expressBrowser.get('/read');
      expect(read.status).toBe(503);
      expect(read.json).toEqual({ code: 'ERR_SESSION_STORE_UNAVAILABLE' });
      expect(store.methods()).toEqual(['get']);
      store.take();
    } finally {
      await redis.start();
    }
  });

  it('a new visitor: excluded paths set no cookie, others do (saveUninitialized)', async () => {
    const visitor = new TestBrowser(nest.url);
    const health = await visitor.get('/health/');
    expect(health.status).toBe(200);
    expect(health.setCookies).toEqual([]);
    expect(await visitor.cookieHeader()).toBe('');
    const read = await visitor.get('/read');
    expect(read.status).toBe(200);
    expect(setCookieNames(read)).toEqual(['session']);
  });
};

if (hasRedisServer) {
  describe('exclude: no session on the excluded paths (private redis-server)', excludeTests);
} else {
  describeMissing(
    'exclude: no session on the excluded paths (private redis-server)',
    "redis-server is not installed (Debian's redis-server package).",
    excludeTests,
  );
}
