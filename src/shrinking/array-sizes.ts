/**
 * The JSON size of a list a shrinker cut from either end (`list.slice(1)`, `list.slice(0, -k)`),
 * from the size of the list it replaces, without serializing it: when the new list is a run of the
 * previous one's elements (`Object.is`), its JSON is the previous one's less the dropped elements
 * and their commas. Only what changed is measured: the dropped elements, or, when fewer are kept
 * than dropped, the kept ones (serialized whole). A step costs the engine the same at any length,
 * and allocates nothing.
 *
 * The previous elements are a private copy (`ListRun`), taken before the list is handed to a
 * shrinker: one that changes its list in place (against the contract) is still measured exactly
 * wherever it is compared. A run is recognized in constant time: a short one compared whole, a
 * longer one at both ends, the middle and the quarters; its other elements are trusted, and so are
 * object elements measured earlier (shrinkers must not change values in place,
 * shrink-partition.ts). `SizedCandidate.remeasureIfStale` checks a candidate that fits against its
 * full serialization before it is taken: a size that is wrong costs a re-measure, never a cookie
 * over the limits. Any other list is serialized whole by the caller.
 */

/** A list as measured: a private copy of its elements, of which it is `items[start..end)`. */
export interface ListRun {
  readonly items: readonly unknown[];
  start: number;
  end: number;
}

/** The run of a list about to be handed to a shrinker: its elements copied (packed, not holey). */
export function listRun(list: readonly unknown[]): ListRun {
  const items: unknown[] = [];
  for (let i = 0; i < list.length; i++) items.push(list[i]);
  return { items, start: 0, end: items.length };
}

/**
 * Bytes of `JSON.stringify(next)` when `next` is a run cut from either end of `run`, whose JSON
 * took `runBytes`; `run` then describes `next`. `undefined` (and `run` unchanged) when it is not,
 * or when `next` has its own `toJSON` or a dropped element is a function, symbol or BigInt: the
 * caller then serializes `next` whole. Throws where `JSON.stringify` would (a cycle, a BigInt
 * inside an object). The list `run` came from must not have its own `toJSON` either.
 */
export function cutArrayBytes(
  run: ListRun,
  runBytes: number,
  next: readonly unknown[],
): number | undefined {
  const kept = next.length;
  const dropped = run.end - run.start - kept;
  if (dropped <= 0 || ownToJSON(next)) return undefined;
  const { items } = run;
  // `next` is `items[from..from + kept)`: the end (`slice(k)`), else the start.
  let from = run.end - kept;
  if (!sameRun(items, from, next)) {
    from = run.start;
    if (!sameRun(items, from, next)) return undefined;
  }
  let bytes: number;
  if (kept === 0) bytes = 2;
  else if (kept < dropped) bytes = Buffer.byteLength(JSON.stringify(next));
  else {
    let droppedBytes = 0;
    const first = from === run.start ? from + kept : run.start;
    for (let i = first; i < first + dropped; i++) {
      const element = elementBytes(items[i]);
      if (element === undefined) return undefined;
      droppedBytes += element + 1; // and its comma
    }
    bytes = runBytes - droppedBytes;
  }
  run.start = from;
  run.end = from + kept;
  return bytes;
}

export function ownToJSON(list: readonly unknown[]): boolean {
  return typeof (list as { toJSON?: unknown }).toJSON === 'function';
}

/** Runs up to this long are compared whole (about 50 ns): exact where it costs nothing. */
const COMPARED_WHOLE = 64;

/**
 * Whether `next[i]` is `items[start + i]`: every `i` for a short run; for a longer one, both ends,
 * the middle and the quarters (the rest trusted, see above). `Object.is`, not `===`: on two long
 * strings `===` checks both types and calls a content comparison, `Object.is` one that returns at
 * once for the same string (the case here: elements copied from list to list). It tells `+0` from
 * `-0` (a mismatch: measured whole) and matches `NaN` with `NaN` (both `null`). Read once per call
 * into a local: in a `vm` context (Jest) each read of the global `Object` goes through the
 * context's interceptor.
 */
function sameRun(items: readonly unknown[], start: number, next: readonly unknown[]): boolean {
  const same = Object.is;
  const last = next.length - 1;
  if (last < 0) return true;
  if (!same(items[start], next[0]) || !same(items[start + last], next[last])) return false;
  if (last < COMPARED_WHOLE) {
    for (let i = 1; i < last; i++) {
      if (!same(items[start + i], next[i])) return false;
    }
    return true;
  }
  const quarter = last >> 2;
  return (
    same(items[start + (last >> 1)], next[last >> 1]) &&
    same(items[start + quarter], next[quarter]) &&
    same(items[start + last - quarter], next[last - quarter])
  );
}

/** Strings JSON writes as they are between its quotes: printable ASCII but `"` and `\`. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/**
 * Bytes of an array element in JSON (`undefined` and holes are `null`); `undefined` for a
 * function, symbol or BigInt (left to `JSON.stringify`). Throws where `JSON.stringify` does.
 */
export function elementBytes(element: unknown): number | undefined {
  switch (typeof element) {
    case 'string':
      return PLAIN.test(element) ? element.length + 2 : Buffer.byteLength(JSON.stringify(element));
    case 'number':
      return JSON.stringify(element).length; // digits, or `null` for NaN and ±Infinity: ASCII
    case 'boolean':
      return element ? 4 : 5;
    case 'undefined':
      return 4;
    case 'object': {
      if (element === null) return 4;
      const json = JSON.stringify(element) as string | undefined; // a toJSON may give undefined
      return json === undefined ? 4 : Buffer.byteLength(json);
    }
    default:
      return undefined;
  }
}
