/**
 * The same hostile Cookie headers through the Express middleware (`chunkedSession()`): every
 * request reaches the route with an empty or intact session; nothing reaches Express's error
 * handler; `open()` stays bounded by maxTotalBytes.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import fc from 'fast-check';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chunkedSession } from '../../src/index.js';
import { RawClient, SECRET, cookieHeader, setCookieMap } from './harness.js';

const B64 = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'];
const headerChar = fc
  .oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff }))
  .map((c) => String.fromCharCode(c));

describe('the Express middleware under hostile Cookie headers', () => {
  let server: Server;
  let client: RawClient;
  const errors: unknown[] = [];
  let real: Map<string, string>;
  const data = { user: 'alice', note: 'n'.repeat(3000) };

  beforeAll(async () => {
    const app = express();
    app.use(express.json());
    // Several chunks in one response: the response budget is not what this file tests.
    app.use(
      chunkedSession({
        secret: SECRET,
        limits: { maxCookieBytes: 1200, maxResponseHeaderBytes: 32768 },
      }),
    );
    app.post('/write', (req, res) => {
      Object.assign(req.session, req.body);
      res.status(201).json({ ok: true });
    });
    app.get('/read', (req, res) => {
      res.json({ data: req.session });
    });
    app.use(
      (err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
        errors.push(err);
        res.status(500).json({ error: String(err) });
      },
    );
    server = createServer({ maxHeaderSize: 4 * 1024 * 1024 }, app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    client = new RawClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    const written = await client.post('/write', data);
    real = setCookieMap(written.setCookies);
  });

  afterAll(async () => {
    client.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('reads its own session back across several chunks', async () => {
    expect(real.size).toBeGreaterThanOrEqual(3);
    const res = await client.get('/read', cookieHeader(real));
    expect(res.json).toEqual({ data });
  });

  it('answers 200 with an empty or intact session for any header (300 inputs)', async () => {
    const values = [...real.values()];
    const names = [...real.keys()];
    const pair = fc.oneof(
      fc.tuple(fc.constantFrom(...names, 'session.9', 'other'), fc.constantFrom(...values)),
      fc.tuple(
        fc.constantFrom(...names),
        fc
          .tuple(
            fc.integer({ min: 0, max: 999 }),
            fc.string({ unit: fc.constantFrom(...B64), maxLength: 300 }),
          )
          .map(([n, s]) => `${n}.${s}`),
      ),
      fc.tuple(
        fc.string({ unit: headerChar, maxLength: 10 }),
        fc.string({ unit: headerChar, maxLength: 40 }),
      ),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(pair, { maxLength: 20 }), fc.boolean(), async (pairs, withReal) => {
        const header = [...(withReal ? [...real] : []), ...pairs]
          .map(([n, v]) => `${n}=${v}`)
          .join('; ');
        const res = await client.get('/read', header);
        expect(res.status).toBe(200);
        expect([{}, data]).toContainEqual(res.json.data);
      }),
      { numRuns: 300 },
    );
    expect(errors).toEqual([]);
  });

  it('answers a megabyte session cookie with an empty session', async () => {
    const res = await client.get('/read', `session=1.${'A'.repeat(2_000_000)}`);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ data: {} });
    expect(errors).toEqual([]);
  });
});
