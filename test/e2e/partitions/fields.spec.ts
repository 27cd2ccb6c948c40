/**
 * How partitions divide the fields, end to end: `{ include }` and `{ exclude }`, a field the
 * catch-all excludes and no one claims (not kept, one warning), and the partition sets that
 * stop start-up — in a Nest application and in the Express middleware.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';

import {
  ChunkedSessionModule,
  ChunkedSessionOptionsError,
  chunkedSession,
  MemoryStore,
  type ChunkedSessionOptions,
  type SessionPartition,
} from '../../../src/index.js';
import { TestBrowser } from '../../support/browser.js';
import { startNestApp, type RunningApp } from '../../support/nest-app.js';
import {
  CaptureLogger,
  CountingStore,
  FieldsController,
  SECRET,
  setCookieNames,
} from './support.js';

describe('{ include } and { exclude }', () => {
  let running: RunningApp;
  const logger = new CaptureLogger();
  const store = new CountingStore(new MemoryStore());

  @Module({
    imports: [
      ChunkedSessionModule.forRoot({
        secret: SECRET,
        sessions: [
          { cookieName: 'auth', fields: { include: ['user'] }, store },
          { cookieName: 'session', fields: { exclude: ['password', 'user'] } },
        ],
      }),
    ],
    controllers: [FieldsController],
  })
  class ExcludeModule {}

  beforeAll(async () => {
    running = await startNestApp(ExcludeModule, { configure: (app) => app.useLogger(logger) });
  });
  afterAll(() => running?.close());

  const warning =
    'the session field "password" is excluded from "session" and claimed by no other partition: it is not kept';

  it('keeps a field the catch-all excludes only where another partition claims it; warns once about the rest', async () => {
    const browser = new TestBrowser(running.url);
    const first = await browser.post('/set', { user: 'ann', password: 'hunter2', theme: 'dark' });
    expect(first.status).toBe(201);
    expect(setCookieNames(first)).toEqual(['auth', 'session']);
    const [set] = store.take();
    expect(set).toMatch(/^set:/);
    const id = set!.slice('set:'.length);
    // `user` is excluded from the catch-all, but `auth` claims it: it is kept there.
    expect(await store.inner.get(id)).toEqual({ user: 'ann' });
    expect(logger.warnings.filter((w) => w === warning)).toHaveLength(1);

    const read = await browser.get('/read');
    expect(read.json).toEqual({ session: { user: 'ann', theme: 'dark' }, isNew: false });
    expect(read.setCookies).toEqual([]);

    // Setting it again changes no partition, and the warning is not repeated.
    const again = await browser.post('/set', { password: 'hunter3' });
    expect(again.status).toBe(201);
    expect(again.setCookies).toEqual([]);
    expect(store.take()).toEqual([`get:${id}`, `get:${id}`]);
    const other = new TestBrowser(running.url);
    await other.post('/set', { password: 'x', theme: 'light' });
    expect((await other.get('/read')).json.session).toEqual({ theme: 'light' });
    expect(logger.warnings.filter((w) => w.includes('"password"'))).toEqual([warning]);
  });
});

describe('partition sets that stop start-up', () => {
  const base = (sessions: SessionPartition[]): ChunkedSessionOptions => ({
    secret: SECRET,
    sessions,
  });
  const cases: [string, SessionPartition[], string, string][] = [
    [
      'two partitions claiming one field',
      [
        { cookieName: 'a', fields: ['user', 'roles'] },
        { cookieName: 'b', fields: { include: ['cart', 'user'] } },
        { cookieName: 'session', fields: 'auto' },
      ],
      'sessions',
      'claims the field "user" twice (a and b). Give each field to one partition only.',
    ],
    [
      "two 'auto' partitions",
      [
        { cookieName: 'a', fields: 'auto' },
        { cookieName: 'b', fields: 'auto' },
      ],
      'sessions',
      "has 2 catch-all partitions (a, b). Give exactly one partition `fields: 'auto'` or `fields: { exclude: [...] }`.",
    ],
    [
      "'auto' and { exclude } together",
      [
        { cookieName: 'a', fields: { exclude: ['x'] } },
        { cookieName: 'b' }, // fields default to 'auto'
      ],
      'sessions',
      "has 2 catch-all partitions (a, b). Give exactly one partition `fields: 'auto'` or `fields: { exclude: [...] }`.",
    ],
    [
      'no catch-all',
      [{ cookieName: 'a', fields: ['user'] }],
      'sessions',
      "has no partition for the fields no other partition claims. Give exactly one partition `fields: 'auto'` or `fields: { exclude: [...] }`.",
    ],
  ];

  it.each(cases)(
    '%s: the Nest application does not start',
    async (_title, sessions, option, text) => {
      @Module({ imports: [ChunkedSessionModule.forRoot(base(sessions))] })
      class BadModule {}
      const created = NestFactory.create(BadModule, new ExpressAdapter(), {
        logger: false,
        abortOnError: false,
      });
      await expect(created).rejects.toThrow(ChunkedSessionOptionsError);
      await expect(created).rejects.toMatchObject({
        code: 'ERR_SESSION_OPTIONS',
        option,
        message: `nestjs-chunked-session: option \`${option}\` ${text}`,
      });
    },
  );

  it.each(cases)('%s: chunkedSession() throws', (_title, sessions, option, text) => {
    let thrown: unknown;
    try {
      chunkedSession(base(sessions));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ChunkedSessionOptionsError);
    expect(thrown).toMatchObject({
      code: 'ERR_SESSION_OPTIONS',
      option,
      message: `nestjs-chunked-session: option \`${option}\` ${text}`,
    });
  });
});
