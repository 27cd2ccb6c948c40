/**
 * "Keep me signed in" end to end, through a real Nest application over HTTP with a
 * tough-cookie jar: the cookies of a remembered session carry Max-Age and Expires and outlive
 * a browser restart, a plain session's do not; the remembered idle window is read from the
 * seal (crafted timestamps); the mark is kept through regenerate() and cleared by destroy()
 * and remember(false); one partition read as remembered makes the whole session remembered.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Module } from '@nestjs/common';
import { ChunkedSessionModule, type ChunkedSessionOptions } from '../../../src/index.js';
import { TestBrowser } from '../../support/browser.js';
import { startNestApp, type RunningApp } from '../../support/nest-app.js';
import { cookieHeaderOf, craftCookies, parseSetCookie } from '../fixtures/craft-cookie.js';
import { CHROME_UA, SECRET } from '../fixtures/secrets.js';
import { RememberController } from './remember.controller.js';
import { expectPlain, expectRemembered, nowSeconds, restarted } from './support.js';

const IDLE = 600;
const ABSOLUTE = 86400;
const REMEMBER = { maxAge: 7200, idleTimeout: 3600 };
const OPTIONS: ChunkedSessionOptions = {
  secret: SECRET,
  idleTimeout: IDLE,
  absoluteTimeout: ABSOLUTE,
  touchAfter: 60,
  remember: REMEMBER,
  // Room for a session of two chunks in one response (the default budget is a proxy's 4 KiB).
  limits: { maxTotalBytes: 12000 },
};
const DELETE =
  /^[^=]+=; Max-Age=0; Path=\/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax$/;

function app(options: ChunkedSessionOptions) {
  @Module({ imports: [ChunkedSessionModule.forRoot(options)], controllers: [RememberController] })
  class RememberModule {}
  const holder: { running?: RunningApp } = {};
  beforeAll(async () => {
    holder.running = await startNestApp(RememberModule);
  });
  afterAll(() => holder.running?.close());
  return () => new TestBrowser(holder.running!.url, CHROME_UA);
}

describe('a remembered session', () => {
  const browser = app(OPTIONS);

  it('gets Max-Age and Expires on every cookie, chunks included, and survives a restart', async () => {
    const b = browser();
    // Large enough for two chunks: each one must outlive the browser, or the set breaks.
    const fields = { user: 'ada', notes: 'n'.repeat(3500) };
    const res = await b.post('/login', { fields, remember: true });
    expect(res.json).toEqual({ isRemembered: true });
    const names = expectRemembered(res, REMEMBER.maxAge);
    expect(names.length).toBeGreaterThanOrEqual(2);
    expect(names).toEqual(['session', ...names.slice(1).map((_, i) => `session.${i + 1}`)]);
    // The jar keeps them as persistent, with the expiry the server gave.
    const kept = await b.jar.getCookies(b.baseUrl);
    expect(kept.map((c) => c.key)).toEqual(names);
    for (const c of kept) expect(c.isPersistent()).toBe(true);

    const after = await restarted(b);
    const me = await after.get('/me');
    expect(me.json).toEqual({ session: fields, isRemembered: true, isNew: false });
    // Within touchAfter: nothing re-written.
    expect(me.setCookies).toEqual([]);
  });

  it('a plain one has neither attribute and is gone after a restart', async () => {
    const b = browser();
    const res = await b.post('/login', { fields: { user: 'bob' } });
    expect(res.json).toEqual({ isRemembered: false });
    expect(expectPlain(res)).toEqual(['session']);
    for (const c of await b.jar.getCookies(b.baseUrl)) expect(c.isPersistent()).toBe(false);
    expect((await b.get('/me')).json).toEqual({
      session: { user: 'bob' },
      isRemembered: false,
      isNew: false,
    });
    const me = await (await restarted(b)).get('/me');
    expect(me.json).toEqual({ session: {}, isRemembered: false, isNew: true });
  });

  it('is kept through regenerate(), with Max-Age on the re-written cookies', async () => {
    const b = browser();
    await b.post('/login', { fields: { user: 'ada' }, remember: true });
    const before = await b.cookieHeader();
    const res = await b.post('/regenerate');
    expect(res.json).toEqual({ isRemembered: true });
    expectRemembered(res, REMEMBER.maxAge);
    expect(await b.cookieHeader()).not.toBe(before);
    const me = await (await restarted(b)).get('/me');
    expect(me.json).toEqual({ session: { user: 'ada' }, isRemembered: true, isNew: false });
  });

  it('remember(false) re-writes the cookies as browser-session cookies', async () => {
    const b = browser();
    await b.post('/login', { fields: { user: 'ada', notes: 'n'.repeat(3500) }, remember: true });
    const res = await b.post('/remember', { on: false });
    expect(res.json).toEqual({ isRemembered: false });
    const names = expectPlain(res);
    expect(names.length).toBeGreaterThanOrEqual(2);
    for (const c of await b.jar.getCookies(b.baseUrl)) expect(c.isPersistent()).toBe(false);
    expect((await b.get('/me')).json).toMatchObject({ isRemembered: false, isNew: false });
    expect((await (await restarted(b)).get('/me')).json).toMatchObject({ isNew: true });
  });

  it('remember() on a signed-in plain session re-writes it unchanged, now persistent', async () => {
    const b = browser();
    await b.post('/login', { fields: { user: 'ada' } });
    const res = await b.post('/remember', {});
    expect(res.json).toEqual({ isRemembered: true });
    expectRemembered(res, REMEMBER.maxAge);
    // Marked once: a second remember() has nothing to write.
    expect((await b.post('/remember', {})).setCookies).toEqual([]);
  });

  it('destroy() clears the mark: the cookies are deleted, and a new session starts plain', async () => {
    const b = browser();
    await b.post('/login', { fields: { user: 'ada' }, remember: true });
    const res = await b.post('/destroy');
    expect(res.json).toEqual({ isRemembered: false });
    expect(res.setCookies).toHaveLength(1);
    expect(res.setCookies[0]).toMatch(DELETE);
    expect((await b.get('/me')).json).toEqual({ session: {}, isRemembered: false, isNew: true });

    await b.post('/login', { fields: { user: 'ada' }, remember: true });
    const again = await b.post('/destroy-and-write', { user: 'eve' });
    expect(again.json).toEqual({ isRemembered: false });
    expect(expectPlain(again)).toEqual(['session']);
    expect((await b.get('/me')).json).toEqual({
      session: { user: 'eve' },
      isRemembered: false,
      isNew: false,
    });
  });
});

describe('the remembered idle window, from the sealed timestamps', () => {
  const browser = app(OPTIONS);
  const data = { user: 'ada' };
  const header = (createdAgo: number, writtenAgo: number, remembered: boolean) => {
    const now = nowSeconds();
    return cookieHeaderOf(
      craftCookies({
        secret: SECRET,
        data,
        createdAt: now - createdAgo,
        writtenAt: now - writtenAgo,
        remembered,
      }),
    );
  };

  it('reads a remembered session idle past idleTimeout but within remember.idleTimeout, and touches it', async () => {
    const res = await browser().get('/me', { cookieHeader: header(3500, 3000, true) });
    expect(res.json).toEqual({ session: data, isRemembered: true, isNew: false });
    expectRemembered(res, REMEMBER.maxAge);
  });

  it.each([
    ['a plain session idle past idleTimeout', 700, 650, false],
    ['a remembered session idle past remember.idleTimeout', 4000, 3700, true],
    ['a remembered session past absoluteTimeout, though written recently', ABSOLUTE + 10, 5, true],
  ])('treats %s as empty and deletes its cookie', async (_, created, written, remembered) => {
    const res = await browser().get('/me', { cookieHeader: header(created, written, remembered) });
    expect(res.json).toEqual({ session: {}, isRemembered: false, isNew: true });
    expect(res.setCookies).toHaveLength(1);
    expect(res.setCookies[0]).toMatch(DELETE);
  });

  it('reads a cookie sealed without the mark (written before it existed) as plain', async () => {
    const res = await browser().get('/me', { cookieHeader: header(100, 10, false) });
    expect(res.json).toEqual({ session: data, isRemembered: false, isNew: false });
    expect(res.setCookies).toEqual([]);
  });

  it('re-writes after remember.touchAfter, and never lets Max-Age outlast the absolute timeout', async () => {
    const left = 1000;
    const res = await browser().get('/me', {
      cookieHeader: header(ABSOLUTE - left, 100, true),
    });
    expect(res.json).toEqual({ session: data, isRemembered: true, isNew: false });
    expectRemembered(res, left);
  });
});

describe('remember defaults', () => {
  const browser = app({ secret: SECRET, idleTimeout: IDLE, absoluteTimeout: 50000 });

  it('maxAge is the absolute timeout', async () => {
    const res = await browser().post('/login', { fields: { user: 'ada' }, remember: true });
    expectRemembered(res, 50000);
  });

  it('the idle window is maxAge: a session idle for 40000 s is still read', async () => {
    const now = nowSeconds();
    const cookieHeader = cookieHeaderOf(
      craftCookies({
        secret: SECRET,
        data: { user: 'ada' },
        createdAt: now - 45000,
        writtenAt: now - 40000,
        remembered: true,
      }),
    );
    const res = await browser().get('/me', { cookieHeader });
    expect(res.json).toEqual({ session: { user: 'ada' }, isRemembered: true, isNew: false });
    expectRemembered(res, 5000);
  });
});

describe('several partitions share the mark', () => {
  const options: ChunkedSessionOptions = {
    ...OPTIONS,
    sessions: [
      { cookieName: 'prefs', fields: ['theme'] },
      { cookieName: 'session', fields: 'auto' },
    ],
  };
  const browser = app(options);

  it('remember() writes every partition with Max-Age', async () => {
    const res = await browser().post('/login', {
      fields: { theme: 'dark', user: 'ada' },
      remember: true,
    });
    expect(expectRemembered(res, REMEMBER.maxAge).sort()).toEqual(['prefs', 'session']);
  });

  it('one partition read as remembered makes the session remembered; the other is re-sealed with the mark', async () => {
    const now = nowSeconds();
    const prefs = craftCookies({
      secret: SECRET,
      cookieName: 'prefs',
      data: { theme: 'dark' },
      createdAt: now - 100,
      writtenAt: now - 10,
      remembered: true,
    });
    const session = craftCookies({
      secret: SECRET,
      data: { user: 'ada' },
      createdAt: now - 100,
      writtenAt: now - 10,
    });
    const res = await browser().get('/me', {
      cookieHeader: cookieHeaderOf([...prefs, ...session]),
    });
    expect(res.json).toEqual({
      session: { theme: 'dark', user: 'ada' },
      isRemembered: true,
      isNew: false,
    });
    // Only the partition without the mark needed writing.
    expect(expectRemembered(res, REMEMBER.maxAge)).toEqual(['session']);
    expect(parseSetCookie(res.setCookies[0]!).value).not.toBe(session[0]!.value);
  });
});
