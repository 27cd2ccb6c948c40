import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { decodeEnvelope } from '../../../src/codec/envelope.js';
import { createSealer } from '../../../src/codec/sealer.js';
import { TestBrowser } from '../../support/browser.js';
import { startNestApp, type RunningApp } from '../../support/nest-app.js';
import {
  cookieHeaderOf,
  craftCookies,
  nowSeconds,
  parseSetCookie,
  sealedBytes,
} from '../fixtures/craft-cookie.js';
import { sessionAppModule } from '../fixtures/session-app.module.js';
import { NEW_SECRET, OLD_SECRET, SECRET } from '../fixtures/secrets.js';

const EMPTY = { data: {}, isNew: true };
const DELETE_SESSION =
  'session=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax';
const MARKER = { note: 'visible-marker-0123' };

/** The value with one character in its middle replaced by another base64url character. */
function flipMiddle(value: string): string {
  const at = Math.floor(value.length / 2);
  return value.slice(0, at) + (value[at] === 'A' ? 'B' : 'A') + value.slice(at + 1);
}

/** Starts one app per options object; closes them all. */
function apps(...options: Parameters<typeof sessionAppModule>[0][]) {
  const running: RunningApp[] = [];
  beforeAll(async () => {
    for (const o of options) running.push(await startNestApp(sessionAppModule(o)));
  });
  afterAll(async () => {
    for (const r of running) await r.close();
  });
  return running;
}

describe('protection: encrypt (default)', () => {
  const app = apps({ secret: SECRET });

  it('writes a value that does not contain the session JSON', async () => {
    const browser = new TestBrowser(app[0]!.url);
    const res = await browser.post('/session', MARKER);
    const { value } = parseSetCookie(res.setCookies[0]!);
    const bytes = sealedBytes([value]);
    expect(bytes.length).toBeGreaterThan(JSON.stringify(MARKER).length);
    expect(bytes.includes(JSON.stringify(MARKER))).toBe(false);
    expect(bytes.includes('visible-marker')).toBe(false);
    expect((await browser.get('/session')).json).toEqual({ data: MARKER, isNew: false });
  });

  it('refuses a value with a changed character: an empty session, 200', async () => {
    const browser = new TestBrowser(app[0]!.url);
    await browser.post('/session', MARKER);
    const value = (await browser.cookies()).get('session')!;
    const res = await browser.get('/session', { cookieHeader: `session=${flipMiddle(value)}` });
    expect(res.status).toBe(200);
    expect(res.json).toEqual(EMPTY);
  });
});

describe('protection: sign', () => {
  const app = apps({ secret: SECRET, protection: 'sign' });

  it('writes a readable value: the base64url-decoded cookie contains the session JSON', async () => {
    const browser = new TestBrowser(app[0]!.url);
    const res = await browser.post('/session', MARKER);
    const { value } = parseSetCookie(res.setCookies[0]!);
    expect(sealedBytes([value]).includes(JSON.stringify(MARKER))).toBe(true);
    expect((await browser.get('/session')).json).toEqual({ data: MARKER, isNew: false });
  });

  it('refuses a value with a flipped byte, including one that changes the readable data', async () => {
    const browser = new TestBrowser(app[0]!.url);
    await browser.post('/session', { role: 'user' });
    const value = (await browser.cookies()).get('session')!;
    const res = await browser.get('/session', { cookieHeader: `session=${flipMiddle(value)}` });
    expect(res.status).toBe(200);
    expect(res.json).toEqual(EMPTY);

    // Rewrite the readable JSON itself ("user" → "root", same length), keeping the MAC.
    const bytes = sealedBytes([value]);
    const at = bytes.indexOf('"user"');
    expect(at).toBeGreaterThan(0);
    bytes.write('"root"', at);
    const forged = `1.${bytes.toString('base64url')}`;
    const forgedRes = await browser.get('/session', { cookieHeader: `session=${forged}` });
    expect(forgedRes.status).toBe(200);
    expect(forgedRes.json).toEqual(EMPTY);
  });
});

describe('the cookie name is bound into the seal', () => {
  const running = apps(
    { secret: SECRET, cookieName: 'alpha' },
    { secret: SECRET, cookieName: 'beta' },
    {
      secret: SECRET,
      sessions: [
        { cookieName: 'first', fields: ['user'] },
        { cookieName: 'second', fields: 'auto' },
      ],
    },
  );

  it('refuses a value moved to another cookie name (two apps, one secret)', async () => {
    const alpha = new TestBrowser(running[0]!.url);
    await alpha.post('/session', { user: 'ada' });
    const value = (await alpha.cookies()).get('alpha')!;
    const beta = new TestBrowser(running[1]!.url);
    expect((await beta.get('/session', { cookieHeader: `alpha=${value}` })).json).toEqual({
      data: {},
      isNew: true,
    });
    const moved = await beta.get('/session', { cookieHeader: `beta=${value}` });
    expect(moved.status).toBe(200);
    expect(moved.json).toEqual(EMPTY);
    // The same value under its own name reads fine in the other app (same secret).
    const home = new TestBrowser(running[0]!.url);
    expect((await home.get('/session', { cookieHeader: `alpha=${value}` })).json).toEqual({
      data: { user: 'ada' },
      isNew: false,
    });
  });

  it('refuses a value moved between two partitions of one app', async () => {
    const browser = new TestBrowser(running[2]!.url);
    const res = await browser.post('/session', { user: 'ada', theme: 'dark' });
    expect(res.setCookies.map((l) => parseSetCookie(l).name)).toEqual(['first', 'second']);
    const jar = await browser.cookies();
    expect((await browser.get('/session')).json).toEqual({
      data: { user: 'ada', theme: 'dark' },
      isNew: false,
    });
    const swapped = `first=${jar.get('second')}; second=${jar.get('first')}`;
    expect((await browser.get('/session', { cookieHeader: swapped })).json).toEqual(EMPTY);
    const onlySecond = `second=${jar.get('first')}`;
    expect((await browser.get('/session', { cookieHeader: onlySecond })).json).toEqual(EMPTY);
  });
});

