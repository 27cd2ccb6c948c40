/**
 * docs/FORMAT.md is kept true: a reader and a writer written from that page alone (node:crypto,
 * nothing of the library's) open the cookies a real application writes, and write cookies it
 * reads; the page's worked example is checked byte for byte.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  hkdfSync,
  randomBytes,
} from 'node:crypto';
import { readFileSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Body, Controller, Get, Module, Post } from '@nestjs/common';
import { encodeEnvelope } from '../../src/codec/envelope.js';
import { createSealer } from '../../src/codec/sealer.js';
import {
  ChunkedSessionModule,
  MemoryStore,
  Session,
  SessionHandle,
  type ChunkedSessionOptions,
} from '../../src/index.js';
import { TestBrowser } from '../support/browser.js';
import { startNestApp, type RunningApp } from '../support/nest-app.js';

const FORMAT = readFileSync(new URL('../../docs/FORMAT.md', import.meta.url), 'utf8');
const SECRET = 'a-format-test-secret-that-is-long-enough';

// ---- Written from docs/FORMAT.md -------------------------------------------------------------

type Mode = 'encrypt' | 'sign';
const INFO: Record<Mode, string> = {
  encrypt: 'nestjs-chunked-session aes-256-gcm v1',
  sign: 'nestjs-chunked-session hmac-sha256 v1',
};

function docKey(secret: string, mode: Mode): { key: Buffer; id: Buffer } {
  const key = Buffer.from(
    hkdfSync(
      'sha256',
      Buffer.from(secret, 'utf8'),
      Buffer.from('nestjs-chunked-session'),
      Buffer.from(INFO[mode]),
      32,
    ),
  );
  return { key, id: createHmac('sha256', key).update('key id').digest().subarray(0, 4) };
}

function docEnvelope(flags: number, createdAt: number, writtenAt: number, body: Buffer): Buffer {
  const header = Buffer.alloc(9);
  header[0] = flags;
  header.writeUInt32BE(createdAt, 1);
  header.writeUInt32BE(writtenAt, 5);
  return Buffer.concat([header, body]);
}

function docParseEnvelope(bytes: Buffer) {
  const flags = bytes[0]!;
  const raw = bytes.subarray(9);
  const body = flags & 1 ? inflateRawSync(raw) : raw;
  return {
    flags,
    createdAt: bytes.readUInt32BE(1),
    writtenAt: bytes.readUInt32BE(5),
    value: JSON.parse(body.toString('utf8')) as unknown,
  };
}

function docMac(key: Buffer, name: string, signed: Buffer): Buffer {
  return createHmac('sha256', key)
    .update(Buffer.concat([Buffer.from(name, 'utf8'), Buffer.from([0]), signed]))
    .digest();
}

function docSeal(mode: Mode, secret: string, name: string, envelope: Buffer): string {
  const { key, id } = docKey(secret, mode);
  if (mode === 'sign') {
    const signed = Buffer.concat([Buffer.from([2]), id, envelope]);
    return Buffer.concat([signed, docMac(key, name, signed)]).toString('base64url');
  }
  // Version 3: a sub-key from a random 8-byte salt (a writer may keep one for many seals).
  const salt = randomBytes(8);
  const header = Buffer.concat([Buffer.from([3]), id, salt]);
  return docGcm(docSubKey(key, salt), header, name, envelope);
}

/** The sub-key of version 3: HKDF-SHA256 from the key, with the value's salt. */
function docSubKey(key: Buffer, salt: Buffer): Buffer {
  return Buffer.from(
    hkdfSync('sha256', key, salt, Buffer.from('nestjs-chunked-session aes-256-gcm v3 sub-key'), 32),
  );
}

/** `header ‖ IV ‖ ciphertext ‖ tag`, with `header ‖ name` as AAD. */
function docGcm(key: Buffer, header: Buffer, name: string, envelope: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.concat([header, Buffer.from(name, 'utf8')]));
  const body = Buffer.concat([cipher.update(envelope), cipher.final()]);
  return Buffer.concat([header, iv, body, cipher.getAuthTag()]).toString('base64url');
}

/** Version 1, as written before sub-keys: still opened. */
function docSealV1(secret: string, name: string, envelope: Buffer): string {
  const { key, id } = docKey(secret, 'encrypt');
  return docGcm(key, Buffer.concat([Buffer.from([1]), id]), name, envelope);
}

