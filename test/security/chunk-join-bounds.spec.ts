/**
 * The reader's work per partition is bounded by the limits, whatever the request carries
 * (issue 7, "Hostile input"): `joinChunks` looks at no more chunk cookies than `maxCookies`
 * allows (plus the one that must be absent) and never returns more than `maxTotalBytes`
 * characters — the regression test for a one-chunk set whose value was not length-checked.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { joinChunks } from '../../src/chunking/chunks.js';

/** A Map that counts the lookups `joinChunks` makes. */
class CountingMap extends Map<string, string> {
  lookups = 0;
  override get(key: string): string | undefined {
    this.lookups++;
    return super.get(key);
  }
  override has(key: string): boolean {
    this.lookups++;
    return super.has(key);
  }
}

describe('joinChunks under hostile cookie sets', () => {
  it('looks at most maxChunks + 1 names and returns at most maxBytes characters', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 999 }), // the count the first chunk claims
        fc.integer({ min: 0, max: 1100 }), // how many further chunks exist
        fc.integer({ min: 0, max: 50 }), // each value's length
        fc.integer({ min: 1, max: 200 }), // maxChunks (maxCookies)
        fc.integer({ min: 1, max: 20000 }), // maxBytes (maxTotalBytes)
        fc.integer({ min: 0, max: 30000 }), // the first chunk's length
        (claimed, present, length, maxChunks, maxBytes, firstLength) => {
          const cookies = new CountingMap();
          cookies.set('session', `${claimed}.${'a'.repeat(firstLength)}`);
          for (let i = 1; i <= present; i++) cookies.set(`session.${i}`, 'b'.repeat(length));
          cookies.lookups = 0;
          const joined = joinChunks('session', cookies, maxChunks, maxBytes);
          expect(cookies.lookups).toBeLessThanOrEqual(maxChunks + 1);
          if (joined !== undefined) {
            expect(joined.length).toBeLessThanOrEqual(maxBytes);
            expect(claimed).toBeLessThanOrEqual(maxChunks);
            expect(present).toBe(claimed - 1);
            expect(joined).toBe('a'.repeat(firstLength) + 'b'.repeat(length * (claimed - 1)));
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('refuses a one-chunk set longer than maxBytes (it used to be returned whole)', () => {
    const cookies = new Map([['session', `1.${'a'.repeat(1_000_000)}`]]);
    expect(joinChunks('session', cookies, 180, 8000)).toBeUndefined();
    const fits = new Map([['session', `1.${'a'.repeat(8000)}`]]);
    expect(joinChunks('session', fits, 180, 8000)).toBe('a'.repeat(8000));
  });
});
