/**
 * `ShrinkContext.overBy` (how many JSON bytes the partition is over at this step), the bound on a
 * shrinker's Promise (`shrinkerTimeout`, issue 14), and failures described with their stack.
 */
import { describe, expect, it } from '@jest/globals';
import { ChunkedSessionOptionsError } from '../../../src/errors/errors.js';
import { resolveOptions } from '../../../src/options/resolve-options.js';
import {
  DEFAULT_SHRINKER_TIMEOUT,
  shrinkPartition,
} from '../../../src/shrinking/shrink-partition.js';
import {
  describeFailure,
  shrinkerFailureMessage,
  ShrinkerTimeoutError,
} from '../../../src/shrinking/shrinker-failure.js';
import type { ShrinkContext } from '../../../src/shrinking/shrink-types.js';

const bytesOf = (data: unknown): number => Buffer.byteLength(JSON.stringify(data));
const under = (limit: number) => (jsonBytes: number) => jsonBytes - limit;
const SECRET = 'an-over-by-unit-test-secret-long-enough-0123';

/** The README's shrinker: drops as many of the oldest entries as `overBy` asks for, at once. */
const dropEnough = (list: string[], { last, overBy }: ShrinkContext): string[] | undefined => {
  if (last) return undefined;
  let drop = 0;
  for (let bytes = 0; bytes < overBy && drop < list.length - 1; drop++) {
    bytes += Buffer.byteLength(list[drop]!) + 3;
  }
  return drop === 0 ? list : list.slice(drop);
};

describe('ShrinkContext.overBy', () => {
  it('is the exact JSON bytes over the allowance at each step', async () => {
    const data = { list: ['aaaa', 'bbbbbbbb', 'cc', 'dddddd'], note: 'é'.repeat(10) };
    const limit = 41;
    // {"list":["aaaa","bbbbbbbb","cc","dddddd"],"note":"éé…"}: 72 bytes (é is 2), 31 over.
    expect(bytesOf(data)).toBe(72);
    const seen: number[] = [];
    const result = await shrinkPartition({
      data,
      shrinkers: [
        {
          key: 'list',
          shrink: (list: string[], ctx: ShrinkContext) => (seen.push(ctx.overBy), list.slice(1)),
        },
      ],
      overBy: under(limit),
    });
    // 72 → drop "aaaa", (7 bytes) 65 → "bbbbbbbb", (11) 54 → "cc", (5) 49 → "dddddd" (8): 41.
    expect(seen).toEqual([31, 24, 13, 8]);
    expect(result).toMatchObject({
      fits: true,
      jsonBytes: 41,
      data: { list: [], note: data.note },
    });
  });

  it('a step that changes nothing leaves it as it was for the next shrinker', async () => {
    const seen: [string, number][] = [];
    const record = (key: string) => (value: string, ctx: ShrinkContext) => {
      seen.push([key, ctx.overBy]);
      return key === 'a' ? value : value.slice(ctx.overBy);
    };
    const data = { a: 'x'.repeat(30), b: 'y'.repeat(30) };
    const result = await shrinkPartition({
      data,
      shrinkers: [
        { key: 'a', shrink: record('a') },
        { key: 'b', shrink: record('b') },
      ],
      overBy: under(bytesOf(data) - 12),
    });
    expect(seen).toEqual([
      ['a', 12],
      ['b', 12],
    ]);
    expect(result).toMatchObject({ fits: true, jsonBytes: bytesOf(data) - 12 });
  });

  it('giving up overBy bytes at once fits in one call, keeping all that fits', async () => {
    const list = Array.from({ length: 2000 }, (_, i) => `/products/item-${1_000_000 + i}`);
    const limit = 5990;
    let calls = 0;
    const result = await shrinkPartition({
      data: { user: { id: 1 }, list },
      shrinkers: [
        { key: 'list', shrink: (l: string[], ctx: ShrinkContext) => (calls++, dropEnough(l, ctx)) },
      ],
      overBy: under(limit),
    });
    expect(calls).toBe(1);
    expect(result.fits).toBe(true);
    const kept = (result.data.list as string[]).length;
    expect(bytesOf(result.data)).toBeLessThanOrEqual(limit);
    expect(bytesOf({ user: { id: 1 }, list: list.slice(2000 - kept - 1) })).toBeGreaterThan(limit);
  });
});

