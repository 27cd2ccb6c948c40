/**
 * The fit check of a cookie partition (src/shrinking/fit-check.ts, compressed-fit.ts): how many
 * JSON bytes a candidate is over, exact without `compress`, and with it never "over" for data that
 * fits once deflated (issue 14: a stale ratio removed keys that would have fitted).
 */
import { describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { planChunks } from '../../../src/chunking/chunks.js';
import { encodeEnvelope, ENVELOPE_HEADER_BYTES } from '../../../src/codec/envelope.js';
import { createSealer } from '../../../src/codec/sealer.js';
import { partitionOverBy, plaintextAllowance } from '../../../src/shrinking/fit-check.js';
import { shrinkPartition } from '../../../src/shrinking/shrink-partition.js';

type Data = Record<string, unknown>;
const bytesOf = (data: unknown): number => Buffer.byteLength(JSON.stringify(data));
/** The envelope sealing would build with `compress` (deflated only when that is smaller). */
const compressedLength = (data: Data): number =>
  encodeEnvelope(0, 0, JSON.stringify(data), false, true).length;

/** As write-cookie-partition.ts builds it: seal, split, and fit the cookies and bytes left. */
function cookieFit(maxCookieBytes: number, cookies: number, bytes: number) {
  const sealer = createSealer(['s'.repeat(40)], 'encrypt');
  const capacity = { maxCookieBytes, countsAttributes: false, attributesBytes: 0 };
  return (plaintextBytes: number): boolean => {
    const sealedLength = sealer.sealedLength(plaintextBytes);
    if (sealedLength > bytes) return false;
    const plan = planChunks('session', sealedLength, capacity, cookies);
    return (
      plan !== undefined &&
      plan.valueLengths.length <= cookies &&
      plan.pairBytes + 2 * plan.valueLengths.length <= bytes
    );
  };
}

/** `count` session-like paths: deflate takes 1 000 of them to about 140 bytes. */
const paths = (count: number): string[] =>
  Array.from({ length: count }, (_, i) => `/account/orders/${i % 4 === 0 ? 'recent' : 'all'}`);

describe('plaintextAllowance', () => {
  it('finds the largest length that fits, and -1 when none does', () => {
    expect(plaintextAllowance((n) => n <= 777, 10000)).toBe(777);
    expect(plaintextAllowance((n) => n <= 777, 500)).toBe(500);
    expect(plaintextAllowance((n) => n <= 0, 10000)).toBe(0);
    expect(plaintextAllowance(() => false, 10000)).toBe(-1);
    expect(plaintextAllowance(() => true, -5)).toBe(-1);
  });

  it('the real cookie fit is monotone in the plaintext length, so the search is sound', () => {
    for (const [maxCookieBytes, cookies, bytes] of [
      [4096, 180, 8002],
      [4096, 3, 20000],
      [1200, 50, 9000],
      [300, 999, 20000],
    ] as const) {
      const fits = cookieFit(maxCookieBytes, cookies, bytes);
      let firstNo = -1;
      const fitsAgain: number[] = []; // lengths that fit after one that did not
      for (let n = 0; n <= bytes; n++) {
        if (!fits(n)) firstNo = firstNo === -1 ? n : firstNo;
        else if (firstNo !== -1) fitsAgain.push(n);
      }
      expect(fitsAgain).toEqual([]);
      expect(firstNo).toBeGreaterThan(0);
      expect(plaintextAllowance(fits, bytes)).toBe(firstNo - 1);
    }
  });
});

describe('partitionOverBy without compress', () => {
  it('is the JSON bytes over the allowance, exactly: 0 at the last byte that fits', () => {
    const fits = cookieFit(4096, 180, 8002);
    const allowance = plaintextAllowance(fits, 8002);
    const overBy = partitionOverBy(fits, false, 8002);
    const atLimit = allowance - ENVELOPE_HEADER_BYTES;
    expect(fits(ENVELOPE_HEADER_BYTES + atLimit)).toBe(true);
    expect(fits(ENVELOPE_HEADER_BYTES + atLimit + 1)).toBe(false);
    expect(overBy(atLimit, {})).toBe(0);
    expect(overBy(atLimit + 1, {})).toBe(1);
    expect(overBy(atLimit + 1234, {})).toBe(1234);
    expect(overBy(10, {})).toBe(10 - atLimit);
  });
});

describe('partitionOverBy with compress', () => {
  const fits = cookieFit(4096, 180, 8002);
  const allowance = plaintextAllowance(fits, 8002);

  it('issue 14: once a 30 000-character token goes, 1 000 repeated paths fit (not removed too)', async () => {
    const data = { token: randomBytes(22500).toString('base64url'), paths: paths(1000) };
    expect((data.token as string).length).toBe(30000);
    expect(compressedLength({ paths: data.paths })).toBeLessThan(200);
    expect(compressedLength(data)).toBeGreaterThan(allowance);
    const overBy = partitionOverBy(fits, true, 8002);
    expect(overBy(bytesOf(data), data)).toBeGreaterThan(0);
    const result = await shrinkPartition({ data, shrinkers: [], overBy });
    expect(result.removedKeys).toEqual(['token']);
    expect(result.fits).toBe(true);
    expect(result.data).toEqual({ paths: data.paths });
  });

  it('issue 14, through a shrinker: the token cut to nothing, the paths stay whole', async () => {
    const data = { paths: paths(1000), token: randomBytes(22500).toString('base64url') };
    const result = await shrinkPartition({
      data,
      shrinkers: [{ key: 'token', shrink: () => '' }],
      overBy: partitionOverBy(fits, true, 8002),
    });
    expect(result).toMatchObject({ fits: true, shrunkKeys: ['token'], removedKeys: [] });
    expect(result.data).toEqual({ paths: data.paths, token: '' });
  });

  it('says "over" only with at least 1, and never for data that fits once deflated', async () => {
    const word = fc.constantFrom('cart', 'item', '/p/', 'blue', 'large', '"', 'é', '😀');
    const value = fc.oneof(
      fc.integer({ min: 0, max: 9000 }).map((n) => randomBytes(n).toString('base64url')),
      fc.array(word, { maxLength: 3000 }).map((words) => words.join('')),
      fc.array(
        fc.array(word, { maxLength: 6 }).map((w) => w.join('')),
        { maxLength: 1500 },
      ),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd', 'e'), value, { minKeys: 1 }),
        fc.integer({ min: 1, max: 60 }),
        async (data, cut) => {
          const overBy = partitionOverBy(fits, true, 8002);
          const wrong: string[] = [];
          const checked: typeof overBy = (jsonBytes, candidate, removed) => {
            const answer = overBy(jsonBytes, candidate, removed);
            const fitsTruly = compressedLength(candidate) <= allowance;
            if (!Number.isInteger(answer)) wrong.push(`${answer} is not a whole number of bytes`);
            if (answer > 0 && fitsTruly) wrong.push(`over by ${answer}, but fits`);
            if (answer <= 0 && !fitsTruly) wrong.push(`fits by ${answer}, but does not`);
            return answer;
          };
          const result = await shrinkPartition({
            data,
            shrinkers: ['a', 'b', 'c', 'd', 'e'].map((key) => ({
              key,
              shrink: (v: unknown) =>
                Array.isArray(v) ? v.slice(Math.ceil(v.length / cut)) : String(v).slice(cut * 50),
            })),
            overBy: checked,
          });
          expect(wrong).toEqual([]);
          if (result.fits) expect(compressedLength(result.data)).toBeLessThanOrEqual(allowance);
        },
      ),
      { numRuns: 60 },
    );
  });
});
