import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TestBrowser } from '../../support/browser.js';
import { startNestApp, type RunningApp } from '../../support/nest-app.js';
import { parseSetCookie } from '../fixtures/craft-cookie.js';
import { sessionAppModule } from '../fixtures/session-app.module.js';
import { CHROME_UA, SECRET } from '../fixtures/secrets.js';

const EPOCH = 'Thu, 01 Jan 1970 00:00:00 GMT';
const deletion = (name: string, attrs = 'Path=/') =>
  `${name}=; Max-Age=0; ${attrs}; Expires=${EPOCH}; HttpOnly; SameSite=Lax`;

describe('decorators and the SessionHandle', () => {
  let running: RunningApp;
  beforeAll(async () => {
    running = await startNestApp(
      sessionAppModule({ secret: SECRET, limits: { maxTotalBytes: 30000 } }),
    );
  });
  afterAll(() => running.close());

  it('@Session() gives the mutable session, @Session(key) one field', async () => {
    const browser = new TestBrowser(running.url);
    expect((await browser.get('/user')).json).toEqual({ user: null });
    await browser.post('/session', { user: { name: 'ada' }, theme: 'dark' });
    const user = await browser.get('/user');
    expect(user.json).toEqual({ user: { name: 'ada' } });
    expect(user.setCookies).toEqual([]);
  });

  it('@Session(key) reads own fields only, never Object.prototype', async () => {
    const browser = new TestBrowser(running.url);
    const res = await browser.get('/inherited');
    expect(res.json).toEqual({ constructor: null, toString: null, proto: null });
    await browser.post('/session', { constructor: 'written', toString: 'also' });
    expect((await browser.get('/inherited')).json).toEqual({
      constructor: 'written',
      toString: 'also',
      proto: null,
    });
  });

  it('isNew is true without a session, false once one was written, true again after destroy', async () => {
    const browser = new TestBrowser(running.url);
    expect((await browser.get('/session')).json).toEqual({ data: {}, isNew: true });
    expect((await browser.post('/session', { a: 1 })).json).toEqual({
      data: { a: 1 },
      isNew: true,
    });
    expect((await browser.get('/session')).json).toEqual({ data: { a: 1 }, isNew: false });
    expect((await browser.post('/destroy')).json).toEqual({ data: {}, isNew: true });
    expect((await browser.get('/session')).json).toEqual({ data: {}, isNew: true });
  });

  it('destroy deletes the cookie: one deletion line, and the jar is empty', async () => {
    const browser = new TestBrowser(running.url);
    await browser.post('/session', { user: 'ada' });
    expect([...(await browser.cookies()).keys()]).toEqual(['session']);
    const res = await browser.post('/destroy');
    expect(res.setCookies).toEqual([deletion('session')]);
    expect(await browser.cookies()).toEqual(new Map());
    const after = await browser.get('/session');
    expect(after.json).toEqual({ data: {}, isNew: true });
    expect(after.setCookies).toEqual([]);
  });

  it('destroy deletes every chunk of a chunked session', async () => {
    const browser = new TestBrowser(running.url, CHROME_UA);
    // 7000 characters seal to 9403: three chunks of at most 4096 bytes of name + value.
    await browser.post('/fill', { key: 'big', bytes: 7000 });
    expect([...(await browser.cookies()).keys()].sort()).toEqual([
      'session',
      'session.1',
      'session.2',
    ]);
    const res = await browser.post('/destroy');
    expect(res.setCookies).toEqual([
      deletion('session'),
      deletion('session.1'),
      deletion('session.2'),
    ]);
    expect(await browser.cookies()).toEqual(new Map());
  });

  it('destroy, then writing, starts a new session in the same response', async () => {
    const browser = new TestBrowser(running.url);
    await browser.post('/session', { user: 'ada', cart: [1] });
    const res = await browser.post('/destroy-and-write', { user: 'grace' });
    expect(res.json).toEqual({ data: { user: 'grace' }, isNew: true });
    expect(res.setCookies).toHaveLength(1);
    expect(res.setCookies[0]).toMatch(
      /^session=1\.[A-Za-z0-9_-]+; Path=\/; HttpOnly; SameSite=Lax$/,
    );
    expect((await browser.get('/session')).json).toEqual({ data: { user: 'grace' }, isNew: false });
  });

  it('touch re-writes an unmodified session with a new value and the same data', async () => {
    const browser = new TestBrowser(running.url);
    await browser.post('/session', { user: 'ada' });
    const before = (await browser.cookies()).get('session');
    expect((await browser.get('/session')).setCookies).toEqual([]);
    const res = await browser.post('/touch');
    expect(res.setCookies).toHaveLength(1);
    const written = parseSetCookie(res.setCookies[0]!);
    expect(written.name).toBe('session');
    expect(written.attributes).toBe('; Path=/; HttpOnly; SameSite=Lax');
    expect(written.value).not.toBe(before);
    expect((await browser.get('/session')).json).toEqual({ data: { user: 'ada' }, isNew: false });
  });

  it('regenerate re-seals the cookie (a new value) and keeps the data', async () => {
    const browser = new TestBrowser(running.url);
    await browser.post('/session', { user: 'ada', roles: ['admin'] });
    const before = (await browser.cookies()).get('session');
    const res = await browser.post('/regenerate');
    expect(res.json).toEqual({ data: { user: 'ada', roles: ['admin'] } });
    expect(res.setCookies).toHaveLength(1);
    const after = parseSetCookie(res.setCookies[0]!);
    expect(after.name).toBe('session');
    expect(after.value).not.toBe(before);
    expect((await browser.cookies()).get('session')).toBe(after.value);
    expect((await browser.get('/session')).json).toEqual({
      data: { user: 'ada', roles: ['admin'] },
      isNew: false,
    });
  });
});