function docOpen(mode: Mode, secret: string, name: string, text: string): Buffer {
  expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
  const bytes = Buffer.from(text, 'base64url');
  expect(bytes.toString('base64url')).toBe(text); // the canonical spelling
  const { key, id } = docKey(secret, mode);
  expect(bytes.subarray(1, 5)).toEqual(id);
  if (mode === 'sign') {
    expect(bytes[0]).toBe(2);
    const signed = bytes.subarray(0, bytes.length - 32);
    expect(bytes.subarray(bytes.length - 32)).toEqual(docMac(key, name, signed));
    return Buffer.from(signed.subarray(5));
  }
  expect([1, 3]).toContain(bytes[0]);
  // Version 1: the key itself, header 5 bytes; version 3: the sub-key of the salt, header 13.
  const headerLength = bytes[0] === 3 ? 13 : 5;
  const gcmKey = bytes[0] === 3 ? docSubKey(key, bytes.subarray(5, 13)) : key;
  const decipher = createDecipheriv(
    'aes-256-gcm',
    gcmKey,
    bytes.subarray(headerLength, headerLength + 12),
  );
  decipher.setAAD(Buffer.concat([bytes.subarray(0, headerLength), Buffer.from(name, 'utf8')]));
  decipher.setAuthTag(bytes.subarray(bytes.length - 16));
  return Buffer.concat([
    decipher.update(bytes.subarray(headerLength + 12, bytes.length - 16)),
    decipher.final(),
  ]);
}

/** The sealed text of the set `name` in `cookies`, checking the chunk rules of section 4. */
function docJoin(cookies: Map<string, string>, name: string): string {
  const first = cookies.get(name)!;
  const match = /^([1-9][0-9]{0,2})\.(.*)$/.exec(first)!;
  expect(match).not.toBeNull();
  const k = Number(match[1]);
  const pieces = [match[2]!];
  for (let i = 1; i < k; i++) pieces.push(cookies.get(`${name}.${i}`)!);
  expect(pieces.every((p) => typeof p === 'string')).toBe(true);
  expect(cookies.has(`${name}.${k}`)).toBe(false);
  return pieces.join('');
}

/** Splits sealed text into `k` cookies of the given piece lengths (the last takes the rest). */
function docSplit(name: string, sealed: string, lengths: number[]): string {
  const pieces: string[] = [];
  let at = 0;
  for (const length of lengths) {
    pieces.push(sealed.slice(at, at + length));
    at += length;
  }
  pieces.push(sealed.slice(at));
  return pieces
    .map((piece, i) => (i === 0 ? `${name}=${pieces.length}.${piece}` : `${name}.${i}=${piece}`))
    .join('; ');
}

/** Section 5.3–5.4: the envelope of the delta set `name`, checking every rule of the page. */
function docOpenDelta(mode: Mode, cookies: Map<string, string>, name: string) {
  const first = cookies.get(name)!;
  expect(first.startsWith('d1.')).toBe(true);
  const manifest = docOpen(mode, SECRET, name, first.slice(3));
  expect(manifest[0]! & 0x80).toBe(0x80);
  expect(manifest[0]! & 0x78).toBe(0);
  const n = manifest[9]!;
  expect(manifest.length).toBe(10 + 14 * n);
  const pieces: Buffer[] = [];
  const slots: number[] = [];
  for (let j = 0; j < n; j++) {
    const slot = manifest.readUInt16BE(10 + 14 * j);
    slots.push(slot);
    const value = cookies.get(`${name}.${slot}`)!;
    expect(typeof value).toBe('string');
    const digest = createHash('sha256').update(Buffer.from(value, 'ascii')).digest();
    expect(digest.subarray(0, 12)).toEqual(manifest.subarray(12 + 14 * j, 24 + 14 * j));
    pieces.push(docOpen(mode, SECRET, `${name} piece`, value));
  }
  expect(new Set(slots).size).toBe(n);
  const envelope = Buffer.concat([
    Buffer.from([manifest[0]! & 0x07]),
    manifest.subarray(1, 9),
    ...pieces,
  ]);
  return { envelope, pieces, slots };
}

