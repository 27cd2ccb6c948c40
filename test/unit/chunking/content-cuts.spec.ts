import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { ContentCutter, type CutSizes } from '../../../src/chunking/content-cuts.js';

const SECRET = 'a-content-cuts-test-secret-long-enough-0123';
const SIZES: CutSizes = { min: 64, bits: 6, max: 512 };
const RESYNC: CutSizes = { min: 32, bits: 7, max: 1024 };

const lengths = (ends: number[]) => ends.map((end, i) => end - (i === 0 ? 0 : ends[i - 1]!));
const pieces = (bytes: Buffer, ends: number[]) =>
  ends.map((end, i) => bytes.subarray(i === 0 ? 0 : ends[i - 1]!, end).toString('latin1'));

describe('ContentCutter', () => {
  const cutter = new ContentCutter(SECRET);

  it.each([
    ['empty', 0, []],
    ['shorter than min', 10, [10]],
    ['exactly min', 64, [64]],
  ])('%s input: %j', (_, length, expected) => {
    expect(cutter.cuts(Buffer.alloc(length as number, 7), SIZES)).toEqual(expected);
  });

  it('cuts a run with no cut point at max (content gives no boundary)', () => {
    // A constant run: the hash settles on one value; whether it cuts is the key's, so only the
    // bounds are asserted.
    const ends = cutter.cuts(Buffer.alloc(2000, 0x61), SIZES);
    for (const l of lengths(ends).slice(0, -1)) {
      expect(l).toBeGreaterThanOrEqual(64);
      expect(l).toBeLessThanOrEqual(512);
    }
    expect(ends.at(-1)).toBe(2000);
  });

  it('refuses sizes that make no sense', () => {
    expect(() => cutter.cuts(Buffer.alloc(10), { min: 0, bits: 6, max: 10 })).toThrow(RangeError);
    expect(() => cutter.cuts(Buffer.alloc(10), { min: 20, bits: 6, max: 10 })).toThrow(RangeError);
    expect(() => cutter.cuts(Buffer.alloc(10), { min: 1, bits: 32, max: 10 })).toThrow(RangeError);
  });

  it('depends on the secret: another secret cuts the same bytes elsewhere', () => {
    const bytes = randomBytes(20000);
    const a = cutter.cuts(bytes, SIZES);
    const b = new ContentCutter(`${SECRET}-other`).cuts(bytes, SIZES);
    expect(a).toEqual(new ContentCutter(SECRET).cuts(bytes, SIZES)); // deterministic
    expect(a).not.toEqual(b);
  });

  it('averages near min + 2^bits on random data', () => {
    const ends = cutter.cuts(randomBytes(200000), SIZES);
    const mean = 200000 / ends.length;
    expect(mean).toBeGreaterThan(64 + 64 * 0.7);
    expect(mean).toBeLessThan(64 + 64 * 1.4);
  });

  it('property: every piece is within [min, max] but the last, and the cuts cover the input', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 6000 }),
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 0, max: 700 }),
        (array, min, bits, extra) => {
          const sizes = { min, bits, max: min + extra };
          const ends = cutter.cuts(array, sizes);
          if (array.length === 0) return expect(ends).toEqual([]);
          expect(ends.at(-1)).toBe(array.length);
          const ls = lengths(ends);
          ls.forEach((l, i) => {
            expect(l).toBeLessThanOrEqual(sizes.max);
            if (i < ls.length - 1) expect(l).toBeGreaterThanOrEqual(min);
            else expect(l).toBeGreaterThan(0);
          });
        },
      ),
    );
  });

  it('property: an edit changes only the pieces around it', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 }),
        fc.integer({ min: 0, max: 7999 }),
        fc.uint8Array({ maxLength: 80 }),
        fc.integer({ min: 0, max: 80 }),
        (seed, at, insert, removed) => {
          // Pseudo-random but reproducible text, then one insertion and removal at `at`.
          let x = seed | 1;
          const bytes = Buffer.alloc(8000);
          for (let i = 0; i < bytes.length; i++) {
            x ^= x << 13;
            x ^= x >>> 17;
            x ^= x << 5;
            bytes[i] = 32 + ((x >>> 0) % 90);
          }
          const edited = Buffer.concat([
            bytes.subarray(0, at),
            Buffer.from(insert),
            bytes.subarray(at + removed),
          ]);
          const before = pieces(bytes, cutter.cuts(bytes, RESYNC));
          const after = pieces(edited, cutter.cuts(edited, RESYNC));
          const kept = new Set(before);
          const fresh = after.filter((p) => !kept.has(p));
          // Cut points are taken only `min` past the previous one, so an edit can shift a few of
          // them before the cuts fall in step again; with `min` well below 2^bits (few candidates
          // closer than `min`) that is quick: 3 000 random edits here changed at most 4 pieces.
          expect(fresh.length).toBeLessThanOrEqual(5);
        },
      ),
      { numRuns: 200 },
    );
  });
});
