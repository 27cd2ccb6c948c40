/**
 * `compress: true` (API.md section 1): a compressible session takes fewer cookies than without,
 * fits where the uncompressed one must be shrunk, and reads back intact.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { IncomingMessage } from 'node:http';
import type { ShrinkEvent } from '../../../src/index.js';
import { startNestApp, type RunningApp } from '../../support/nest-app.js';
import { setGetAppModule } from '../fixtures/set-get.controller.js';
import { byteLength, isDeletion, JarClient, lineName } from '../limits/jar-client.js';

const SECRET = 'a-compress-test-secret-long-enough-012345678';
const UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

type Data = Record<string, unknown>;
const events: { compress: boolean; event: ShrinkEvent }[] = [];

/** `x-wide` raises the total to 60000 bytes (the server's header limit is raised to match). */
const limits = (req: IncomingMessage) => (req.headers['x-wide'] ? { maxTotalBytes: 60000 } : {});

const moduleWith = (compress: boolean) =>
  setGetAppModule({
    secret: SECRET,
    compress,
    limits,
    onShrink: (event) => events.push({ compress, event }),
  });

/** About 20 KB of JSON that compresses well: a cart of similar line items. */
const cart = (): Data => ({
  user: { id: 'u-1842', name: 'Zoë Ångström', locale: 'sv-SE' },
  cart: Array.from({ length: 160 }, (_, i) => ({
    sku: `SKU-${String(100000 + i * 7)}`,
    title: `Organic cotton t-shirt, size ${['S', 'M', 'L', 'XL'][i % 4]}, colour ${['black', 'white', 'navy'][i % 3]}`,
    quantity: 1 + (i % 3),
    price: { amount: 1999 + (i % 5) * 100, currency: 'EUR' },
  })),
});

describe('compress: true', () => {
  let plain: RunningApp;
  let compressed: RunningApp;
  beforeAll(async () => {
    plain = await startNestApp(moduleWith(false), { maxHeaderSize: 80000 });
    compressed = await startNestApp(moduleWith(true), { maxHeaderSize: 80000 });
  });
  afterAll(async () => {
    await plain.close();
    await compressed.close();
  });
  beforeEach(() => {
    events.length = 0;
  });

  it('keeps a compressible 20 KB session in fewer cookies than without, and reads it back', async () => {
    const data = cart();
    expect(byteLength(JSON.stringify(data))).toBeGreaterThanOrEqual(20000);
    expect(byteLength(JSON.stringify(data))).toBeLessThan(24000);
    const wide = { headers: { 'x-wide': '1' } };

    const without = new JarClient(plain.url, { userAgent: UA });
    const res1 = await without.post('/set', data, wide);
    const withC = new JarClient(compressed.url, { userAgent: UA });
    const res2 = await withC.post('/set', data, wide);
    expect(events).toEqual([]);

    const count1 = res1.setCookies.length;
    const count2 = res2.setCookies.length;
    expect(count1).toBeGreaterThanOrEqual(6); // ~27 KB sealed, 4096 per cookie
    expect(count2).toBeLessThan(count1);
    expect(count2).toBeLessThanOrEqual(2);
    expect(byteLength(await withC.cookieHeader()) * 3).toBeLessThan(
      byteLength(await without.cookieHeader()),
    );
    expect((await without.get('/get', wide)).json).toEqual(data);
    expect((await withC.get('/get', wide)).json).toEqual(data);
  });

  it('fits the default 8000-byte budget compressed, where the uncompressed session is shrunk', async () => {
    const data = cart();
    const without = new JarClient(plain.url, { userAgent: UA });
    const res1 = await without.post('/set', data);
    expect(events.map((e) => [e.compress, e.event.removedKeys])).toEqual([[false, ['cart']]]);
    expect(res1.setCookies.filter((l) => !isDeletion(l)).map(lineName)).toEqual(['session']);
    expect((await without.get('/get')).json).toEqual({ user: data.user });

    events.length = 0;
    const withC = new JarClient(compressed.url, { userAgent: UA });
    const res2 = await withC.post('/set', data);
    expect(events).toEqual([]);
    expect(res2.setCookies.length).toBeGreaterThanOrEqual(1);
    expect(byteLength(await withC.cookieHeader())).toBeLessThanOrEqual(8000);
    expect((await withC.get('/get')).json).toEqual(data);
  });

  it('does not compress what compression would make larger, and still reads it back', async () => {
    const tiny = { n: 1 };
    const a = new JarClient(plain.url, { userAgent: UA });
    const b = new JarClient(compressed.url, { userAgent: UA });
    const r1 = await a.post('/set', tiny);
    const r2 = await b.post('/set', tiny);
    // Same envelope size: deflate would have added bytes, so the body stays as it is.
    expect(byteLength(r2.setCookies[0]!)).toBe(byteLength(r1.setCookies[0]!));
    expect((await b.get('/get')).json).toEqual(tiny);
  });
});
