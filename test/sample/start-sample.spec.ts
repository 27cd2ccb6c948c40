/**
 * `npm start` on this checkout: scripts/start-sample.mjs compiles the sample with the installed
 * TypeScript and runs it; and the sample keeps its store partition in Redis when REDIS_URL is set.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { startSample, type RunningSample } from '../../sample/bootstrap.js';
import { TestBrowser } from '../support/browser.js';
import { describeWithServer } from '../support/require-server.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LISTENING = /^Sample shop listening on (http:\/\/127\.0\.0\.1:[0-9]+)$/m;

/** The child's output so far, and a promise of the address it prints (or of its early exit). */
function watch(child: ChildProcessWithoutNullStreams) {
  let stdout = '';
  let stderr = '';
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const url = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      const match = LISTENING.exec(stdout);
      if (match && stdout.endsWith('Ctrl+C to stop\n')) resolve(match[1]!);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    void exited.then((code) =>
      reject(new Error(`the sample exited (${code}) before listening:\n${stdout}\n${stderr}`)),
    );
  });
  return { url, exited, output: () => ({ stdout, stderr }) };
}

describe('npm start (scripts/start-sample.mjs)', () => {
  let child: ChildProcessWithoutNullStreams | undefined;
  let sessionDir: string;

  beforeAll(() => {
    sessionDir = mkdtempSync(join(tmpdir(), 'chunked-session-start-'));
  });
  afterEach(() => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    child = undefined;
  });
  afterAll(() => rmSync(sessionDir, { recursive: true, force: true }));

  it('compiles the sample, prints its address, serves the page and stops on SIGTERM', async () => {
    child = spawn(process.execPath, ['scripts/start-sample.mjs'], {
      cwd: ROOT,
      env: {
        ...process.env,
        PORT: '0',
        HOST: '',
        SESSION_SECRET: '',
        REDIS_URL: '',
        SESSION_DIR: sessionDir,
      },
    });
    const run = watch(child);
    const url = await run.url;
    expect(run.output().stdout.split('\n')).toEqual([
      'Compiling the sample (sample/ → dist-sample/) …',
      `Sample shop listening on ${url}`,
      `  sessions: sealed cookies; user and roles in FileStore in ${sessionDir}`,
      '  secret: made up at start-up (set SESSION_SECRET to keep sessions across restarts)',
      '  Ctrl+C to stop',
      '',
    ]);

    const browser = new TestBrowser(url);
    const home = await browser.get('/');
    expect(home.status).toBe(200);
    expect(home.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(home.text).toContain('<title>Sample shop — nestjs-chunked-session</title>');
    expect(home.text).toContain(`FileStore in ${sessionDir}`);
    expect(home.setCookies).toEqual([]);

    const login = await browser.post('/login', { name: 'bob' });
    expect(login.status).toBe(303);
    expect(login.headers.get('location')).toBe('/');
    expect([...(await browser.cookies()).keys()]).toEqual(['sid']);
    expect((await browser.get('/')).text).toContain('<span data-test="user">bob</span>');

    child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
  }, 120_000);

  it('PLATFORM=fastify npm start: the same shop on FastifyAdapter', async () => {
    child = spawn(process.execPath, ['scripts/start-sample.mjs'], {
      cwd: ROOT,
      env: {
        ...process.env,
        PORT: '0',
        HOST: '',
        SESSION_SECRET: 'a-start-sample-fastify-secret-0123456789',
        REDIS_URL: '',
        SESSION_DIR: sessionDir,
        PLATFORM: 'fastify',
      },
    });
    const run = watch(child);
    const url = await run.url;
    expect(run.output().stdout.split('\n').slice(1, 4)).toEqual([
      `Sample shop listening on ${url}`,
      '  platform: NestJS on Fastify (FastifyAdapter)',
      `  sessions: sealed cookies; user and roles in FileStore in ${sessionDir}`,
    ]);
    const browser = new TestBrowser(url);
    const home = await browser.get('/');
    expect(home.status).toBe(200);
    expect(home.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const login = await browser.post('/login', { name: 'bob' });
    expect(login.status).toBe(303);
    expect([...(await browser.cookies()).keys()]).toEqual(['sid']);
    expect((await browser.get('/')).text).toContain('<span data-test="user">bob</span>');
    const guarded = await new TestBrowser(url).get('/account');
    expect(guarded.status).toBe(401);
    expect(guarded.headers.get('content-type')).toBe('text/html; charset=utf-8');
    child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
  }, 120_000);

  it('refuses a PORT that is not a port number, saying so', () => {
    // dist-sample/ was compiled by the test above.
    const result = spawnSync(process.execPath, ['dist-sample/sample/main.js'], {
      cwd: ROOT,
      env: { ...process.env, PORT: 'eighty' },
      encoding: 'utf8',
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      'Error: PORT must be a whole number from 0 to 65535 (got "eighty")',
    );
    expect(result.stdout).toBe('');
  }, 60_000);
});

const REDIS_URL = 'redis://127.0.0.1:6379';

await describeWithServer(
  { name: 'Redis', host: '127.0.0.1', port: 6379, start: 'redis-server --daemonize yes' },
  'the sample with REDIS_URL',
  () => {
    let sample: RunningSample;
    let redis: Redis;

    beforeAll(async () => {
      sample = await startSample({ port: 0, redisUrl: REDIS_URL, logger: false });
      redis = new Redis(REDIS_URL);
    });
    afterAll(async () => {
      await sample?.close();
      await redis?.quit();
    });

    it('keeps the user and roles in Redis, and deletes them on logout', async () => {
      expect(sample.storeLabel).toBe('RedisStore at 127.0.0.1:6379');
      const browser = new TestBrowser(sample.url);
      expect((await browser.get('/')).text).toContain('RedisStore at 127.0.0.1:6379');

      const before = new Set(await redis.keys('sample-shop:*'));
      expect((await browser.post('/login', { name: 'carol' })).status).toBe(303);
      const added = (await redis.keys('sample-shop:*')).filter((k) => !before.has(k));
      expect(added).toHaveLength(1);
      const record = JSON.parse((await redis.get(added[0]!))!);
      expect(record).toEqual({
        user: { id: expect.stringMatching(/^u_/), name: 'carol', since: expect.any(Number) },
        roles: ['customer'],
        visitor: expect.any(String),
      });
      const ttl = await redis.ttl(added[0]!);
      expect(ttl).toBeGreaterThan(80000);
      expect(ttl).toBeLessThanOrEqual(86400);
      expect((await browser.get('/account')).text).toContain(
        '<span data-test="account-name">carol</span>',
      );

      expect((await browser.post('/logout')).status).toBe(303);
      expect(await redis.exists(added[0]!)).toBe(0);
      expect(await browser.cookies()).toEqual(new Map());
    });
  },
);
