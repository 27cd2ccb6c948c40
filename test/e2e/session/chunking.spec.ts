import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TestBrowser } from '../../support/browser.js';
import { startNestApp, type RunningApp } from '../../support/nest-app.js';
import { parseSetCookie } from '../fixtures/craft-cookie.js';
import { sessionAppModule } from '../fixtures/session-app.module.js';
import { CHROME_UA, SECRET } from '../fixtures/secrets.js';

const EMPTY = { data: {}, isNew: true };
const EPOCH = 'Thu, 01 Jan 1970 00:00:00 GMT';
const deletion = (name: string, attrs = 'Path=/') =>
  `${name}=; Max-Age=0; ${attrs}; Expires=${EPOCH}; HttpOnly; SameSite=Lax`;
const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
/** The `name=value` parts of Set-Cookie lines, as a Cookie header. */
const headerOf = (lines: string[]) => lines.map((l) => l.slice(0, l.indexOf(';'))).join('; ');

/** Checks a written chunk set: names in order, the count prefix, each chunk within `fits`. */
function expectChunkSet(lines: string[], fits: (line: string) => void): void {
  const chunks = lines.map(parseSetCookie);
  expect(chunks.map((c) => c.name)).toEqual(
    chunks.map((_, i) => (i === 0 ? 'session' : `session.${i}`)),
  );
  expect(chunks[0]!.value.startsWith(`${chunks.length}.`)).toBe(true);
  for (const c of chunks) {
    expect(c.attributes).toBe('; Path=/; HttpOnly; SameSite=Lax');
    expect(c.value).toMatch(/^[0-9A-Za-z_.-]+$/);
  }
  for (const line of lines) fits(line);
}

