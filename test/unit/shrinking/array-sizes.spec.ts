import { describe, expect, it } from '@jest/globals';
import { cutArrayBytes, listRun } from '../../../src/shrinking/array-sizes.js';
import { shrinkPartition } from '../../../src/shrinking/shrink-partition.js';
import { SizedCandidate } from '../../../src/shrinking/sized-candidate.js';
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

  describe('cutArrayBytes: a list cut from either end, sized from the one it replaces', () => {
    const urls = Array.from({ length: 200 }, (_, i) => `https://shop.example/p/${i}`);
    const mixed = [...awkward, ...awkward, 'tail"é'];
    it.each<[string, unknown[], (l: unknown[]) => unknown[], number, number]>([
      // name, list, cut, where the run then starts and ends in the copy
      ['slice(1), long', urls, (l) => l.slice(1), 1, 200],
      ['slice(0, -1), long', urls, (l) => l.slice(0, -1), 0, 199],
      ['slice(150): fewer kept than dropped', urls, (l) => l.slice(150), 150, 200],
      ['slice(0, 3)', urls, (l) => l.slice(0, 3), 0, 3],
      ['everything dropped', urls, () => [], 200, 200],
      ['slice(1), escapes, UTF-8, numbers, holes', mixed, (l) => l.slice(1), 1, mixed.length],
      ['slice(5), escapes, UTF-8, numbers, holes', mixed, (l) => l.slice(5), 5, mixed.length],
      ['slice(0, -4), escapes, UTF-8', mixed, (l) => l.slice(0, -4), 0, mixed.length - 4],
    ])('%s: exact', (_name, list, cut, start, end) => {
      const run = listRun(list);
      const next = cut(list);
      expect(cutArrayBytes(run, bytesOf(list), next)).toBe(bytesOf(next));
      expect({ start: run.start, end: run.end }).toEqual({ start, end });
      // And again from there: the run describes `next`.
      const after = next.slice(1);
      if (after.length < next.length) {
        expect(cutArrayBytes(run, bytesOf(next), after)).toBe(bytesOf(after));
      }
    });

    it.each<[string, unknown[], (l: unknown[]) => unknown[]]>([
      ['the same list', urls, (l) => l],
      ['as long', urls, (l) => [...l]],
      ['longer', urls, (l) => [...l, 'x']],
      ['the middle dropped', urls, (l) => l.filter((_, i) => i !== 100)],
      ['an end replaced', urls, (l) => [...l.slice(1, -1), 'other']],
      ['-0 for 0', [1, 0, 2], (l) => l.map((x) => (x === 0 ? -0 : x)).slice(1)],
      ['its own toJSON', urls, (l) => Object.assign(l.slice(1), { toJSON: () => 'x' })],
      ['a function dropped (JSON: null)', [() => 1, 'a', 'b', 'c'], (l) => l.slice(1)],
      ['a BigInt dropped', [1n, 'a', 'b', 'c'], (l) => l.slice(1)],
    ])('%s: not derived (the caller serializes it), the run unchanged', (_name, list, cut) => {
      const run = listRun(list);
      expect(cutArrayBytes(run, 1000, cut(list))).toBeUndefined();
      expect({ start: run.start, end: run.end }).toEqual({ start: 0, end: list.length });
    });

    it('compares with the copy taken before the list was handed out, not with the list', () => {
      const list = ['aaa', 'bbb', 'ccc', 'ddd'];
      const run = listRun(list);
      const measured = bytesOf(list);
      list[3] = 'z'; // a shrinker changing its list in place, then cutting it
      expect(cutArrayBytes(run, measured, list.slice(1))).toBeUndefined();
      expect(cutArrayBytes(run, measured, ['bbb', 'ccc', 'ddd'])).toBe(
        bytesOf(['bbb', 'ccc', 'ddd']),
      );
    });

    it('trusts the inner elements of a long run (the fit taken is checked whole, below)', () => {
      const run = listRun(urls);
      const next = urls.slice(1);
      next[7] = 'é'; // not among the elements compared
      expect(cutArrayBytes(run, bytesOf(urls), next)).toBe(bytesOf(urls.slice(1)));
    });
  });

  describe("SizedCandidate: a list sized from the caller's JSON length", () => {
    const data = { a: 'x', list: ['p', 'q', 'é"'], n: 1, f: () => 1 };

    it.each([
      ['the list first', { list: ['p', 'q'], a: 1 }],
      ['the list alone', { list: ['p', 'q', 'é"'] }],
      ['beside a dropped value', data],
      ['an empty list', { a: 'x', list: [] }],
    ])('%s: exact', (_name, source) => {
      const candidate = new SizedCandidate(source, { jsonBytes: bytesOf(source), key: 'list' });
      expect(candidate.jsonBytes).toBe(bytesOf(source));
      expect(candidate.entryBytes('list')).toBe(bytesOf({ list: source.list }) - 2);
      expect(candidate.remeasureIfStale()).toBe(false); // checked whole: nothing stale
    });

    it('a wrong length is found by the check of what fits, then measured whole', () => {
      const candidate = new SizedCandidate(data, { jsonBytes: bytesOf(data) + 5, key: 'list' });
      expect(candidate.jsonBytes).toBe(bytesOf(data) + 5);
      expect(candidate.remeasureIfStale()).toBe(true);
      expect(candidate.jsonBytes).toBe(bytesOf(data));
    });

    it('a length too small for any list: the list is measured', () => {
      const candidate = new SizedCandidate(data, { jsonBytes: 3, key: 'list' });
      expect(candidate.jsonBytes).toBe(bytesOf(data));
    });

    it('through shrinkPartition: a wrong `jsonBytes` never gives a wrong fit', async () => {
      const list = Array.from({ length: 300 }, (_, i) => `https://shop.example/p/${i}`);
      for (const error of [-40, 40]) {
        const source = { user: 'ada', list };
        const result = await shrinkPartition({
          data: source,
          jsonBytes: bytesOf(source) + error,
          shrinkers: [{ key: 'list', shrink: (l: string[]) => l.slice(1) }],
          overBy: (jsonBytes) => jsonBytes - 3000,
        });
        expect(result.fits).toBe(true);
        expect(result.jsonBytes).toBe(bytesOf(result.data));
        expect(result.jsonBytes).toBeLessThanOrEqual(3000);
      }
    });
  });
});
