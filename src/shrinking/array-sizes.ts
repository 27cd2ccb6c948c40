/**
 * Sizes of an array, kept so that a shrinker dropping elements (`list.slice(1)`,
 * `list.slice(0, -1)`, `list.filter(...)`) costs no serialization: the new array is matched
 * (`Object.is`) against a private copy of the old one, whose element sizes are known. A run cut
 * from either end (`slice`) is matched in constant time, by its ends, its middle and its quarters,
 * so that dropping one element per call costs the engine the same at any length; its inner
 * elements are then trusted (`trusted`), and `SizedCandidate.remeasureIfStale` checks a candidate
 * that fits against its full serialization before it is taken. Any other subsequence is matched
 * element by element.
 * Equal primitives always serialize alike. An object element is serialized once and then known by
 * identity, since shrinkers must not change values in place (shrink-partition.ts): an array that
 * comes back itself (maybe changed in place) has its objects measured again (`trustObjects`), and
 * `SizedCandidate.remeasureIfStale` checks what fits against its full serialization.
 */
export interface ArraySizes {
  /** Private copy of the elements: never mutated, never handed out. */
  readonly items: readonly unknown[];
  /** `prefix[i]`: bytes of `items[0..i)`, each serialized as an array element. */
  readonly prefix: Float64Array;
  /** The current array is `items[start..end)`. */
  readonly start: number;
  readonly end: number;
  /** Whether an element is an object (whose size is then known by identity only). */
  readonly hasObjects: boolean;
  /** Whether inner elements were taken for those of a run without comparing each. */
  readonly trusted: boolean;
  /** Whether these sizes were derived from the previous ones (the array lost elements only). */
  readonly derived: boolean;
}

/** Bytes of the JSON of the array that `sizes` describe. */
export function arrayBytes(sizes: ArraySizes): number {
  const count = sizes.end - sizes.start;
  return count === 0 ? 2 : 2 + sizes.prefix[sizes.end]! - sizes.prefix[sizes.start]! + count - 1;
}

/**
 * Sizes of `next`, reusing `previous` (the sizes of the value it replaces) when `next` holds a
 * subsequence of its elements; `undefined` when `next` cannot be cached (a function, symbol or
 * BigInt element, an own `toJSON`): the caller then serializes it whole. With `trustObjects`
 * false (the same array came back), object elements are measured again.
 */
export function measureArray(
  next: readonly unknown[],
  previous: ArraySizes | undefined,
  trustObjects = true,
): ArraySizes | undefined {
  if (typeof (next as { toJSON?: unknown }).toJSON === 'function') return undefined;
  if (previous !== undefined && (trustObjects || !previous.hasObjects)) {
    // The same array back may have been changed anywhere: compared element by element.
    const reused = matchWindow(previous, next, !trustObjects) ?? matchSubsequence(previous, next);
    if (reused !== undefined) return reused;
  }
  return build(next);
}

/**
 * `next` as a contiguous run at the end (`slice(k)`) or the start (`slice(0, -k)`) of `previous`:
 * five comparisons (`exact`: one per element), no allocation but the result.
 */
function matchWindow(
  previous: ArraySizes,
  next: readonly unknown[],
  exact: boolean,
): ArraySizes | undefined {
  const length = next.length;
  const available = previous.end - previous.start;
  if (length > available) return undefined;
  const same = exact ? sameRun : sameSampledRun;
  let start = previous.end - length;
  if (!same(previous.items, start, next)) {
    start = previous.start;
    if (length === available || !same(previous.items, start, next)) return undefined;
  }
  const { items, prefix, hasObjects } = previous;
  const trusted = previous.trusted || (!exact && length > COMPARED_WHOLE);
  return { items, prefix, start, end: start + length, hasObjects, trusted, derived: true };
}

/**
 * Whether `next` is a run cut from either end of `previous` (compared as `matchWindow` does), for
 * a list whose sizes are not known yet: what a shrinker that drops elements gave up is then the
 * difference of their sizes, not the whole list.
 */