describe('chunking', () => {
  let running: RunningApp;
  beforeAll(async () => {
    running = await startNestApp(
      sessionAppModule({ secret: SECRET, limits: { maxTotalBytes: 30000 } }),
      { maxHeaderSize: 32768 },
    );
  });
  afterAll(() => running.close());

  it('splits a 10 KB session into session, session.1, … each name + value ≤ 4096 (Chrome)', async () => {
    const browser = new TestBrowser(running.url, CHROME_UA);
    const res = await browser.post('/fill', { key: 'big', bytes: 10000 });
    expect(res.setCookies).toHaveLength(4);
    expectChunkSet(res.setCookies, (line) => {
      const { name, value } = parseSetCookie(line);
      expect(bytes(name + value)).toBeLessThanOrEqual(4096);
    });
    // Filled greedily: every chunk but the last is exactly at the limit.
    for (const line of res.setCookies.slice(0, -1)) {
      const { name, value } = parseSetCookie(line);
      expect(bytes(name + value)).toBe(4096);
    }
    expect([...(await browser.cookies()).keys()].sort()).toEqual([
      'session',
      'session.1',
      'session.2',
      'session.3',
    ]);
    const read = await browser.get('/session');
    expect(read.json).toEqual({ data: { big: 'x'.repeat(10000) }, isNew: false });
    expect(read.setCookies).toEqual([]);
  });

  it('counts the whole Set-Cookie line (≤ 4093) for an unknown browser', async () => {
    const browser = new TestBrowser(running.url); // User-Agent "node": unknown
    const res = await browser.post('/fill', { key: 'big', bytes: 10000 });
    expect(res.setCookies.length).toBeGreaterThanOrEqual(4);
    expectChunkSet(res.setCookies, (line) => expect(bytes(line)).toBeLessThanOrEqual(4093));
    for (const line of res.setCookies.slice(0, -1)) expect(bytes(line)).toBe(4093);
    expect((await browser.get('/session')).json).toEqual({
      data: { big: 'x'.repeat(10000) },
      isNew: false,
    });
  });

  it('deletes the chunks left over when the session shrinks', async () => {
    const browser = new TestBrowser(running.url, CHROME_UA);
    await browser.post('/fill', { key: 'big', bytes: 10000 });
    const res = await browser.post('/replace', { small: 'yes' });
    expect(res.setCookies).toHaveLength(4);
    expect(res.setCookies[0]).toMatch(
      /^session=1\.[A-Za-z0-9_-]+; Path=\/; HttpOnly; SameSite=Lax$/,
    );
    expect(res.setCookies.slice(1)).toEqual([
      deletion('session.1'),
      deletion('session.2'),
      deletion('session.3'),
    ]);
    expect([...(await browser.cookies()).keys()]).toEqual(['session']);
    expect((await browser.get('/session')).json).toEqual({ data: { small: 'yes' }, isNew: false });
  });

  it('grows and shrinks by one chunk at a time', async () => {
    const browser = new TestBrowser(running.url, CHROME_UA);
    await browser.post('/fill', { key: 'big', bytes: 4000 });
    expect([...(await browser.cookies()).keys()].sort()).toEqual(['session', 'session.1']);
    const grown = await browser.post('/fill', { key: 'big', bytes: 7000 });
    expect(grown.setCookies.map((l) => parseSetCookie(l).name)).toEqual([
      'session',
      'session.1',
      'session.2',
    ]);
    const shrunk = await browser.post('/fill', { key: 'big', bytes: 4000 });
    expect(shrunk.setCookies.map((l) => parseSetCookie(l).name)).toEqual([
      'session',
      'session.1',
      'session.2',
    ]);
    expect(shrunk.setCookies[2]).toBe(deletion('session.2'));
    expect((await browser.get('/session')).json).toEqual({
      data: { big: 'x'.repeat(4000) },
      isNew: false,
    });
  });

  describe('the reader refuses an inconsistent set (empty session, 200)', () => {
    let first: string[];
    let second: string[];
    beforeAll(async () => {
      const browser = new TestBrowser(running.url, CHROME_UA);
      first = (await browser.post('/fill', { key: 'big', bytes: 10000, char: 'a' })).setCookies;
      second = (await browser.post('/fill', { key: 'big', bytes: 10000, char: 'b' })).setCookies;
      expect(first).toHaveLength(4);
      expect(second).toHaveLength(4);
    });
    const pairs = (lines: string[]) => lines.map((l) => l.slice(0, l.indexOf(';')));

    it('reads the complete set', async () => {
      const browser = new TestBrowser(running.url, CHROME_UA);
      const res = await browser.get('/session', { cookieHeader: headerOf(second) });
      expect(res.json).toEqual({ data: { big: 'b'.repeat(10000) }, isNew: false });
    });

    it.each([
      ['a chunk missing', () => [0, 1, 3].map((i) => pairs(second)[i]!)],
      ['the last chunk missing', () => pairs(second).slice(0, 3)],
      ['an extra chunk', () => [...pairs(second), 'session.4=AAAA']],
      [
        'a chunk from an older response (mixed)',
        () => [pairs(second)[0]!, pairs(first)[1]!, ...pairs(second).slice(2)],
      ],
      [
        'the first chunk from an older response',
        () => [pairs(first)[0]!, ...pairs(second).slice(1)],
      ],
      [
        'reordered chunks',
        () => {
          const p = pairs(second).map((x) => x.slice(x.indexOf('=') + 1));
          return [`session=${p[0]}`, `session.1=${p[2]}`, `session.2=${p[1]}`, `session.3=${p[3]}`];
        },
      ],
      [
        'a wrong count in the first chunk',
        () => [pairs(second)[0]!.replace('session=4.', 'session=3.'), ...pairs(second).slice(1, 3)],
      ],
    ])('%s', async (_, cookies) => {
      const browser = new TestBrowser(running.url, CHROME_UA);
      const res = await browser.get('/session', { cookieHeader: cookies().join('; ') });
      expect(res.status).toBe(200);
      expect(res.json).toEqual(EMPTY);
      // The unreadable chunks are deleted.
      const names = cookies().map((c) => c.slice(0, c.indexOf('=')));
      expect(res.setCookies).toEqual(names.map((n) => deletion(n)));
    });
  });
});

describe('chunks left over, with a configured path and domain', () => {
  let running: RunningApp;
  beforeAll(async () => {
    running = await startNestApp(
      sessionAppModule({
        secret: SECRET,
        limits: { maxTotalBytes: 30000 },
        cookie: { path: '/account', domain: 'example.test' },
      }),
      { maxHeaderSize: 32768 },
    );
  });
  afterAll(() => running.close());

  it('are deleted with the same Path and Domain', async () => {
    const browser = new TestBrowser(running.url, CHROME_UA);
    const big = await browser.post('/fill', { key: 'big', bytes: 7000 });
    expect(big.setCookies).toHaveLength(3);
    const res = await browser.post(
      '/replace',
      { small: 'yes' },
      { cookieHeader: headerOf(big.setCookies) },
    );
    const attrs = 'Domain=example.test; Path=/account';
    expect(res.setCookies).toHaveLength(3);
    expect(parseSetCookie(res.setCookies[0]!).attributes).toBe(
      `; ${attrs}; HttpOnly; SameSite=Lax`,
    );
    expect(res.setCookies.slice(1)).toEqual([
      deletion('session.1', attrs),
      deletion('session.2', attrs),
    ]);
  });
});
