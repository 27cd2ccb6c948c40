import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TestBrowser } from '../../support/browser.js';
import { startNestApp, type RunningApp } from '../../support/nest-app.js';
import { cookieHeaderOf, craftCookies, nowSeconds } from '../fixtures/craft-cookie.js';
import { sessionAppModule } from '../fixtures/session-app.module.js';
import { CHROME_UA, NEW_SECRET, SECRET } from '../fixtures/secrets.js';

const EMPTY = { data: {}, isNew: true };
const DATA = { user: 'ada', roles: ['admin'] };

describe.each(['encrypt', 'sign'] as const)('reading fails closed (%s)', (protection) => {
  let running: RunningApp;
  let valid: string;
  let big: string[];
  beforeAll(async () => {
    running = await startNestApp(
      sessionAppModule({ secret: SECRET, protection, limits: { maxTotalBytes: 30000 } }),
      { maxHeaderSize: 32768 },
    );
    const browser = new TestBrowser(running.url, CHROME_UA);
    await browser.post('/session', DATA);
    valid = (await browser.cookies()).get('session')!;
    await browser.post('/fill', { key: 'big', bytes: 5000 });
    big = (await browser.cookieHeader()).split('; ');
  });
  afterAll(() => running.close());

  const now = nowSeconds();
  const cases: [string, () => string][] = [
    [
      'a changed character',
      () => `session=${valid.slice(0, 10)}${valid[10] === 'Q' ? 'R' : 'Q'}${valid.slice(11)}`,
    ],
    ['a truncated value', () => `session=${valid.slice(0, -6)}`],
    ['a value with bytes appended', () => `session=${valid}AAAA`],
    ['the count prefix removed', () => `session=${valid.slice(2)}`],
    [
      'a chunk of another set mixed in',
      () =>
        `${big.find((c) => c.startsWith('session='))}; ${big.find((c) => c.startsWith('session.1='))}; session.2=${valid.slice(2)}`,
    ],
    ['a lone second chunk', () => big.find((c) => c.startsWith('session.1='))!],
    [
      'an expired session',
      () =>
        cookieHeaderOf(
          craftCookies({
            secret: SECRET,
            protection,
            data: DATA,
            createdAt: now - 100000,
            writtenAt: now - 90000,
          }),
        ),
    ],
    [
      'a session sealed with an unknown key',
      () =>
        cookieHeaderOf(
          craftCookies({
            secret: NEW_SECRET,
            protection,
            data: DATA,
            createdAt: now,
            writtenAt: now,
          }),
        ),
    ],
    [
      'a session sealed in the other protection mode',
      () =>
        cookieHeaderOf(
          craftCookies({
            secret: SECRET,
            protection: protection === 'sign' ? 'encrypt' : 'sign',
            data: DATA,
            createdAt: now,
            writtenAt: now,
          }),
        ),
    ],
    ['plain JSON', () => 'session={"user":"ada"}'],
    ['percent-encoded JSON', () => `session=${encodeURIComponent('{"user":"ada"}')}`],
    ['garbage', () => 'session=%%%~~~not-a-cookie'],
    ['an empty value', () => 'session='],
    ['only a count', () => 'session=1.'],
    ['a huge count', () => 'session=999.AAAA'],
    ['a zero count', () => 'session=0.AAAA'],
    ['a quoted value', () => `session="${valid}x"`],
    ['non-ASCII (Latin-1) bytes', () => 'session=1.Zo\u00e9\u00ff'],
    ['a nameless cookie', () => `=${valid}`],
    ['a long garbage value', () => `session=1.${'A'.repeat(9000)}`],
    ['the session twice, garbage first', () => `session=1.AAAA; session=${valid}`],
  ];

  it.each(cases)('%s: an empty session, status 200', async (_, header) => {
    const browser = new TestBrowser(running.url, CHROME_UA);
    const res = await browser.get('/session', { cookieHeader: header() });
    expect(res.status).toBe(200);
    expect(res.json).toEqual(EMPTY);
  });

  it.each(cases)('%s: the request goes on and can start a new session', async (_, header) => {
    const browser = new TestBrowser(running.url, CHROME_UA);
    const res = await browser.post('/session', { fresh: true }, { cookieHeader: header() });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ data: { fresh: true }, isNew: true });
    const session = res.setCookies.find((l) => l.startsWith('session=1.'));
    expect(session).toMatch(/^session=1\.[A-Za-z0-9_-]+; Path=\/; HttpOnly; SameSite=Lax$/);
    const read = await browser.get('/session', {
      cookieHeader: session!.slice(0, session!.indexOf(';')),
    });
    expect(read.json).toEqual({ data: { fresh: true }, isNew: false });
  });

  it('still reads the untouched cookie', async () => {
    const browser = new TestBrowser(running.url, CHROME_UA);
    const res = await browser.get('/session', { cookieHeader: `theme=dark; session=${valid}` });
    expect(res.json).toEqual({ data: DATA, isNew: false });
  });
});