export function isRunOf(previous: readonly unknown[], next: readonly unknown[]): boolean {
  const start = previous.length - next.length;
  return start >= 0 && (sameSampledRun(previous, start, next) || sameSampledRun(previous, 0, next));
}

/** Runs up to this long are compared whole (about 50 ns): exact sizes where it costs nothing. */
const COMPARED_WHOLE = 64;

/** `sameRun` for a short run; for a longer one, at both ends, the middle and the quarters only. */
function sameSampledRun(
  items: readonly unknown[],
  start: number,
  next: readonly unknown[],
): boolean {
  const same = Object.is; // as in `sameRun`
  const last = next.length - 1;
  if (last < COMPARED_WHOLE) return sameRun(items, start, next);
  const quarter = last >> 2;
  return (
    same(items[start], next[0]) &&
    same(items[start + last], next[last]) &&
    same(items[start + (last >> 1)], next[last >> 1]) &&
    same(items[start + quarter], next[quarter]) &&
    same(items[start + last - quarter], next[last - quarter])
  );
}

/**
 * Whether `next[i]` is `items[start + i]` for every `i`: both ends first (a dropped or changed end
 * fails at once), then the rest. `Object.is`, not `===`: on two long strings `===` checks both
 * types and calls a content comparison; `Object.is` calls one that returns at once for the same
 * string (the case here: elements copied from array to array), a quarter less per element. It
 * tells `+0` from `-0` (a mismatch: measured again) and matches `NaN` with `NaN` (both `null`).
 * Read once per call into a local: in a `vm` context (Jest) each read of the global `Object` goes
 * through the context's interceptor, and one per element made the loop ~50 times slower.
 */
function sameRun(items: readonly unknown[], start: number, next: readonly unknown[]): boolean {
  const same = Object.is;
  const last = next.length - 1;
  if (last < 0) return true;
  if (!same(items[start], next[0]) || !same(items[start + last], next[last])) return false;
  for (let i = 1; i < last; i++) {
    if (!same(items[start + i], next[i])) return false;
  }
  return true;
}

/** `next` as any subsequence of `previous` (greedy match): sizes copied, nothing serialized. */
function matchSubsequence(previous: ArraySizes, next: readonly unknown[]): ArraySizes | undefined {
  const { items, prefix, end } = previous;
  const copy: unknown[] = []; // packed (not holey) elements: the fastest to compare
  const nextPrefix = new Float64Array(next.length + 1);
  const same = Object.is; // as in `sameRun`
  let j = previous.start;
  for (let i = 0; i < next.length; i++) {
    const element = next[i];
    while (j < end && !same(items[j], element)) j++;
    if (j === end) return undefined;
    copy.push(element);
    nextPrefix[i + 1] = nextPrefix[i]! + prefix[j + 1]! - prefix[j]!;
    j++;
  }
  return {
    items: copy,
    prefix: nextPrefix,
    start: 0,
    end: next.length,
    hasObjects: previous.hasObjects,
    trusted: previous.trusted,
    derived: true,
  };
}

function build(next: readonly unknown[]): ArraySizes | undefined {
  const copy: unknown[] = [];
  const prefix = new Float64Array(next.length + 1);
  let hasObjects = false;
  for (let i = 0; i < next.length; i++) {
    const element = next[i];
    const bytes = elementBytes(element);
    if (bytes === undefined) return undefined;
    if (typeof element === 'object' && element !== null) hasObjects = true;
    copy.push(element);
    prefix[i + 1] = prefix[i]! + bytes;
  }
  return {
    items: copy,
    prefix,
    start: 0,
    end: next.length,
    hasObjects,
    trusted: false,
    derived: false,
  };
}

/** Strings JSON writes as they are between its quotes: printable ASCII but `"` and `\`. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/**
 * Bytes of an array element (`undefined` and holes are `null`); `undefined` if not cacheable.
 * Throws where JSON.stringify does (a cycle, a BigInt inside an object).
 */
function elementBytes(element: unknown): number | undefined {
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
      return undefined; // bigint (JSON throws), symbol, function: left to JSON.stringify
  }
}
