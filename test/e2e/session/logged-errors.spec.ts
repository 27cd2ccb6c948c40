/**
 * Errors are not hidden. When the handler throws and writing the session then fails (a store
 * outage: a private redis-server of this spec's own, stopped), the client gets the 503 and the
 * handler's own error is logged, with its stack. The `logger` option takes the library's
 * warnings and errors in the Nest module (instead of Nest's Logger) and in the Express
 * middleware (instead of the console).
 */
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Controller, ForbiddenException, Module, Post } from '@nestjs/common';
import express from 'express';
import type { Redis } from 'ioredis';

import {
  ChunkedSessionModule,
  chunkedSession,
  RedisStore,
  Session,
  type ChunkedSessionOptions,
} from '../../../src/index.js';
import { TestBrowser } from '../../support/browser.js';
import { startNestApp, type RunningApp } from '../../support/nest-app.js';
import { describeMissing } from '../../support/require-server.js';
import { UNAVAILABLE_BODY } from '../partitions/outage-fixture.js';
import {
  CaptureLogger,
  connectRedis,
  HOST,
  PrivateRedis,
  randomId,
  SECRET,
} from '../partitions/support.js';

/** A logger of the `logger` option's shape that keeps every line. */
class LineLogger {
  readonly lines: string[] = [];
  warn(message: string): void {
    this.lines.push(`warn: ${message}`);
  }
  error(message: string): void {
    this.lines.push(`error: ${message}`);
  }
}

@Controller()
class ThrowingController {
  /** Writes to the store partition, then fails: the commit needs Redis. */
  @Post('boom')
  boom(@Session() session: Record<string, unknown>) {
    session.user = { id: 1 };
    throw new Error('handler boom');
  }

  @Post('forbidden')
  forbidden(@Session() session: Record<string, unknown>) {
    session.user = { id: 2 };
    throw new ForbiddenException('no entry');
  }
}

const STORE_FAILURE = /^Session store unavailable: set in the store of "sid" failed: /;
const REPLACED = "the handler's response is replaced by the failure to write the session: ";

const hasRedisServer = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;

const loggedErrorTests = () => {
  let redis: PrivateRedis;
  let client: Redis;
  let options: ChunkedSessionOptions;

  beforeAll(async () => {
    redis = await PrivateRedis.create();
    client = await connectRedis(redis.port);
    options = {
      secret: SECRET,
      storeTimeout: 300,
      sessions: [
        {
          cookieName: 'sid',
          fields: ['user'],
          store: new RedisStore({ client, prefix: `logged:${randomId()}:` }),
        },
        { cookieName: 'session', fields: 'auto' },
      ],
    };
    await redis.stop();
  });

  afterAll(async () => {
    client?.disconnect();
    await redis?.dispose();
  });

  describe('Nest, without a logger option (Nest Logger, context ChunkedSession)', () => {
    let nest: RunningApp;
    const logger = new CaptureLogger();

    beforeAll(async () => {
      @Module({
        imports: [ChunkedSessionModule.forRoot(options)],
        controllers: [ThrowingController],
      })
      class ThrowingModule {}
      nest = await startNestApp(ThrowingModule, {
        // Written against Express's request and Nest's Express error path; Fastify's exclude and
        // logger are tested in fastify-platform.spec.ts.
        platform: 'express',
        configure: (app) => app.useLogger(logger),
      });
    });
    afterAll(() => nest?.close());

    it('a handler that throws, then a failing commit: 503, the replaced 500 logged, and Nest logs the error', async () => {
      const res = await new TestBrowser(nest.url).post('/boom');
      expect(res.status).toBe(503);
      expect(res.json).toEqual(UNAVAILABLE_BODY);
      expect(res.setCookies).toEqual([]);
      const errors = logger.takeErrors();
      const ours = errors.filter((l) => l.context === 'ChunkedSession');
      expect(ours).toEqual([
        { message: expect.stringMatching(STORE_FAILURE), context: 'ChunkedSession' },
        {
          message: `${REPLACED}500 {"statusCode":500,"message":"Internal server error"}`,
          context: 'ChunkedSession',
        },
      ]);
      // Nest's own filter logs an Error it answers with 500 (context ExceptionsHandler).
      const nests = errors.filter((l) => l.context !== 'ChunkedSession');
      expect(nests.map((l) => l.message)).toEqual(['Error: handler boom']);
    });

    it('an HttpException replaced by the 503 is logged too, with its status and body', async () => {
      const res = await new TestBrowser(nest.url).post('/forbidden');
      expect(res.status).toBe(503);
      // An HttpException is not logged by Nest's filter: without this line it would vanish.
      const logged = logger.takeErrors();
      expect(logged).toEqual([
        { message: expect.stringMatching(STORE_FAILURE), context: 'ChunkedSession' },
        {
          message: `${REPLACED}403 {"message":"no entry","error":"Forbidden","statusCode":403}`,
          context: 'ChunkedSession',
        },
      ]);
    });
  });

  describe('Nest, with a logger option', () => {
    let nest: RunningApp;
    const nestLogger = new CaptureLogger();
    const mine = new LineLogger();

    beforeAll(async () => {
      @Module({
        imports: [ChunkedSessionModule.forRoot({ ...options, logger: mine })],
        controllers: [ThrowingController],
      })
      class OwnLoggerModule {}
      nest = await startNestApp(OwnLoggerModule, {
        // Written against Express's request and Nest's Express error path; Fastify's exclude and
        // logger are tested in fastify-platform.spec.ts.
        platform: 'express',
        configure: (app) => app.useLogger(nestLogger),
      });
    });
    afterAll(() => nest?.close());

    it('the store failure and the replaced error go to the given logger, not to Nest', async () => {
      const res = await new TestBrowser(nest.url).post('/boom');
      expect(res.status).toBe(503);
      expect(mine.lines).toEqual([
        expect.stringMatching(
          /^error: Session store unavailable: set in the store of "sid" failed: /,
        ),
        `error: ${REPLACED}500 {"statusCode":500,"message":"Internal server error"}`,
      ]);
      expect(nestLogger.of('ChunkedSession')).toEqual([]);
    });
  });

  describe('Express', () => {
    let server: Server;
    let url: string;
    const mine = new LineLogger();

    beforeAll(async () => {
      const app = express();
      app.use(
        chunkedSession({
          secret: SECRET,
          // `draft` is left out by the catch-all and claimed by nobody: a warning, once.
          sessions: [{ cookieName: 'session', fields: { exclude: ['draft'] } }],
          logger: mine,
        }),
      );
      app.get('/draft', (req, res) => {
        req.session.draft = 'unsaved';
        res.json({ ok: true });
      });
      server = createServer(app);
      await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
      url = `http://${HOST}:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    afterEach(() => {
      jest.restoreAllMocks();
    });

    it('the logger option gets the warnings, and the console nothing', async () => {
      const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
      const error = jest.spyOn(console, 'error').mockImplementation(() => undefined);
      const res = await new TestBrowser(url).get('/draft');
      expect(res.status).toBe(200);
      expect(mine.lines).toHaveLength(1);
      expect(mine.lines[0]).toMatch(/^warn: .*"draft"/);
      expect(warn).not.toHaveBeenCalled();
      expect(error).not.toHaveBeenCalled();
    });
  });
};

if (hasRedisServer) {
  describe('errors are not hidden (private redis-server)', loggedErrorTests);
} else {
  describeMissing(
    'errors are not hidden (private redis-server)',
    "redis-server is not installed (Debian's redis-server package).",
    loggedErrorTests,
  );
}
