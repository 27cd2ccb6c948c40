import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TestBrowser } from '../../support/browser.js';
import { startNestApp, type RunningApp } from '../../support/nest-app.js';
import { parseSetCookie } from '../fixtures/craft-cookie.js';
import { sessionAppModule } from '../fixtures/session-app.module.js';
import { CHROME_UA, SECRET } from '../fixtures/secrets.js';

type AppOptions = Parameters<typeof sessionAppModule>[0];

/** Starts an app with `options` (and `trust proxy` when asked) for one describe block. */
function app(options: AppOptions, trustProxy = false) {
  const holder: { running?: RunningApp } = {};
  beforeAll(async () => {
    holder.running = await startNestApp(sessionAppModule(options), { trustProxy });
  });
  afterAll(() => holder.running!.close());
  return () => new TestBrowser(holder.running!.url);
}

/** The attributes of the one Set-Cookie line a write produces. */
async function writtenAttributes(
  browser: TestBrowser,
  headers?: Record<string, string>,
): Promise<{ name: string; attributes: string }> {
  const res = await browser.post('/session', { user: 'ada' }, { headers });
  expect(res.setCookies).toHaveLength(1);
  const { name, attributes } = parseSetCookie(res.setCookies[0]!);
  return { name, attributes };
}

describe('default attributes', () => {
  const browser = app({ secret: SECRET });

  it('are exactly HttpOnly; SameSite=Lax; Path=/, without Secure over plain HTTP', async () => {
    expect(await writtenAttributes(browser())).toEqual({
      name: 'session',
      attributes: '; Path=/; HttpOnly; SameSite=Lax',
    });
  });

  it('ignore X-Forwarded-Proto when Express does not trust the proxy', async () => {
    const { attributes } = await writtenAttributes(browser(), { 'x-forwarded-proto': 'https' });
    expect(attributes).toBe('; Path=/; HttpOnly; SameSite=Lax');
  });
});

describe("secure: 'auto' behind a trusted proxy", () => {
  const browser = app({ secret: SECRET, cookie: { secure: 'auto' } }, true);

  it('sets Secure when X-Forwarded-Proto is https', async () => {
    const { attributes } = await writtenAttributes(browser(), { 'x-forwarded-proto': 'https' });
    expect(attributes).toBe('; Path=/; HttpOnly; Secure; SameSite=Lax');
  });

  it('does not when X-Forwarded-Proto is http or absent', async () => {
    expect((await writtenAttributes(browser(), { 'x-forwarded-proto': 'http' })).attributes).toBe(
      '; Path=/; HttpOnly; SameSite=Lax',
    );
    expect((await writtenAttributes(browser())).attributes).toBe(
      '; Path=/; HttpOnly; SameSite=Lax',
    );
  });

  it('deletes with the same Secure attribute', async () => {
    const b = browser();
    const headers = { 'x-forwarded-proto': 'https' };
    await b.post('/session', { user: 'ada' }, { headers });
    const res = await b.post('/destroy', undefined, { headers });
    expect(res.setCookies).toEqual([
      'session=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax',
    ]);
  });
});

describe('maxAge', () => {
  const browser = app({ secret: SECRET, cookie: { maxAge: 3600 } });

  it('gives Max-Age and a matching Expires', async () => {
    const before = Math.floor(Date.now() / 1000);
    const res = await browser().post('/session', { user: 'ada' });
    const after = Math.ceil(Date.now() / 1000);
    const { attributes } = parseSetCookie(res.setCookies[0]!);
    const match = /^; Max-Age=3600; Path=\/; Expires=([^;]+); HttpOnly; SameSite=Lax$/.exec(
      attributes,
    );
    expect(match).not.toBeNull();
    const expires = Date.parse(match![1]!) / 1000;
    expect(expires).toBeGreaterThanOrEqual(before + 3600);
    expect(expires).toBeLessThanOrEqual(after + 3600);
  });
});

describe('explicit attributes', () => {
  const browser = app({
    secret: SECRET,
    cookie: { secure: true, sameSite: 'none', httpOnly: false, partitioned: true, path: '/' },
  });

  it('are written as configured', async () => {
    expect((await writtenAttributes(browser())).attributes).toBe(
      '; Path=/; Secure; Partitioned; SameSite=None',
    );
  });
});

describe('sameSite strict with a domain', () => {
  const browser = app({ secret: SECRET, cookie: { sameSite: 'strict', domain: 'example.test' } });

  it('writes Domain and SameSite=Strict', async () => {
    expect((await writtenAttributes(browser())).attributes).toBe(
      '; Domain=example.test; Path=/; HttpOnly; SameSite=Strict',
    );
  });
});

describe.each([
  ['__Host-sid', '; Path=/; HttpOnly; Secure; SameSite=Lax'],
  ['__Secure-sid', '; Path=/; HttpOnly; Secure; SameSite=Lax'],
])('cookie name %s', (cookieName, expected) => {
  const browser = app({ secret: SECRET, cookieName, limits: { maxTotalBytes: 30000 } });

  it('gets Secure and Path=/ by default, over plain HTTP too', async () => {
    expect(await writtenAttributes(browser())).toEqual({ name: cookieName, attributes: expected });
  });

  it('gives every chunk the prefix and its attributes; a prefix-checking jar keeps and sends them', async () => {
    // tough-cookie enforces the prefix rules and treats loopback as a secure context.
    const b = new TestBrowser(browser().baseUrl, CHROME_UA);
    const res = await b.post('/fill', { key: 'big', bytes: 7000 });
    expect(res.setCookies.map((l) => parseSetCookie(l).name)).toEqual([
      cookieName,
      `${cookieName}.1`,
      `${cookieName}.2`,
    ]);
    for (const line of res.setCookies) expect(parseSetCookie(line).attributes).toBe(expected);
    expect([...(await b.cookies()).keys()].sort()).toEqual([
      cookieName,
      `${cookieName}.1`,
      `${cookieName}.2`,
    ]);
    expect((await b.get('/session')).json).toEqual({
      data: { big: 'x'.repeat(7000) },
      isNew: false,
    });
  });
});
