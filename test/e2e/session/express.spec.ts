import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestBrowser } from '../../support/browser.js';
import { startNestApp, type RunningApp } from '../../support/nest-app.js';
import { parseSetCookie } from '../fixtures/craft-cookie.js';
import { startPlainApp, type RunningExpress } from '../fixtures/express-app.js';
import { PLATFORM } from '../../support/platform.js';
import { sessionAppModule } from '../fixtures/session-app.module.js';
import { CHROME_UA, SECRET } from '../fixtures/secrets.js';

const EPOCH = 'Thu, 01 Jan 1970 00:00:00 GMT';
const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../../src');

describe(`chunkedSession() in a plain ${PLATFORM === 'fastify' ? 'Fastify 5' : 'Express 5'} application`, () => {
  let expressApp: RunningExpress;
  let nestApp: RunningApp;
  beforeAll(async () => {
    expressApp = await startPlainApp({ secret: SECRET, limits: { maxTotalBytes: 30000 } });
    nestApp = await startNestApp(
      sessionAppModule({ secret: SECRET, limits: { maxTotalBytes: 30000 } }),
    );
  });
  afterAll(async () => {
    await expressApp.close();
    await nestApp.close();
  });

  it('gives req.session and req.sessionHandle: write, read, isNew, no Set-Cookie when unchanged', async () => {
    const browser = new TestBrowser(expressApp.url);
    expect((await browser.get('/session')).json).toEqual({ data: {}, isNew: true });
    const written = await browser.post('/session', { user: 'ada', cart: [1, 2] });
    expect(written.json).toEqual({ data: { user: 'ada', cart: [1, 2] }, isNew: true });
    expect(written.setCookies).toHaveLength(1);
    expect(written.setCookies[0]).toMatch(
      /^session=1\.[A-Za-z0-9_-]+; Path=\/; HttpOnly; SameSite=Lax$/,
    );
    const read = await browser.get('/session');
    expect(read.json).toEqual({ data: { user: 'ada', cart: [1, 2] }, isNew: false });
    expect(read.setCookies).toEqual([]);
  });

  it('destroys (jar empty), touches and regenerates through req.sessionHandle', async () => {
    const browser = new TestBrowser(expressApp.url);
    await browser.post('/session', { user: 'ada' });
    const value = (await browser.cookies()).get('session');
    const touched = await browser.post('/touch');
    expect(touched.setCookies).toHaveLength(1);
    expect(parseSetCookie(touched.setCookies[0]!).value).not.toBe(value);
    const regenerated = await browser.post('/regenerate');
    expect(regenerated.json).toEqual({ data: { user: 'ada' } });
    expect(regenerated.setCookies).toHaveLength(1);
    const destroyed = await browser.post('/destroy');
    expect(destroyed.json).toEqual({ data: {}, isNew: true });
    expect(destroyed.setCookies).toEqual([
      `session=; Max-Age=0; Path=/; Expires=${EPOCH}; HttpOnly; SameSite=Lax`,
    ]);
    expect(await browser.cookies()).toEqual(new Map());
  });

  it('writes before the head of redirects and streamed responses', async () => {
    const browser = new TestBrowser(expressApp.url);
    const redirect = await browser.get('/redirect');
    expect(redirect.status).toBe(302);
    expect(redirect.setCookies).toHaveLength(1);
    const stream = await browser.get('/stream');
    expect(stream.text).toBe('a-b');
    expect(stream.setCookies).toHaveLength(1);
    expect((await browser.get('/session')).json).toEqual({
      data: { redirected: true, streamed: true },
      isNew: false,
    });
  });

  it('reads garbage as an empty session and goes on', async () => {
    const browser = new TestBrowser(expressApp.url);
    const res = await browser.get('/session', { cookieHeader: 'session=1.garbage; session.1=x' });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ data: {}, isNew: true });
  });

  it('uses the same cookie format as the Nest module, both ways, chunked too', async () => {
    const fromExpress = new TestBrowser(expressApp.url, CHROME_UA);
    const written = await fromExpress.post('/fill', { key: 'big', bytes: 7000 });
    const fromNest = new TestBrowser(nestApp.url, CHROME_UA);
    const nestWritten = await fromNest.post('/fill', { key: 'big', bytes: 7000 });
    // Same names, same attributes, same value lengths.
    const shape = (lines: string[]) =>
      lines.map((l) => {
        const { name, value, attributes } = parseSetCookie(l);
        return { name, length: value.length, attributes };
      });
    expect(shape(written.setCookies)).toEqual(shape(nestWritten.setCookies));
    expect(written.setCookies).toHaveLength(3);

    const expressCookies = await fromExpress.cookieHeader();
    expect((await fromNest.get('/session', { cookieHeader: expressCookies })).json).toEqual({
      data: { big: 'x'.repeat(7000) },
      isNew: false,
    });
    await fromNest.post('/session', { from: 'nest' });
    expect(
      (await fromExpress.get('/session', { cookieHeader: await fromNest.cookieHeader() })).json,
    ).toEqual({
      data: { big: 'x'.repeat(7000), from: 'nest' },
      isNew: false,
    });
  });

  it.each([
    ['chunkedSession (Express)', 'express/chunked-session.middleware.ts', /^(@nestjs\/|rxjs)/],
    ['nestjs-chunked-session/fastify', 'fastify/index.ts', /^(@nestjs\/|rxjs|express)/],
  ])(
    'the engine knows nothing about Nest: no module reachable from %s imports it',
    (_, entry, forbidden) => {
      const seen = new Set<string>();
      const offenders: string[] = [];
      const visit = (file: string) => {
        if (seen.has(file)) return;
        seen.add(file);
        const text = readFileSync(file, 'utf8');
        // `import type` is erased: only imports that remain at run time count.
        for (const [, spec] of text.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)) {
          const typeOnly = new RegExp(
            `import type [^;]*'${spec!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}'`,
          ).test(text);
          if (forbidden.test(spec!) && !typeOnly)
            offenders.push(`${file.slice(SRC.length)} imports ${spec}`);
          if (spec!.startsWith('.')) visit(resolve(dirname(file), spec!.replace(/\.js$/, '.ts')));
        }
      };
      visit(resolve(SRC, entry));
      expect(seen.has(resolve(SRC, 'core/session-engine.ts'))).toBe(true);
      expect(seen.has(resolve(SRC, 'core/plan-commit.ts'))).toBe(true);
      expect(offenders).toEqual([]);
    },
  );
});
