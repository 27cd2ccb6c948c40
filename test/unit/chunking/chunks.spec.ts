import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  chunkIndex,
  chunkName,
  joinChunks,
  MAX_CHUNKS,
  planChunks,
  splitChunks,
  type ChunkCapacity,
  type ChunkPlan,
} from '../../../src/chunking/chunks.js';

const ATTRIBUTES = '; Path=/; HttpOnly; SameSite=Lax';
const MODERN: ChunkCapacity = { maxCookieBytes: 4096, countsAttributes: false, attributesBytes: 0 };
const UNKNOWN: ChunkCapacity = {
  maxCookieBytes: 4093,
  countsAttributes: true,
  attributesBytes: ATTRIBUTES.length,
};

/** A base64url-looking string of `n` characters, each position recognisable. */
function sealedOf(n: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[(i * 7 + (i >> 6)) % 64];
  return s;
}

/** What one chunk counts against maxCookieBytes: name+value, or the whole Set-Cookie value. */
function counted(name: string, value: string, cap: ChunkCapacity): number {
  return cap.countsAttributes
    ? Buffer.byteLength(`${name}=${value}${'a'.repeat(cap.attributesBytes)}`)
    : Buffer.byteLength(name + value);
}

function expectWithin(base: string, sealed: string, plan: ChunkPlan, cap: ChunkCapacity) {
  const chunks = splitChunks(base, sealed, plan);
  expect(chunks.map((c) => c.name)).toEqual(chunks.map((_, i) => chunkName(base, i)));
  expect(chunks.map((c) => c.value.length)).toEqual(plan.valueLengths);
  for (const c of chunks)
    expect(counted(c.name, c.value, cap)).toBeLessThanOrEqual(cap.maxCookieBytes);
  expect(plan.pairBytes).toBe(chunks.reduce((s, c) => s + c.name.length + 1 + c.value.length, 0));
  // Greedy: every chunk but the last is full (one more character would not fit).
  for (const c of chunks.slice(0, -1)) {
    expect(counted(c.name, `${c.value}x`, cap)).toBeGreaterThan(cap.maxCookieBytes);
  }
  return chunks;
}

describe('chunk names', () => {
  it.each([
    ['session', 'session', 0],
    ['session', 'session.1', 1],
    ['session', 'session.42', 42],
    ['session', 'session.999', 999],
    ['__Host-s', '__Host-s.3', 3],
    ['session', 'session.0', -1],
    ['session', 'session.01', -1],
    ['session', 'session.1000', -1],
    ['session', 'session.', -1],
    ['session', 'session.x', -1],
    ['session', 'session1', -1],
    ['session', 'sessions', -1],
    ['session', 'other', -1],
    ['session', 'session.1.1', -1],
  ])('chunkIndex(%s, %s) is %i', (base, name, index) => {
    expect(chunkIndex(base, name)).toBe(index);
    if (index >= 0) expect(chunkName(base, index)).toBe(name);
  });
});