describe('synchronous where the shrinkers are', () => {
  it('answers a ShrinkResult, not a Promise, when every shrinker answers synchronously', () => {
    const result = shrinkPartition({
      data: { list: ['a', 'b', 'c'], pad: 'x'.repeat(20) },
      shrinkers: [{ key: 'list', shrink: (l: string[]) => l.slice(1) }],
      overBy: under(bytesOf({ list: ['c'], pad: 'x'.repeat(20) })),
    });
    expect(result).not.toBeInstanceOf(Promise);
    expect(result).toMatchObject({ fits: true, data: { list: ['c'] }, shrunkKeys: ['list'] });
  });

  it('answers a Promise from the first shrinker that answers with one, then goes on alike', async () => {
    const order: string[] = [];
    const pending = shrinkPartition({
      data: { a: [1, 2, 3], b: [4, 5, 6] },
      shrinkers: [
        { key: 'a', shrink: (l: number[]) => (order.push('a'), l.slice(1)) },
        { key: 'b', shrink: async (l: number[]) => (order.push('b'), l.slice(1)) },
      ],
      overBy: under(bytesOf({ a: [3], b: [6] })),
    });
    expect(pending).toBeInstanceOf(Promise);
    expect(order).toEqual(['a', 'b']); // ran synchronously up to the first Promise
    expect(await pending).toMatchObject({ fits: true, data: { a: [3], b: [6] } });
    expect(order).toEqual(['a', 'b', 'a', 'b']);
  });
});

describe('shrinkerTimeout', () => {
  it('skips a shrinker whose Promise never settles, reports it once, and does not call it again', async () => {
    const errors: [string, unknown][] = [];
    let calls = 0;
    const result = await shrinkPartition({
      data: { hangs: 'h'.repeat(50), other: 'o'.repeat(50) },
      shrinkers: [
        { key: 'hangs', shrink: () => (calls++, new Promise<never>(() => {})) },
        { key: 'other', shrink: (v: string, { last }: ShrinkContext) => (last ? v : v.slice(10)) },
      ],
      overBy: under(2),
      shrinkerTimeout: 30,
      onShrinkerError: (key, error) => errors.push([key, error]),
    });
    expect(calls).toBe(1); // not again in later rounds nor in phase 3
    expect(errors).toHaveLength(1);
    const [key, error] = errors[0]!;
    expect(key).toBe('hangs');
    expect(error).toBeInstanceOf(ShrinkerTimeoutError);
    expect(error).toMatchObject({ code: 'SHRINKER_TIMEOUT', key: 'hangs', timeoutMs: 30 });
    expect(shrinkerFailureMessage(key, error)).toBe(
      'a shrinker of "hangs" failed and was skipped: it did not answer within 30 ms (shrinkerTimeout)',
    );
    // Phase 4 removed both keys: nothing else fits under 2 bytes.
    expect(result).toMatchObject({ fits: true, data: {}, removedKeys: ['hangs', 'other'] });
  });

  it('ignores a value that comes after the bound, and takes one that comes before it', async () => {
    const later = (ms: number, value: string) =>
      new Promise<string>((resolve) => setTimeout(() => resolve(value), ms));
    const errors: string[] = [];
    const result = await shrinkPartition({
      data: { late: 's'.repeat(40), prompt: 'q'.repeat(40) },
      // `late` runs first (key order) and times out; `prompt` answers in time, and that fits.
      shrinkers: [
        { key: 'late', shrink: () => later(200, '') },
        { key: 'prompt', shrink: () => later(1, 'q') },
      ],
      overBy: under(bytesOf({ late: 's'.repeat(40), prompt: 'q' })),
      shrinkerTimeout: 50,
      onShrinkerError: (key, error) => errors.push(shrinkerFailureMessage(key, error)),
    });
    await new Promise((resolve) => setTimeout(resolve, 250)); // the late answer arrives
    expect(errors).toEqual([
      'a shrinker of "late" failed and was skipped: it did not answer within 50 ms (shrinkerTimeout)',
    ]);
    expect(result).toMatchObject({ fits: true, shrunkKeys: ['prompt'], removedKeys: [] });
    expect(result.data).toEqual({ late: 's'.repeat(40), prompt: 'q' });
  });

  it('defaults to 1000 ms, resolved from the options; 0, negative and non-numbers stop start-up', () => {
    expect(DEFAULT_SHRINKER_TIMEOUT).toBe(1000);
    expect(resolveOptions({ secret: SECRET }).shrinkerTimeout).toBe(1000);
    expect(resolveOptions({ secret: SECRET, shrinkerTimeout: 250 }).shrinkerTimeout).toBe(250);
    for (const bad of [0, -5, Number.NaN, '100']) {
      let error: unknown;
      try {
        resolveOptions({ secret: SECRET, shrinkerTimeout: bad as number });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ChunkedSessionOptionsError);
      expect(error).toMatchObject({ code: 'ERR_SESSION_OPTIONS', option: 'shrinkerTimeout' });
    }
  });
});

describe('describeFailure', () => {
  it('gives an Error with its stack, a timeout by its message, anything else as a string', () => {
    function throwsHere(): never {
      throw new TypeError('bad value');
    }
    let thrown: unknown;
    try {
      throwsHere();
    } catch (e) {
      thrown = e;
    }
    const described = describeFailure(thrown);
    expect(described.startsWith('TypeError: bad value\n    at throwsHere (')).toBe(true);
    expect(described).toContain('over-by-and-timeout.spec.ts');
    expect(describeFailure(new ShrinkerTimeoutError('k', 5))).toBe(
      'it did not answer within 5 ms (shrinkerTimeout)',
    );
    expect(describeFailure('plain text')).toBe('plain text');
    expect(describeFailure(42)).toBe('42');
  });
});