/** Section 5.1: the cut points of `body`, from the page alone. */
function docCuts(secret: string, body: Buffer, max = 1536): number[] {
  const table = Buffer.from(
    hkdfSync(
      'sha256',
      Buffer.from(secret, 'utf8'),
      Buffer.from('nestjs-chunked-session'),
      Buffer.from('nestjs-chunked-session content cuts v1'),
      1024,
    ),
  );
  const G = (b: number) => table.readInt32BE(b * 4) >>> 0;
  const min = 96;
  const ends: number[] = [];
  let s = 0;
  while (s < body.length) {
    let end = Math.min(body.length, s + max);
    let h = 0;
    for (let i = Math.max(s, s + min - 32); i < Math.min(body.length, s + max); i++) {
      h = (2 * h + G(body[i]!)) % 2 ** 32;
      if ((h & 0xff000000) === 0 && i + 1 - s >= min) {
        end = i + 1;
        break;
      }
    }
    ends.push(end);
    s = end;
  }
  return ends;
}

/** Section 5: a delta set written from the page: pieces at the given slots, then the manifest. */
function docDeltaSet(mode: Mode, name: string, envelope: Buffer, slots: number[]): string {
  const body = envelope.subarray(9);
  const ends = docCuts(SECRET, body);
  expect(ends.length).toBe(slots.length);
  const manifest = Buffer.alloc(10 + 14 * ends.length);
  manifest[0] = 0x80 | envelope[0]!;
  envelope.copy(manifest, 1, 1, 9);
  manifest[9] = ends.length;
  const cookies: string[] = [];
  ends.forEach((end, j) => {
    const value = docSeal(mode, SECRET, `${name} piece`, body.subarray(j ? ends[j - 1] : 0, end));
    manifest.writeUInt16BE(slots[j]!, 10 + 14 * j);
    createHash('sha256')
      .update(value)
      .digest()
      .copy(manifest, 12 + 14 * j, 0, 12);
    cookies.push(`${name}.${slots[j]}=${value}`);
  });
  return [`${name}=d1.${docSeal(mode, SECRET, name, manifest)}`, ...cookies].join('; ');
}

// ---- An application that writes and reads sessions ---------------------------------------------

@Controller()
class FormatController {
  @Get('read')
  read(@Session() session: Record<string, unknown>) {
    return session;
  }

  @Post('write')
  write(@Session() session: Record<string, unknown>, @Body() body: Record<string, unknown>) {
    Object.assign(session, body);
    return { ok: true };
  }

  /** Writes the body into a remembered session ("keep me signed in"). */
  @Post('write-remembered')
  writeRemembered(
    @Session() session: Record<string, unknown>,
    @SessionHandle() handle: SessionHandle,
    @Body() body: Record<string, unknown>,
  ) {
    Object.assign(session, body);
    handle.remember();
    return { ok: true };
  }

  @Get('remembered')
  remembered(@Session() session: Record<string, unknown>, @SessionHandle() handle: SessionHandle) {
    return { session, isRemembered: handle.isRemembered };
  }
}

async function startApp(options: ChunkedSessionOptions): Promise<RunningApp> {
  @Module({ imports: [ChunkedSessionModule.forRoot(options)], controllers: [FormatController] })
  class FormatModule {}
  return startNestApp(FormatModule);
}

/** name → value of the Set-Cookie lines that set (not delete) a cookie. */
function setCookies(lines: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of lines) {
    const [pair] = line.split(';');
    const eq = pair!.indexOf('=');
    if (eq > 0 && eq < pair!.length - 1) out.set(pair!.slice(0, eq), pair!.slice(eq + 1));
  }
  return out;
}

const bigData = () => ({
  cart: Array.from({ length: 60 }, (_, i) => ({
    id: `p${String(i).padStart(3, '0')}`,
    qty: i % 4,
  })),
  note: 'é ✓ — non-ASCII survives',
});

