/**
 * The cost of shrinking a 64 KB session to the default 8000-byte budget through the engine's
 * save path (`SessionEngine.commit`: routing, shrinking, sealing, chunking). It is measured and logged,
 * never asserted on (the machine is shared and noisy); what is asserted is that each result fits.
 *
 * Run alone for the figure: node scripts/test.mjs test/e2e/shrinking/shrink-cost.spec.ts
 * Jest runs the code in a vm context, where some builtins are much slower than in an application
 * (`Object.is` about 30 times): the same loop on the code compiled and run by plain Node is the
 * figure to quote; this one is for comparisons between runs of this file.
 */
import { describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { SessionEngine } from '../../../src/core/session-engine.js';
import { resolveOptions } from '../../../src/options/resolve-options.js';
import type { ShrinkerRegistration, ShrinkEvent } from '../../../src/index.js';
import { byteLength, isDeletion, lineName, lineValue } from '../limits/jar-client.js';

const SECRET = 'a-shrink-cost-secret-that-is-long-enough-0123';
const UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const ITERATIONS = Number(process.env.SHRINK_COST_ITERATIONS ?? 200);
const WARMUP = 20;

type Data = Record<string, unknown>;

const dropOldest: ShrinkerRegistration['shrink'] = (list: unknown[], { last }) =>
  last || list.length < 2 ? undefined : list.slice(1);

/** Sessions of about 64 KB of JSON, each shaped to exercise another phase. */
const SHAPES: {
  name: string;
  shrinkers: ShrinkerRegistration[];
  compress?: boolean;
  /** Fewer runs for a slow shape (each run deflates the whole candidate at every step). */
  runs?: { warmup: number; iterations: number };
  make(): Data;
}[] = [
  {
    name: 'compress: true, a list of 780 random strings, shrinker drops the oldest (phase 1)',
    shrinkers: [{ key: 'recent', shrink: dropOldest }],
    compress: true,
    runs: { warmup: 0, iterations: 3 },
    make: () => ({
      user: { id: 42, name: 'Ada' },
      recent: Array.from({ length: 780 }, () => randomBytes(60).toString('base64url')),
    }),
  },
  {
    name: 'a list of 640 strings, shrinker drops the oldest (phase 1)',
    shrinkers: [{ key: 'recent', shrink: dropOldest }],
    make: () => ({
      user: { id: 42, name: 'Ada' },
      recent: Array.from({ length: 640 }, (_, i) => `/products/${i}/${'p'.repeat(80)}`),
    }),
  },
  {
    name: 'a list of 490 objects, shrinker drops the oldest (phase 1)',
    shrinkers: [{ key: 'cart', shrink: dropOldest }],
    make: () => ({
      user: { id: 42, name: 'Ada' },
      cart: Array.from({ length: 490 }, (_, i) => ({
        sku: `SKU-${100000 + i}`,
        title: `Item number ${i} with a fairly long description`,
        quantity: 1 + (i % 3),
        price: { amount: 1999 + i, currency: 'EUR' },
      })),
    }),
  },
  {
    name: '64 keys of 1 KB, no shrinkers (phase 2)',
    shrinkers: [],
    make: () =>
      Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`k${i}`, 'x'.repeat(1000 + i)])),
  },
];

function requestFor(userAgent: string): IncomingMessage {
  const req = new IncomingMessage(new Socket());
  req.headers = { 'user-agent': userAgent };
  return req;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

describe('the cost of shrinking a 64 KB session to 8000 bytes (measured, not asserted)', () => {
  it.each(SHAPES)('$name', async ({ name, shrinkers, compress, runs, make }) => {
    const warmup = runs?.warmup ?? WARMUP;
    const iterations = runs?.iterations ?? ITERATIONS;
    const events: ShrinkEvent[] = [];
    const options = resolveOptions(
      { secret: SECRET, shrinkers, compress, onShrink: (event) => events.push(event) },
      { warn: () => undefined, error: () => undefined },
    );
    const engine = new SessionEngine(options);
    const head = { headerBytes: 200, setCookies: [], secure: false };
    const template = make();
    const jsonBytes = byteLength(JSON.stringify(template));
    expect(jsonBytes).toBeGreaterThan(60000);
    expect(jsonBytes).toBeLessThan(70000);

    const times: number[] = [];
    for (let i = 0; i < warmup + iterations; i++) {
      const req = requestFor(UA);
      const session = await engine.load(req);
      Object.assign(session.data, structuredClone(template));
      const start = performance.now();
      const lines = await engine.commit(session, head);
      const elapsed = performance.now() - start;
      if (i >= warmup) times.push(elapsed);

      const written = (lines ?? []).filter((line) => !isDeletion(line));
      const header =
        written.reduce(
          (sum, line) => sum + byteLength(lineName(line)) + 1 + byteLength(lineValue(line)),
          0,
        ) +
        2 * (written.length - 1);
      expect(written.length).toBeGreaterThan(0);
      expect(header).toBeLessThanOrEqual(8000);
    }
    expect(events).toHaveLength(warmup + iterations);
    const sorted = [...times].sort((a, b) => a - b);
    console.log(
      `shrink cost, ${name}: ${jsonBytes} bytes of JSON → ${events[0]!.bytesAfter} bytes of cookies; ` +
        `median ${median(times).toFixed(2)} ms, p90 ${sorted[Math.floor(sorted.length * 0.9)]!.toFixed(2)} ms ` +
        `over ${iterations} runs (shrunk: ${events[0]!.shrunkKeys.join(', ') || '-'}; removed: ${events[0]!.removedKeys.length} keys)`,
    );
  });
});