describe('destroy with a configured path and domain', () => {
  let running: RunningApp;
  beforeAll(async () => {
    running = await startNestApp(
      sessionAppModule({
        secret: SECRET,
        cookie: { path: '/account', domain: 'example.test' },
        // Two cookies in one response; the response budget has its own tests.
        limits: { maxResponseHeaderBytes: 32768 },
      }),
    );
  });
  afterAll(() => running.close());

  it('deletes every chunk with the same Path and Domain', async () => {
    // The jar would not send Domain=example.test cookies to 127.0.0.1: carry them by hand.
    const browser = new TestBrowser(running.url, CHROME_UA);
    const written = await browser.post('/fill', { key: 'big', bytes: 4000 });
    expect(written.setCookies).toHaveLength(2);
    for (const line of written.setCookies) {
      expect(parseSetCookie(line).attributes).toBe(
        '; Domain=example.test; Path=/account; HttpOnly; SameSite=Lax',
      );
    }
    const cookieHeader = written.setCookies.map((l) => l.slice(0, l.indexOf(';'))).join('; ');
    expect((await browser.get('/session', { cookieHeader })).json).toEqual({
      data: { big: 'x'.repeat(4000) },
      isNew: false,
    });
    const res = await browser.post('/destroy', undefined, { cookieHeader });
    const attrs = 'Domain=example.test; Path=/account';
    expect(res.setCookies).toEqual([deletion('session', attrs), deletion('session.1', attrs)]);
  });
});

describe('change detection', () => {
  let running: RunningApp;
  beforeAll(async () => {
    running = await startNestApp(sessionAppModule({ secret: SECRET }));
  });
  afterAll(() => running.close());

  it('persists a deep mutation (a push into a nested array)', async () => {
    const browser = new TestBrowser(running.url);
    await browser.post('/push', { value: 'a' });
    const second = await browser.post('/push', { value: { deep: ['b'] } });
    expect(second.setCookies).toHaveLength(1);
    expect((await browser.get('/session')).json).toEqual({
      data: { nested: { list: ['a', { deep: ['b'] }] } },
      isNew: false,
    });
  });

  it('sends no Set-Cookie for an unchanged session, nor for the same value assigned again', async () => {
    const browser = new TestBrowser(running.url);
    await browser.post('/session', { user: 'ada', n: 1 });
    expect((await browser.get('/session')).setCookies).toEqual([]);
    expect((await browser.post('/session', { user: 'ada' })).setCookies).toEqual([]);
    expect((await browser.post('/session', { n: 2 })).setCookies).toHaveLength(1);
  });

  it('sets no cookie for a new session that is never written', async () => {
    const browser = new TestBrowser(running.url);
    expect((await browser.get('/session')).setCookies).toEqual([]);
    expect((await browser.get('/user')).setCookies).toEqual([]);
    expect(await browser.cookies()).toEqual(new Map());
  });

  it('deletes the cookie when every field is removed', async () => {
    const browser = new TestBrowser(running.url);
    await browser.post('/session', { user: 'ada' });
    const res = await browser.post('/replace', {});
    expect(res.setCookies).toEqual([deletion('session')]);
    expect(await browser.cookies()).toEqual(new Map());
  });
});

describe('saveUninitialized: true', () => {
  let running: RunningApp;
  beforeAll(async () => {
    running = await startNestApp(sessionAppModule({ secret: SECRET, saveUninitialized: true }));
  });
  afterAll(() => running.close());

  it('sets the cookie of a new session on its first response, then not again', async () => {
    const browser = new TestBrowser(running.url);
    const first = await browser.get('/session');
    expect(first.json).toEqual({ data: {}, isNew: true });
    expect(first.setCookies).toHaveLength(1);
    expect(first.setCookies[0]).toMatch(
      /^session=1\.[A-Za-z0-9_-]+; Path=\/; HttpOnly; SameSite=Lax$/,
    );
    const second = await browser.get('/session');
    expect(second.json).toEqual({ data: {}, isNew: false });
    expect(second.setCookies).toEqual([]);
  });

  it('still deletes the cookie on destroy', async () => {
    const browser = new TestBrowser(running.url);
    await browser.post('/session', { user: 'ada' });
    expect((await browser.post('/destroy')).setCookies).toEqual([deletion('session')]);
    expect(await browser.cookies()).toEqual(new Map());
  });
});