describe('planChunks', () => {
  it.each([
    // name, sealed length, capacity, expected value lengths
    ['session', 0, MODERN, [2]],
    ['session', 100, MODERN, [102]],
    ['session', 4087, MODERN, [4089]],
    ['session', 4088, MODERN, [4089, 1]],
    ['session', 10000, MODERN, [4089, 4087, 1826]],
    ['session', 100, UNKNOWN, [102]],
    ['session', 10000, UNKNOWN, [4053, 4051, 1898]],
    ['s', 50, { maxCookieBytes: 20, countsAttributes: false, attributesBytes: 0 }, [19, 17, 16]],
  ])('splits %s of %i characters into %j', (base, length, cap, lengths) => {
    const plan = planChunks(base, length, cap)!;
    expect(plan.valueLengths).toEqual(lengths);
    const sealed = sealedOf(length);
    const chunks = expectWithin(base, sealed, plan, cap);
    expect(chunks[0]!.value.startsWith(`${lengths.length}.`)).toBe(true);
  });

  it('widens the count prefix to two digits at ten chunks, and stays within capacity', () => {
    const cap: ChunkCapacity = { maxCookieBytes: 20, countsAttributes: false, attributesBytes: 0 };
    // One-digit prefix: 17 + 8×17 = 153 characters in nine chunks (the last holds 1).
    expect(planChunks('s', 137, cap)!.valueLengths.length).toBe(9);
    const plan = planChunks('s', 200, cap)!;
    expect(plan.valueLengths.length).toBeGreaterThanOrEqual(10);
    const chunks = expectWithin('s', sealedOf(200), plan, cap);
    expect(chunks[0]!.value.startsWith(`${plan.valueLengths.length}.`)).toBe(true);
  });

  it('returns undefined when there is no room or too many chunks would be needed', () => {
    expect(planChunks('session', 10, { ...MODERN, maxCookieBytes: 8 })).toBeUndefined();
    expect(planChunks('session', 10, { ...UNKNOWN, maxCookieBytes: 40 })).toBeUndefined();
    expect(planChunks('session', 10000, MODERN, 2)).toBeUndefined();
    expect(planChunks('session', 10000, MODERN, 3)?.valueLengths.length).toBe(3);
    expect(planChunks('session', 10000, MODERN, 0)).toBeUndefined();
    const tiny: ChunkCapacity = { maxCookieBytes: 14, countsAttributes: false, attributesBytes: 0 };
    // Prefix '999.': 9 + 9×11 + 90×10 + 899×9 = 9099 characters at most, in 999 chunks.
    expect(planChunks('s', 9099, tiny, MAX_CHUNKS + 1)?.valueLengths.length).toBe(MAX_CHUNKS);
    expect(planChunks('s', 9100, tiny, MAX_CHUNKS + 1)).toBeUndefined();
  });

  it('property: a plan never exceeds the capacity and round-trips through join', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^(__Host-|__Secure-)?[a-z][a-z0-9_-]{0,11}$/),
        fc.integer({ min: 0, max: 40000 }),
        fc.integer({ min: 30, max: 5200 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 250 }),
        (base, length, maxCookieBytes, countsAttributes, attributesBytes) => {
          const cap = { maxCookieBytes, countsAttributes, attributesBytes };
          const plan = planChunks(base, length, cap);
          if (!plan) return;
          const sealed = sealedOf(length);
          const chunks = expectWithin(base, sealed, plan, cap);
          expect(chunks.length).toBeLessThanOrEqual(MAX_CHUNKS);
          const cookies = new Map(chunks.map((c) => [c.name, c.value]));
          expect(joinChunks(base, cookies, MAX_CHUNKS, length + 10)).toBe(sealed);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('joinChunks', () => {
  const sealed = sealedOf(10000);
  const chunks = splitChunks('session', sealed, planChunks('session', sealed.length, MODERN)!);
  const set = (list: { name: string; value: string }[]) =>
    new Map(list.map((c) => [c.name, c.value]));

  it('joins a complete set, with other cookies around it', () => {
    const cookies = set([
      { name: 'theme', value: 'dark' },
      ...chunks,
      { name: 'sessionx', value: 'y' },
    ]);
    expect(joinChunks('session', cookies, 50, 8000 * 4)).toBe(sealed);
  });

  it.each([
    ['no first chunk', () => set(chunks.slice(1))],
    ['a middle chunk missing', () => set([chunks[0]!, chunks[2]!])],
    ['the last chunk missing', () => set(chunks.slice(0, 2))],
    ['an extra chunk', () => set([...chunks, { name: 'session.3', value: 'AAAA' }])],
    ['prefix without a dot', () => set([{ name: 'session', value: 'AAAA' }])],
    ['prefix 0', () => set([{ name: 'session', value: '0.AAAA' }])],
    ['prefix with a leading zero', () => set([{ name: 'session', value: '01.AAAA' }])],
    ['prefix not a number', () => set([{ name: 'session', value: 'a.AAAA' }])],
    ['prefix of four digits', () => set([{ name: 'session', value: '1000.AAAA' }])],
    ['an empty first value', () => set([{ name: 'session', value: '' }])],
    ['a count above maxChunks', () => set([{ name: 'session', value: '60.AAAA' }])],
  ])('refuses %s', (_, cookies) => {
    expect(joinChunks('session', cookies(), 50, 8000 * 4)).toBeUndefined();
  });

  it('refuses a set larger than maxBytes', () => {
    expect(joinChunks('session', set(chunks), 50, 9000)).toBeUndefined();
    expect(joinChunks('session', set(chunks), 50, 10000)).toBe(sealed);
  });

  it('joins reordered chunks into a different value (the seal then refuses it)', () => {
    const swapped = set([
      chunks[0]!,
      { name: 'session.1', value: chunks[2]!.value },
      { name: 'session.2', value: chunks[1]!.value },
    ]);
    const joined = joinChunks('session', swapped, 50, 8000 * 4);
    expect(joined).not.toBe(sealed);
  });
});
