/**
 * The shrink engine (the README's "Shrinkers"): makes a partition's data small enough for its cookies.
 * Pure and framework-free: it knows the data, the shrinkers and a `fits` predicate, nothing else.
 *
 * Phases, with `overBy` checked first, then after every step that changed the data, stopping as
 * soon as it is 0 or less (the candidate fits):
 * 1. shrinkers with `last: false`, in ascending priority (ties by key name, then registration
 *    order), round after round until a whole round makes nothing smaller;
 * 2. keys without a shrinker removed, largest first (`"key":value` bytes; ties by key name);
 * 3. shrinkers again with `last: true`, one pass in the same order;
 * 4. the remaining keys removed, lowest priority first (a key's priority is the lowest among its
 *    shrinkers; ties by key name).
 *
 * Where the contract is silent:
 * - A shrinker's value that is not smaller (in bytes of `"key":value`) than the current one is not
 *   taken and is no progress: every round that goes on has removed a key or made one strictly
 *   smaller, so phase 1 always ends. `undefined` always removes the key.
 * - A step that changed nothing (value not taken, shrinker failed) is not followed by an `overBy`
 *   call; the shrinkers after it see the same `overBy`.
 * - A shrinker that throws or rejects, or returns a value JSON cannot serialize (a BigInt, a cycle),
 *   is reported to `onShrinkerError` and the step is skipped; the value stays.
 * - A shrinker whose Promise has not settled within `shrinkerTimeout` ms is reported the same way
 *   (a `ShrinkerTimeoutError`), its step skipped, and it is not called again for this partition on
 *   this response: a shrinker that hangs delays a response once, not once per phase. What it
 *   answers later is ignored.
 * - A value JSON drops (a function) counts 0 bytes, as in `JSON.stringify`; it is kept like any
 *   other value and removed by phases 2 and 4 like any other key.
 * - Shrinkers must not mutate their value or the session in place (`session` is frozen, shallowly).
 */
import {
  compareKeys,
  compareNumbers,
  keyPriorities,
  orderShrinkers,
  type OrderedShrinker,
} from './shrink-order.js';
import type { OverBy } from './fit-check.js';
import { ShrinkerTimeoutError } from './shrinker-failure.js';
import type { ShrinkContext, ShrinkerRegistration } from './shrink-types.js';
import { SizedCandidate } from './sized-candidate.js';

/** Milliseconds a shrinker's Promise may take when the request does not say. */
export const DEFAULT_SHRINKER_TIMEOUT = 1000;

export { jsonByteLength } from './json-size.js';

export interface ShrinkRequest {
  /** The partition's data; never mutated: the engine works on a shallow copy. */
  data: Record<string, unknown>;
  /** All registered shrinkers; those whose key is not in `data` are ignored. */
  shrinkers: readonly ShrinkerRegistration[];
  /**
   * How many bytes of JSON is this candidate over its allowance (0 or less: it fits)? `jsonBytes`
   * is `Buffer.byteLength(JSON.stringify(candidate))`; `removedBytes` the JSON bytes removed or
   * replaced so far (see fit-check.ts). `candidate` is the engine's working copy: read it, do not
   * keep or change it. The last answer is the shrinkers' `ShrinkContext.overBy`.
   */
  overBy: OverBy;
  /**
   * `Buffer.byteLength(JSON.stringify(data))`, when the caller has it: the first list a shrinker
   * may cut is then sized from it, not serialized again.
   */
  jsonBytes?: number;
  /** Stop after phase 1 (used for partitions with an overflow store). */
  stopAfterPhase1?: boolean;
  /** Called when a shrinker throws/rejects/times out; the step is then skipped (value kept). */
  onShrinkerError?(key: string, error: unknown): void;
  /** Milliseconds a shrinker's Promise may take (default `DEFAULT_SHRINKER_TIMEOUT`). */
  shrinkerTimeout?: number;
}

export interface ShrinkResult {
  /** The (possibly) shrunk copy. */
  data: Record<string, unknown>;
  /** Whether the final candidate fits. */
  fits: boolean;
  /** Byte length of `JSON.stringify(data)`. */
  jsonBytes: number;
  /** Keys a shrinker changed, each once, in the order first seen. */
  shrunkKeys: string[];
  /** Keys removed by any phase (a shrinker returning `undefined` included), each once, in order. */
  removedKeys: string[];
}

/**
 * Shrinks `request.data` until it fits. Synchronous (a `ShrinkResult`) when every shrinker called
 * answers synchronously; a Promise from the first shrinker that answers with one.
 */
export function shrinkPartition(request: ShrinkRequest): ShrinkResult | Promise<ShrinkResult> {
  const run = phases(request);
  return drive(run, run.next());
}

/** Runs the phases on until they wait for a shrinker's Promise, then again once it settles. */
function drive(
  run: Generator<Promise<boolean>, ShrinkResult, boolean>,
  next: IteratorResult<Promise<boolean>, ShrinkResult>,
): ShrinkResult | Promise<ShrinkResult> {
  if (next.done) return next.value;
  return next.value.then((changed) => drive(run, run.next(changed)));
}