describe('docs/FORMAT.md', () => {
  it('section 6: the worked example is what the library writes, byte for byte', () => {
    const cell = (label: string) =>
      new RegExp(`^\\| ${label} \\| (.*) \\|$`, 'm').exec(FORMAT)![1]!.replace(/[`\s]/g, '');
    const secret = cell('secret');
    const created = 1767225600;
    const data = JSON.stringify({ cart: ['p001'] });
    expect(FORMAT).toContain(`created and written at \`${created}\``);
    expect(FORMAT).toContain(`data \`${data}\``);

    const { key, id } = docKey(secret, 'sign');
    expect(key.toString('hex')).toBe(cell('sign key'));
    expect(id.toString('hex')).toBe(cell('key id'));
    const envelope = docEnvelope(0, created, created, Buffer.from(data));
    expect(envelope.toString('hex')).toBe(cell('envelope'));
    const signed = Buffer.concat([Buffer.from([2]), id, envelope]);
    expect(docMac(key, 'session', signed).toString('hex')).toBe(cell('MAC'));
    expect(signed.length + 32).toBe(63);

    const cookie = /^session=(1\.[A-Za-z0-9_-]+)$/m.exec(FORMAT)![1]!;
    expect(cookie).toBe(`1.${docSeal('sign', secret, 'session', envelope)}`);
    // The library, given the same envelope, seals the same bytes.
    const library = createSealer([secret], 'sign');
    expect(library.seal('session', encodeEnvelope(created, created, data, false, false))).toBe(
      cookie.slice(2),
    );

    const encrypt = docKey(secret, 'encrypt');
    expect(FORMAT).toContain(
      `derives the key\n\`${encrypt.key.toString('hex')}\` with key id \`${encrypt.id.toString('hex')}\``,
    );
    const sealed = createSealer([secret], 'encrypt').seal('session', envelope);
    expect(`1.${sealed}`.startsWith('1.A2P3HJ')).toBe(true);
    expect(FORMAT).toContain('its\ncookies start with `1.A2P3HJ`');
    expect(Buffer.from(sealed, 'base64url')[0]).toBe(3);
    expect(docOpen('encrypt', secret, 'session', sealed)).toEqual(envelope);
  });

  for (const mode of ['encrypt', 'sign'] as const) {
    describe(`protection: '${mode}'`, () => {
      let app: RunningApp;
      beforeAll(async () => {
        // Small cookies, so the session needs several chunks.
        app = await startApp({
          secret: SECRET,
          protection: mode,
          // Small cookies, and room in the response for the whole single value.
          limits: { maxCookieBytes: 600, maxResponseHeaderBytes: 16384 },
        });
      });
      afterAll(() => app.close());

      it('a reader written from the page opens the chunked cookies the app writes', async () => {
        const browser = new TestBrowser(app.url);
        const before = Math.floor(Date.now() / 1000);
        const written = await browser.post('/write', bigData());
        const after = Math.floor(Date.now() / 1000);
        const cookies = setCookies(written.setCookies);
        const k = Number(/^([0-9]+)\./.exec(cookies.get('session')!)![1]);
        expect(k).toBeGreaterThanOrEqual(4);
        expect([...cookies.keys()]).toEqual([
          'session',
          ...Array.from({ length: k - 1 }, (_, i) => `session.${i + 1}`),
        ]);
        const envelope = docParseEnvelope(
          docOpen(mode, SECRET, 'session', docJoin(cookies, 'session')),
        );
        expect(envelope.flags).toBe(0);
        // A new session: created when the request was read, written when it was answered (the
        // same second, or the next one when the request straddles a second's boundary).
        expect(envelope.writtenAt - envelope.createdAt).toBeGreaterThanOrEqual(0);
        expect(envelope.writtenAt - envelope.createdAt).toBeLessThanOrEqual(1);
        expect(envelope.createdAt).toBeGreaterThanOrEqual(before);
        expect(envelope.createdAt).toBeLessThanOrEqual(after);
        expect(envelope.value).toEqual(bigData());
        // Not sealed for another name: the same text does not open as `other`.
        expect(() => docOpen(mode, SECRET, 'other', docJoin(cookies, 'session'))).toThrow();
      });

      it('the app reads cookies written from the page, and refuses broken sets', async () => {
        const now = Math.floor(Date.now() / 1000);
        const envelope = docEnvelope(0, now - 60, now - 30, Buffer.from(JSON.stringify(bigData())));
        const sealed = docSeal(mode, SECRET, 'session', envelope);
        const header = docSplit('session', sealed, [300, 400]);
        const browser = new TestBrowser(app.url);
        const read = (cookieHeader: string) => browser.get('/read', { cookieHeader });

        const good = await read(header);
        expect(good.json).toEqual(bigData());
        expect(good.setCookies).toEqual([]); // written 30 s ago: not due for a touch
        // A missing chunk, a stale extra chunk, a changed count, another name: all empty.
        expect((await read(header.replace(/; session\.1=[^;]*/, ''))).json).toEqual({});
        expect((await read(`${header}; session.3=AAAA`)).json).toEqual({});
        expect((await read(header.replace('session=3.', 'session=2.'))).json).toEqual({});
        expect(
          (await read(docSplit('session', docSeal(mode, SECRET, 'other', envelope), [300, 400])))
            .json,
        ).toEqual({});
        // Timestamps: idle for longer than idleTimeout (86400 s) reads as empty.
        const idle = docEnvelope(0, now - 90000, now - 86401, Buffer.from('{"a":1}'));
        expect(
          (await read(docSplit('session', docSeal(mode, SECRET, 'session', idle), []))).json,
        ).toEqual({});
        const live = docEnvelope(0, now - 90000, now - 86000, Buffer.from('{"a":1}'));
        expect(
          (await read(docSplit('session', docSeal(mode, SECRET, 'session', live), []))).json,
        ).toEqual({ a: 1 });
        // A spelling that is not canonical (same bytes, other unused low bits): empty.
        const overhead = mode === 'encrypt' ? 41 : 37;
        const json = ['{"a":12}', '{"a":123}'].find((j) => (overhead + 9 + j.length) % 3 !== 0)!;
        const odd = docEnvelope(0, now, now, Buffer.from(json));
        const text = docSeal(mode, SECRET, 'session', odd);
        expect(text.length % 4).not.toBe(0); // the last character has unused bits
        const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
        const twin = text.slice(0, -1) + alphabet[alphabet.indexOf(text.at(-1)!) ^ 1];
        expect(Buffer.from(twin, 'base64url')).toEqual(Buffer.from(text, 'base64url'));
        expect((await read(docSplit('session', text, []))).json).toEqual(JSON.parse(json));
        expect((await read(docSplit('session', twin, []))).json).toEqual({});
        if (mode === 'encrypt') {
          // Version 1 (sealed before sub-keys) still opens; changed, it reads as empty.
          const v1 = docSealV1(SECRET, 'session', envelope);
          expect(Buffer.from(v1, 'base64url')[0]).toBe(1);
          expect((await read(docSplit('session', v1, [300, 400]))).json).toEqual(bigData());
          const v1Twin = v1.slice(0, 20) + (v1[20] === 'A' ? 'B' : 'A') + v1.slice(21);
          expect((await read(docSplit('session', v1Twin, [300, 400]))).json).toEqual({});
          // Version 1's layout under version 3's byte: empty.
          const relabelled = Buffer.from(v1, 'base64url');
          relabelled[0] = 3;
          const text3 = relabelled.toString('base64url');
          expect((await read(docSplit('session', text3, [300, 400]))).json).toEqual({});
        }
        // An unknown flag bit: empty.
        const flagged = docEnvelope(8, now, now, Buffer.from('{"a":1}'));
        expect(
          (await read(docSplit('session', docSeal(mode, SECRET, 'session', flagged), []))).json,
        ).toEqual({});
      });
    });
  }

  for (const mode of ['encrypt', 'sign'] as const) {
    describe(`section 5, the delta set, protection: '${mode}' (default limits)`, () => {
      let app: RunningApp;
      beforeAll(async () => {
        app = await startApp({ secret: SECRET, protection: mode });
      });
      afterAll(() => app.close());
      const history = (from: number, length = 70) => ({
        history: Array.from({ length }, (_, i) => ({
          id: `p${String(from + i).padStart(5, '0')}`,
          title: `Product ${((from + i) * 7919) % 1000} — é`,
        })),
      });

      it('a reader written from the page opens the delta set, cut where the page says; a write sends only new pieces', async () => {
        const browser = new TestBrowser(app.url);
        // Grown in two writes: one response (4 KB with nginx's default) carries at most that much
        // of new pieces, so a first write as large as the whole set would not fit it.
        expect((await browser.post('/write', history(0, 40))).status).toBe(201);
        const first = await browser.post('/write', history(0));
        expect(first.status).toBe(201);
        const written = setCookies(first.setCookies);
        expect(written.get('session')!.startsWith('d1.')).toBe(true);
        const opened = docOpenDelta(mode, await browser.cookies(), 'session');
        const envelope = docParseEnvelope(opened.envelope);
        expect(envelope.flags).toBe(0);
        expect(envelope.value).toEqual(history(0));
        // The pieces are the body cut at the page's cut points.
        const body = opened.envelope.subarray(9);
        const ends = docCuts(SECRET, body);
        expect(opened.pieces.map((p) => p.length)).toEqual(
          ends.map((end, i) => end - (i ? ends[i - 1]! : 0)),
        );
        // One entry more at the end, one fewer at the front: the manifest and a few new pieces.
        const before = await browser.cookies();
        const second = await browser.post('/write', history(1));
        const sent = setCookies(second.setCookies);
        expect(sent.size).toBeLessThanOrEqual(5);
        const after = await browser.cookies();
        const again = docOpenDelta(mode, after, 'session');
        expect(docParseEnvelope(again.envelope).value).toEqual(history(1));
        for (const slot of again.slots) {
          const name = `session.${slot}`;
          if (!sent.has(name)) expect(after.get(name)).toBe(before.get(name));
        }
      });

      it('the app reads a delta set written from the page, and refuses a mixed one', async () => {
        const now = Math.floor(Date.now() / 1000);
        const data = history(5);
        const envelope = docEnvelope(0, now - 60, now - 30, Buffer.from(JSON.stringify(data)));
        const n = docCuts(SECRET, envelope.subarray(9)).length;
        const header = docDeltaSet(
          mode,
          'session',
          envelope,
          Array.from({ length: n }, (_, i) => 3 * i + 2),
        );
        const browser = new TestBrowser(app.url);
        const good = await browser.get('/read', { cookieHeader: header });
        expect(good.json).toEqual(data);
        expect(good.setCookies).toEqual([]);
        // A piece from another write in one slot: empty.
        // Another write: its first entry differs, so its first piece does (in either mode).
        const changed = {
          history: [{ ...data.history[0]!, title: 'changed' }, ...data.history.slice(1)],
        };
        const otherEnvelope = docEnvelope(
          0,
          now - 60,
          now - 20,
          Buffer.from(JSON.stringify(changed)),
        );
        const other = docDeltaSet(
          mode,
          'session',
          otherEnvelope,
          Array.from(
            { length: docCuts(SECRET, otherEnvelope.subarray(9)).length },
            (_, i) => 3 * i + 2,
          ),
        );
        const foreign = other.split('; ')[1]!;
        const mixed = header
          .split('; ')
          .map((c) => (c.startsWith(foreign.split('=')[0]! + '=') ? foreign : c));
        expect((await browser.get('/read', { cookieHeader: mixed.join('; ') })).json).toEqual({});
        // The manifest under the single value's prefix, and a version the reader does not know.
        const manifest = header.split('; ')[0]!.slice('session=d1.'.length);
        for (const prefix of ['1.', 'd2.']) {
          const changed = header.replace(`session=d1.${manifest}`, `session=${prefix}${manifest}`);
          expect((await browser.get('/read', { cookieHeader: changed })).json).toEqual({});
        }
      });
    });
  }

  describe('section 2, flag 0x04: a remembered session', () => {
    let app: RunningApp;
    const REMEMBER = { maxAge: 7200, idleTimeout: 3600 };
    beforeAll(async () => {
      app = await startApp({ secret: SECRET, idleTimeout: 600, remember: REMEMBER });
    });
    afterAll(() => app.close());
    const read = (cookieHeader: string) =>
      new TestBrowser(app.url).get('/remembered', { cookieHeader });

    it('the app seals a remembered session with flag 0x04, and its cookies carry Max-Age', async () => {
      const browser = new TestBrowser(app.url);
      const written = await browser.post('/write-remembered', { user: 'ada' });
      expect(written.setCookies).toHaveLength(1);
      expect(written.setCookies[0]).toMatch(
        /^session=[^;]+; Max-Age=7200; Path=\/; Expires=[^;]+; HttpOnly; SameSite=Lax$/,
      );
      const cookies = setCookies(written.setCookies);
      const envelope = docParseEnvelope(
        docOpen('encrypt', SECRET, 'session', docJoin(cookies, 'session')),
      );
      expect(envelope.flags).toBe(4);
      expect(envelope.value).toEqual({ user: 'ada' });
    });

    it('the app reads flag 0x04 from the page: the remembered idle window, not idleTimeout', async () => {
      const now = Math.floor(Date.now() / 1000);
      const body = Buffer.from('{"user":"ada"}');
      const seal = (flags: number, writtenAgo: number) =>
        docSplit(
          'session',
          docSeal(
            'encrypt',
            SECRET,
            'session',
            docEnvelope(flags, now - 4000, now - writtenAgo, body),
          ),
          [],
        );
      // Idle 3000 s: past idleTimeout (600), within remember.idleTimeout (3600).
      expect((await read(seal(4, 3000))).json).toEqual({
        session: { user: 'ada' },
        isRemembered: true,
      });
      expect((await read(seal(0, 3000))).json).toEqual({ session: {}, isRemembered: false });
      expect((await read(seal(4, 3700))).json).toEqual({ session: {}, isRemembered: false });
      // Written recently without the flag (as every cookie before 0x04 existed): plain.
      expect((await read(seal(0, 30))).json).toEqual({
        session: { user: 'ada' },
        isRemembered: false,
      });
    });

    it('a delta set carries the flag in its manifest (0x80 | 0x04)', async () => {
      const now = Math.floor(Date.now() / 1000);
      const data = {
        history: Array.from({ length: 70 }, (_, i) => ({
          id: `p${String(i).padStart(5, '0')}`,
          title: `Product ${(i * 7919) % 1000} — é`,
        })),
      };
      const envelope = docEnvelope(4, now - 4000, now - 3000, Buffer.from(JSON.stringify(data)));
      const n = docCuts(SECRET, envelope.subarray(9)).length;
      expect(n).toBeGreaterThan(1);
      const header = docDeltaSet(
        'encrypt',
        'session',
        envelope,
        Array.from({ length: n }, (_, i) => i + 1),
      );
      const res = await read(header);
      expect(res.json).toEqual({ session: data, isRemembered: true });
      // Idle past touchAfter: re-written, still a delta set, its manifest still flagged.
      const jar = new Map(header.split('; ').map((c) => c.split('=', 2) as [string, string]));
      for (const [name, value] of setCookies(res.setCookies)) jar.set(name, value);
      expect(jar.get('session')!.startsWith('d1.')).toBe(true);
      const rewritten = docParseEnvelope(docOpenDelta('encrypt', jar, 'session').envelope);
      expect(rewritten.flags).toBe(4);
      expect(rewritten.value).toEqual(data);
      expect(rewritten.writtenAt).toBeGreaterThanOrEqual(now);
    });
  });

  describe('store partitions and compression', () => {
    let app: RunningApp;
    const store = new MemoryStore();
    beforeAll(async () => {
      app = await startApp({
        secret: SECRET,
        compress: true,
        sessions: [
          { cookieName: 'sid', fields: ['user'], store },
          { cookieName: 'session', fields: 'auto' },
        ],
      });
    });
    afterAll(() => app.close());

    it('a store partition carries a 32-character id (flag 0x02); compressed bodies are raw DEFLATE (flag 0x01)', async () => {
      const browser = new TestBrowser(app.url);
      const data = {
        user: { name: 'ada' },
        list: Array.from({ length: 200 }, () => 'same words again'),
      };
      const written = await browser.post('/write', data);
      const cookies = setCookies(written.setCookies);
      expect([...cookies.keys()]).toEqual(['sid', 'session']);

      const sid = docParseEnvelope(docOpen('encrypt', SECRET, 'sid', docJoin(cookies, 'sid')));
      expect(sid.flags).toBe(2);
      expect(sid.value).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(await store.get(sid.value as string)).toEqual({ user: { name: 'ada' } });

      const opened = docOpen('encrypt', SECRET, 'session', docJoin(cookies, 'session'));
      const session = docParseEnvelope(opened);
      expect(session.flags).toBe(1);
      expect(session.value).toEqual({ list: data.list });
      expect(opened.length).toBeLessThan(JSON.stringify({ list: data.list }).length);
    });
  });
});
