/**
 * Secure defaults (issue 7): HttpOnly, SameSite=Lax, `secure: 'auto'` honouring Express
 * `trust proxy` (and a real TLS socket), store ids of at least 128 random bits, MAC and tag
 * comparisons in constant time, and no compression unless asked for (no length leak).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Body, Controller, Get, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import express from 'express';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeEnvelope } from '../../src/codec/envelope.js';
import { createSealer } from '../../src/codec/sealer.js';
import { newSessionId } from '../../src/core/session-id.js';
import {
  ChunkedSessionModule,
  MemoryStore,
  Session,
  SessionHandle,
  type ChunkedSessionOptions,
  type SessionHandle as Handle,
} from '../../src/index.js';
import { startNestApp, type RunningApp } from '../support/nest-app.js';
import { DELETE_ATTRIBUTES, RawClient, SECRET, cookieHeader, setCookieMap } from './harness.js';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

@Controller()
class DefaultsController {
  @Post('write')
  write(@Session() session: Record<string, unknown>) {
    session.user = 'u1';
    return { ok: true };
  }

  @Post('store')
  store(@Session() session: Record<string, unknown>, @Body() body: { value: unknown }) {
    session.value = body.value;
    return { ok: true };
  }

  @Post('logout')
  logout(@SessionHandle() handle: Handle) {
    handle.destroy();
    return { ok: true };
  }

  @Post('login')
  login(@SessionHandle() handle: Handle) {
    handle.regenerate();
    handle.data.user = 'after-login';
    return { ok: true };
  }

  @Get('read')
  read(@Session() session: Record<string, unknown>) {
    return { data: session };
  }
}

async function startWith(
  options: Omit<ChunkedSessionOptions, 'secret'>,
  trustProxy?: string,
): Promise<{ running: RunningApp; client: RawClient; close(): Promise<void> }> {
  @Module({
    imports: [ChunkedSessionModule.forRoot({ secret: SECRET, ...options })],
    controllers: [DefaultsController],
  })
  class DefaultsModule {}
  const running = await startNestApp(DefaultsModule, { trustProxy });
  const client = new RawClient(running.url);
  return {
    running,
    client,
    close: async () => {
      client.close();
      await running.close();
    },
  };
}

const ATTRIBUTES = '; Path=/; HttpOnly; SameSite=Lax';

describe('cookie attributes by default', () => {
  let plain: Awaited<ReturnType<typeof startWith>>;
  let proxied: Awaited<ReturnType<typeof startWith>>;

  beforeAll(async () => {
    plain = await startWith({});
    proxied = await startWith({}, 'loopback');
  });
  afterAll(async () => {
    await plain.close();
    await proxied.close();
  });

  it('are HttpOnly, SameSite=Lax, Path=/, host-only, browser-session, and not Secure over HTTP', async () => {
    const res = await plain.client.post('/write', {});
    expect(res.status).toBe(201);
    expect(res.setCookies).toHaveLength(1);
    expect(res.setCookies[0]).toMatch(
      new RegExp(`^session=1\\.[A-Za-z0-9_-]+${escape(ATTRIBUTES)}$`),
    );
    const out = await plain.client.post('/logout', {}, cookieHeader(setCookieMap(res.setCookies)));
    expect(out.setCookies).toEqual([`session=; ${DELETE_ATTRIBUTES}`]);
  });

  it("secure: 'auto' ignores X-Forwarded-Proto from a client when Express does not trust the proxy", async () => {
    const res = await plain.client.request('POST', '/write', {
      body: {},
      headers: { 'x-forwarded-proto': 'https' },
    });
    expect(res.setCookies[0]).toMatch(new RegExp(`^session=[^;]+${escape(ATTRIBUTES)}$`));
  });

  it("secure: 'auto' sets Secure behind a trusted proxy saying https, on writes and deletions", async () => {
    const https = { 'x-forwarded-proto': 'https' };
    const res = await proxied.client.request('POST', '/write', { body: {}, headers: https });
    expect(res.setCookies[0]).toMatch(
      new RegExp(`^session=[^;]+; Path=/; HttpOnly; Secure; SameSite=Lax$`),
    );
    const out = await proxied.client.request('POST', '/logout', {
      body: {},
      headers: https,
      cookie: cookieHeader(setCookieMap(res.setCookies)),
    });
    expect(out.setCookies).toEqual([
      'session=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax',
    ]);
    const http = await proxied.client.request('POST', '/write', {
      body: {},
      headers: { 'x-forwarded-proto': 'http' },
    });
    expect(http.setCookies[0]).toMatch(new RegExp(`^session=[^;]+${escape(ATTRIBUTES)}$`));
  });

  it('a __Host- name gets Secure over plain HTTP too', async () => {
    const host = await startWith({ cookieName: '__Host-s' });
    try {
      const res = await host.client.post('/write', {});
      expect(res.setCookies[0]).toMatch(
        /^__Host-s=1\.[A-Za-z0-9_-]+; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
      );
    } finally {
      await host.close();
    }
  });
});

describe("secure: 'auto' on a real TLS connection", () => {
  let dir: string;
  let server: ReturnType<typeof createHttpsServer>;
  let app: NestExpressApplication;
  let port: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    @Module({
      imports: [ChunkedSessionModule.forRoot({ secret: SECRET })],
      controllers: [DefaultsController],
    })
    class TlsModule {}
    const instance = express();
    app = await NestFactory.create<NestExpressApplication>(
      TlsModule,
      new ExpressAdapter(instance),
      {
        logger: false,
      },
    );
    await app.init();
    server = createHttpsServer(
      { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
      instance,
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sets Secure when the request came over TLS', async () => {
    const setCookies = await new Promise<string[]>((resolve, reject) => {
      const req = httpsRequest(
        { host: '127.0.0.1', port, path: '/write', method: 'POST', rejectUnauthorized: false },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.headers['set-cookie'] ?? []));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(setCookies).toHaveLength(1);
    expect(setCookies[0]).toMatch(
      /^session=1\.[A-Za-z0-9_-]+; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
    );
  });
});

describe('store ids', () => {
  it('come from crypto.randomBytes with at least 16 bytes (128 bits), base64url', () => {
    const source = readFileSync(join(SRC, 'core/session-id.ts'), 'utf8');
    const match = /randomBytes\((\d+)\)\.toString\('base64url'\)/.exec(source);
    expect(match).not.toBeNull();
    expect(Number(match![1])).toBeGreaterThanOrEqual(16);
    expect(source).toMatch(/import \{ randomBytes \} from 'node:crypto';/);
    expect(source).not.toMatch(/Math\.random|Date\.now|process\.hrtime/);
  });

  it('are distinct, at least 128 bits each, and their bits look uniform (1000 ids)', () => {
    const ids = Array.from({ length: 1000 }, () => newSessionId());
    expect(new Set(ids).size).toBe(ids.length);
    let ones = 0;
    let bits = 0;
    for (const id of ids) {
      expect(id).toMatch(/^[A-Za-z0-9_-]+$/);
      const bytes = Buffer.from(id, 'base64url');
      expect(bytes.length).toBeGreaterThanOrEqual(16);
      expect(bytes.toString('base64url')).toBe(id);
      for (const byte of bytes) {
        for (let b = byte; b; b >>= 1) ones += b & 1;
      }
      bits += bytes.length * 8;
    }
    // 192,000 bits: 0.5 ± 0.01 is about 9 standard deviations; a counter or a clock fails it.
    expect(Math.abs(ones / bits - 0.5)).toBeLessThan(0.01);
  });

  it('are what a store partition writes, new on regenerate (login), the old record deleted', async () => {
    const store = new MemoryStore();
    const app = await startWith({
      sessions: [{ cookieName: 'sid', fields: 'auto', store }],
    });
    try {
      const write = await app.client.post('/write', {});
      const cookies = cookieHeader(setCookieMap(write.setCookies));
      const ids = await collect(store.ids());
      expect(ids).toHaveLength(1);
      expect(Buffer.from(ids[0]!, 'base64url').length).toBeGreaterThanOrEqual(16);
      const login = await app.client.post('/login', {}, cookies);
      expect(login.status).toBe(201);
      const after = await collect(store.ids());
      expect(after).toHaveLength(1);
      expect(after[0]).not.toBe(ids[0]);
      // The cookie from before the login no longer opens a session (no fixation).
      const replay = await app.client.get('/read', cookies);
      expect(replay.json.data).toEqual({});
      expect(replay.setCookies).toEqual([`sid=; ${DELETE_ATTRIBUTES}`]);
      const fresh = await app.client.get('/read', cookieHeader(setCookieMap(login.setCookies)));
      expect(fresh.json.data).toEqual({ user: 'after-login' });
    } finally {
      await app.close();
    }
  });
});

describe('MAC and tag comparisons', () => {
  const source = readFileSync(join(SRC, 'codec/sealer.ts'), 'utf8');

  it('the HMAC is compared with crypto.timingSafeEqual, and with nothing else', () => {
    expect(source).toMatch(/import \{[^}]*\btimingSafeEqual\b[^}]*\} from 'node:crypto';/);
    expect(source).toMatch(/createHmac\(\s*'sha256'/);
    expect(source).toMatch(
      /if \(\s*!timingSafeEqual\(\s*\w+,\s*bytes\.subarray\(\s*bytes\.length - MAC\s*\)\s*\)\s*\)\s*return undefined;/,
    );
    // No early-exit comparison of secret-dependent bytes anywhere in the sealer.
    expect(source).not.toMatch(/\.equals\(|Buffer\.compare|\.compare\(/);
    expect(source).not.toMatch(/expected\s*[!=]==|[!=]==\s*expected/);
  });

  it('the AES-GCM tag is checked by node:crypto (setAuthTag, then final), with the full 16 bytes', () => {
    expect(source).toMatch(/createDecipheriv\(\s*'aes-256-gcm'/);
    expect(source).toMatch(
      /decipher\.setAuthTag\(\s*bytes\.subarray\(\s*bytes\.length - TAG\s*\)\s*\)/,
    );
    expect(source).toMatch(/decipher\.final\(\)/);
    expect(source).toMatch(/const TAG = 16;/);
    expect(source).not.toMatch(/getAuthTag\(\)\s*\.\s*(equals|compare)/);
  });

  it.each(['encrypt', 'sign'] as const)(
    '%s: a changed last byte, a changed first byte of the MAC/tag, or a shortened one never opens',
    (protection) => {
      const sealer = createSealer([SECRET], protection);
      const plaintext = encodeEnvelope(
        1,
        1,
        JSON.stringify({ a: randomBytes(8).toString('hex') }),
        false,
        false,
      );
      const sealed = sealer.seal('session', plaintext);
      expect(sealer.open('session', sealed)?.plaintext.equals(plaintext)).toBe(true);
      const bytes = Buffer.from(sealed, 'base64url');
      const macLength = protection === 'sign' ? 32 : 16;
      for (const at of [bytes.length - 1, bytes.length - macLength]) {
        for (const mask of [1, 0x80, 0xff]) {
          const changed = Buffer.from(bytes);
          changed[at]! ^= mask;
          expect(sealer.open('session', changed.toString('base64url'))).toBeUndefined();
        }
      }
      for (const cut of [1, 4, 12, macLength]) {
        expect(
          sealer.open('session', bytes.subarray(0, bytes.length - cut).toString('base64url')),
        ).toBeUndefined();
      }
    },
  );
});

describe('compression is off by default (no length leak of secret and attacker data together)', () => {
  let app: Awaited<ReturnType<typeof startWith>>;
  let compressing: Awaited<ReturnType<typeof startWith>>;

  beforeAll(async () => {
    app = await startWith({});
    compressing = await startWith({ compress: true });
  });
  afterAll(async () => {
    await app.close();
    await compressing.close();
  });

  it('a session that repeats its own secret is exactly as long as one that does not', async () => {
    // Sealed directly with the library's sealer and envelope: what the engine writes.
    const sealer = createSealer([SECRET], 'encrypt');
    const token = 'tok_7f3a9c2e5b1d8f4a6c0e2b9d7f1a3c5e';
    const seal = (guess: string, compress: boolean) =>
      sealer.seal(
        'session',
        encodeEnvelope(1, 1, JSON.stringify({ token, guess }), false, compress),
      ).length;
    const right = 'tok_7f3a9c2e5b1d8f4a6c0e2b9d7f1a3c5e';
    const wrong = 'tok_0000000000000000000000000000000x';
    expect(right.length).toBe(wrong.length);
    expect(seal(right, false)).toBe(seal(wrong, false));
    // With compression the right guess is shorter: the leak the default avoids.
    expect(seal(right, true)).toBeLessThan(seal(wrong, true));
  });

  it('the application writes compressible and random data of one length as cookies of one length', async () => {
    const random = randomBytes(1500).toString('base64url').slice(0, 2000);
    const repeated = 'a'.repeat(random.length);
    const lengths: number[] = [];
    for (const value of [random, repeated]) lengths.push(await cookieLength(app, value));
    expect(lengths[0]).toBe(lengths[1]);
    const squeezed = await cookieLength(compressing, repeated);
    expect(squeezed).toBeLessThan(lengths[1]!);
  });
});

/** Writes `{ value }` through a route that stores the body, and sums the cookies' name=value bytes. */
async function cookieLength(app: { client: RawClient }, value: string): Promise<number> {
  const res = await app.client.request('POST', '/store', { body: { value } });
  expect(res.status).toBe(201);
  return res.setCookies.reduce((sum, line) => sum + line.split(';', 1)[0]!.length, 0);
}

async function collect(ids: AsyncIterable<string> | undefined): Promise<string[]> {
  const out: string[] = [];
  if (ids) for await (const id of ids) out.push(id);
  return out;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