/** The four phases; each asynchronous step is yielded, and its outcome comes back. */
function* phases(request: ShrinkRequest): Generator<Promise<boolean>, ShrinkResult, boolean> {
  const { data, jsonBytes } = request;
  const listKey = request.shrinkers.find(
    ({ key }) => Object.hasOwn(data, key) && Array.isArray(data[key]),
  )?.key;
  const candidate = new SizedCandidate(
    data,
    jsonBytes !== undefined && listKey !== undefined ? { jsonBytes, key: listKey } : undefined,
  );
  const shrunkKeys = new Set<string>();
  const removedKeys = new Set<string>();
  const timeout = request.shrinkerTimeout ?? DEFAULT_SHRINKER_TIMEOUT;
  /** Shrinkers that timed out: not called again. */
  const hung = new Set<OrderedShrinker>();
  let overBy = 0;
  const measure = (): number =>
    request.overBy(candidate.jsonBytes, candidate.data, candidate.removedBytes);
  // A candidate that fits is checked whole once: a list's size derived from the one it replaced
  // (array-sizes.ts) may be stale.
  const fitsNow = (): boolean => {
    overBy = measure();
    if (overBy <= 0 && candidate.remeasureIfStale()) overBy = measure();
    return overBy <= 0;
  };
  const done = (fits: boolean): ShrinkResult => ({
    data: candidate.data,
    fits,
    jsonBytes: candidate.jsonBytes,
    shrunkKeys: [...shrunkKeys],
    removedKeys: [...removedKeys],
  });
  const remove = (key: string): void => {
    candidate.remove(key);
    removedKeys.add(key);
  };

  const failed = (key: string, error: unknown): false => {
    request.onShrinkerError?.(key, error);
    return false;
  };
  /** Takes a shrinker's value; whether that changed the data (smaller value or key removed). */
  const apply = (key: string, value: unknown): boolean => {
    if (value === undefined) {
      remove(key);
      return true;
    }
    let accepted: boolean;
    try {
      accepted = candidate.offer(key, value);
    } catch (error) {
      return failed(key, error); // a value JSON cannot serialize
    }
    if (accepted) shrunkKeys.add(key);
    return accepted;
  };
  // One context per phase, frozen: an object literal with a getter is built by the runtime, not
  // from a template (~0.2 µs, as much as a step of a 2000-element list takes otherwise). `session`
  // is built on first read: most shrinkers only look at their value; `overBy` is the last answer.
  const context = (last: boolean): ShrinkContext =>
    Object.freeze({
      last,
      get session() {
        return candidate.snapshot();
      },
      get overBy() {
        return overBy;
      },
    });
  const contexts = { early: context(false), last: context(true) };
  /** One shrinker call. Synchronous for synchronous shrinkers: a step costs no promise then. */
  const step = (shrinker: OrderedShrinker, last: boolean): boolean | Promise<boolean> => {
    const { key } = shrinker;
    let value: unknown;
    try {
      value = shrinker.shrink(candidate.valueFor(key), last ? contexts.last : contexts.early);
    } catch (error) {
      return failed(key, error);
    }
    if (!isThenable(value)) return apply(key, value);
    return settleWithin(Promise.resolve(value), timeout).then(
      (outcome) => {
        if (outcome.settled) return apply(key, outcome.value);
        hung.add(shrinker);
        return failed(key, new ShrinkerTimeoutError(key, timeout));
      },
      (error: unknown) => failed(key, error),
    );
  };

  if (fitsNow()) return done(true);
  const ordered = orderShrinkers(request.shrinkers, (key) => candidate.has(key));

  // Phase 1: rounds of shrinkers until a whole round makes nothing smaller.
  for (let progress = true; progress;) {
    progress = false;
    for (const shrinker of ordered) {
      if (!candidate.has(shrinker.key) || hung.has(shrinker)) continue; // removed, or hangs
      let changed = step(shrinker, false);
      if (typeof changed !== 'boolean') changed = yield changed;
      if (!changed) continue;
      progress = true;
      if (fitsNow()) return done(true);
    }
  }
  if (request.stopAfterPhase1) return done(false);

  // Phase 2: keys without a shrinker, largest first.
  const withShrinker = new Set(ordered.map(({ key }) => key));
  const unshrinkable = candidate
    .keys()
    .filter((key) => !withShrinker.has(key))
    .map((key) => ({ key, bytes: candidate.entryBytes(key) }))
    .sort((a, b) => b.bytes - a.bytes || compareKeys(a.key, b.key));
  for (const { key } of unshrinkable) {
    remove(key);
    if (fitsNow()) return done(true);
  }

  // Phase 3: one last pass of shrinkers, `last: true`.
  for (const shrinker of ordered) {
    if (!candidate.has(shrinker.key) || hung.has(shrinker)) continue;
    let changed = step(shrinker, true);
    if (typeof changed !== 'boolean') changed = yield changed;
    if (changed && fitsNow()) return done(true);
  }

  // Phase 4: the remaining keys, lowest priority first.
  const priorities = keyPriorities(ordered);
  const remaining = candidate
    .keys()
    .map((key) => ({ key, priority: priorities.get(key) ?? 0 }))
    .sort((a, b) => compareNumbers(a.priority, b.priority) || compareKeys(a.key, b.key));
  for (const { key } of remaining) {
    remove(key);
    if (fitsNow()) return done(true);
  }
  return done(false); // no keys left and still too big: the caller deletes the cookies
}

/** The promise's value, or `settled: false` once `ms` have passed first (the timer then goes). */
function settleWithin<T>(
  promise: Promise<T>,
  ms: number,
): Promise<{ settled: true; value: T } | { settled: false }> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<{ settled: false }>((resolve) => {
    timer = setTimeout(() => resolve({ settled: false }), ms);
  });
  return Promise.race([
    promise.then((value) => ({ settled: true as const, value })),
    expired,
  ]).finally(() => clearTimeout(timer));
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