describe('key rotation', () => {
  const running = apps(
    { secret: [OLD_SECRET] },
    { secret: [NEW_SECRET, OLD_SECRET] },
    { secret: NEW_SECRET },
  );

  it('reads a cookie sealed with the old secret and re-seals it with the new one on that response', async () => {
    const [oldApp, rotatedApp, newApp] = running.map((r) => new TestBrowser(r.url));
    await oldApp!.post('/session', { user: 'ada' });
    const oldValue = (await oldApp!.cookies()).get('session')!;
    const oldHeader = `session=${oldValue}`;

    expect((await newApp!.get('/session', { cookieHeader: oldHeader })).json).toEqual(EMPTY);

    const rotated = await rotatedApp!.get('/session', { cookieHeader: oldHeader });
    expect(rotated.json).toEqual({ data: { user: 'ada' }, isNew: false });
    expect(rotated.setCookies).toHaveLength(1);
    const resealed = parseSetCookie(rotated.setCookies[0]!);
    expect(resealed.name).toBe('session');
    expect(resealed.attributes).toBe('; Path=/; HttpOnly; SameSite=Lax');
    expect(resealed.value).not.toBe(oldValue);
    const opened = createSealer([NEW_SECRET], 'encrypt').open('session', resealed.value.slice(2));
    expect(opened?.keyIndex).toBe(0);
    expect(decodeEnvelope(opened!.plaintext)?.data).toEqual({ user: 'ada' });

    const newHeader = `session=${resealed.value}`;
    const read = await newApp!.get('/session', { cookieHeader: newHeader });
    expect(read.json).toEqual({ data: { user: 'ada' }, isNew: false });
    expect(read.setCookies).toEqual([]);
    // Once re-sealed, the rotated app has nothing more to write.
    expect((await rotatedApp!.get('/session', { cookieHeader: newHeader })).setCookies).toEqual([]);
    // The app with only the old secret can no longer read it.
    expect((await oldApp!.get('/session', { cookieHeader: newHeader })).json).toEqual(EMPTY);
  });
});

describe('timeouts, enforced from the sealed timestamps', () => {
  const running = apps({ secret: SECRET, idleTimeout: 600, absoluteTimeout: 3600, touchAfter: 60 });
  const data = { user: 'ada' };
  const header = (createdAgo: number, writtenAgo: number) => {
    const now = nowSeconds();
    return cookieHeaderOf(
      craftCookies({
        secret: SECRET,
        data,
        createdAt: now - createdAgo,
        writtenAt: now - writtenAgo,
      }),
    );
  };

  it('reads a fresh session and does not re-write it (within touchAfter)', async () => {
    const browser = new TestBrowser(running[0]!.url);
    const res = await browser.get('/session', { cookieHeader: header(10, 5) });
    expect(res.json).toEqual({ data, isNew: false });
    expect(res.setCookies).toEqual([]);
  });

  it.each([
    ['idle for longer than idleTimeout', 900, 700],
    ['older than absoluteTimeout though recently written', 4000, 5],
    ['written in the future', 10, -1000],
    ['written before it was created', 100, 200],
  ])(
    'treats a session %s as empty (status 200) and deletes its cookie',
    async (_, created, written) => {
      const browser = new TestBrowser(running[0]!.url);
      const res = await browser.get('/session', { cookieHeader: header(created, written) });
      expect(res.status).toBe(200);
      expect(res.json).toEqual(EMPTY);
      expect(res.setCookies).toEqual([DELETE_SESSION]);
    },
  );

  it('re-writes an unmodified session last written longer ago than touchAfter, keeping createdAt', async () => {
    const browser = new TestBrowser(running[0]!.url);
    const before = nowSeconds();
    const res = await browser.get('/session', { cookieHeader: header(500, 120) });
    expect(res.json).toEqual({ data, isNew: false });
    expect(res.setCookies).toHaveLength(1);
    const { name, value, attributes } = parseSetCookie(res.setCookies[0]!);
    expect(name).toBe('session');
    expect(attributes).toBe('; Path=/; HttpOnly; SameSite=Lax');
    const envelope = decodeEnvelope(
      createSealer([SECRET], 'encrypt').open('session', value.slice(2))!.plaintext,
    )!;
    expect(envelope.data).toEqual(data);
    expect(envelope.writtenAt).toBeGreaterThanOrEqual(before);
    expect(envelope.createdAt).toBeLessThanOrEqual(before - 500 + 1);
    expect(envelope.createdAt).toBeGreaterThanOrEqual(before - 500 - 1);
    // The re-written cookie is fresh: the next request writes nothing.
    expect(
      (await browser.get('/session', { cookieHeader: `session=${value}` })).setCookies,
    ).toEqual([]);
  });

  it('a session idle just under idleTimeout is still read (and touched)', async () => {
    const browser = new TestBrowser(running[0]!.url);
    const res = await browser.get('/session', { cookieHeader: header(590, 550) });
    expect(res.json).toEqual({ data, isNew: false });
    expect(res.setCookies).toHaveLength(1);
  });
});
