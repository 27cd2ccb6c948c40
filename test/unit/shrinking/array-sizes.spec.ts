import { describe, expect, it } from '@jest/globals';
import { shrinkPartition } from '../../../src/shrinking/shrink-partition.js';
import type { ShrinkContext } from '../../../src/shrinking/shrink-types.js';

const bytesOf = (data: unknown): number => Buffer.byteLength(JSON.stringify(data));

/** Shrinks `{ list }` with `shrink` until nothing is left, checking every `jsonBytes` given to `fits`. */
async function everyStepExact(list: unknown[], shrink: (list: unknown[]) => unknown[]) {
  const mismatches: string[] = [];
  let steps = 0;
  await shrinkPartition({
    data: { list },
    shrinkers: [{ key: 'list', shrink: (l: unknown[]) => (l.length > 0 ? shrink(l) : undefined) }],
    overBy: (jsonBytes, candidate) => {
      steps++;
      if (jsonBytes !== bytesOf(candidate)) mismatches.push(`${jsonBytes}: ${bytesOf(candidate)}`);
      return 1;
    },
  });
  return { mismatches, steps };
}

// Elements whose JSON differs from their text: escapes, UTF-8, lone surrogates, -0, NaN, holes.
const awkward = [
  'plain',
  'quote"',
  'back\\slash',
  'tab\t',
  '\u0000',
  '\u007f',
  'é',
  '😀',
  '\ud800',
  '',
  0,
  -0,
  NaN,
  Infinity,
  -1.5e-7,
  null,
  undefined,
  true,
  false,
  { a: 1 },
];

describe('array sizes (shrinking by identity)', () => {
  it.each([
    ['slice(1)', (l: unknown[]) => l.slice(1)],
    ['slice(0, -1)', (l: unknown[]) => l.slice(0, -1)],
    ['drop the middle', (l: unknown[]) => l.filter((_, i) => i !== l.length >> 1)],
    ['-0 for 0, then drop one', (l: unknown[]) => l.map((x) => (x === 0 ? -0 : x)).slice(1)],
    ['a new string in the middle', (l: unknown[]) => [...l.slice(2, 5), 'x"é', ...l.slice(6)]],
  ])('gives `fits` exact sizes: %s', async (_name, shrink) => {
    const list = [...awkward, ...awkward.map((x) => (typeof x === 'string' ? `${x}${x}` : x))];
    // eslint-disable-next-line no-sparse-arrays
    const { mismatches, steps } = await everyStepExact([...list, , 'after a hole'], shrink);
    expect(mismatches).toEqual([]);
    expect(steps).toBeGreaterThan(5);
  });

  it('long runs of the same strings, changed at one end: exact at every step', async () => {
    const list = Array.from({ length: 300 }, (_, i) => `https://shop.example/p/${1_000_000 + i}`);
    let round = 0;
    const { mismatches, steps } = await everyStepExact(list, (l) => {
      round++;
      const next = round % 2 ? l.slice(1) : l.slice(0, -1);
      if (round % 7 === 0 && next.length > 0) next[next.length - 1] = `${next.at(-1)}"`;
      if (round % 11 === 0 && next.length > 0) next[0] = 'é'.repeat(round % 5);
      return next;
    });
    expect(mismatches).toEqual([]);
    expect(steps).toBe(302); // the first check, 300 elements dropped, then the key removed
  });

  it('a long run with an inner element changed: the fit that is taken is measured whole', async () => {
    // Past 64 elements a run is matched by its ends, middle and quarters (constant cost per
    // step): an element changed elsewhere can leave a step's size stale, never the final one.
    const list = Array.from({ length: 300 }, (_, i) => `https://shop.example/p/${1_000_000 + i}`);
    for (const limit of [9000, 6000, 3000, 1500]) {
      let round = 0;
      const result = await shrinkPartition({
        data: { list },
        shrinkers: [
          {
            key: 'list',
            shrink: (l: string[]) => {
              round++;
              const next = l.slice(1);
              if (round % 11 === 0) next[7] = 'é'.repeat(round % 5);
              return next;
            },
          },
        ],
        overBy: (jsonBytes) => jsonBytes - limit,
      });
      expect(result.fits).toBe(true);
      expect(result.jsonBytes).toBe(bytesOf(result.data));
      expect(result.jsonBytes).toBeLessThanOrEqual(limit);
    }
  });

  it('gives every call of a phase the same frozen context, `session` read when asked', async () => {
    const seen: { ctx: ShrinkContext; last: boolean; keys: string[] }[] = [];
    await shrinkPartition({
      data: { list: [1, 2, 3, 4], other: 'x'.repeat(50) },
      shrinkers: [
        {
          key: 'list',
          shrink: (l: number[], ctx: ShrinkContext) => {
            seen.push({ ctx, last: ctx.last, keys: Object.keys(ctx.session) });
            return ctx.last ? undefined : l.length < 2 ? l : l.slice(1);
          },
        },
      ],
      overBy: () => 1,
    });
    expect(seen.map(({ last }) => last)).toEqual([false, false, false, false, true]);
    expect(seen.every(({ ctx }) => Object.isFrozen(ctx))).toBe(true);
    expect(new Set(seen.map(({ ctx }) => ctx)).size).toBe(2);
    // Phase 2 removed `other` before phase 3: the same getter now sees the current data.
    expect(seen.at(-2)!.keys).toEqual(['list', 'other']);
    expect(seen.at(-1)!.keys).toEqual(['list']);
    // All removed by now; `overBy` the last answer, 1.
    expect({ ...seen[0]!.ctx }).toEqual({ last: false, session: {}, overBy: 1 });
  });
});
