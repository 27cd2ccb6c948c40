/**
 * The shrink engine (the README's "Shrinkers"): makes a partition's data small enough for its cookies.
 * Pure and framework-free: it knows the data, the shrinkers and a `fits` predicate, nothing else.
 *
 * Phases, with `fits` checked first, then after every step that changed the data, stopping as soon
 * as it holds:
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
 * - A step that changed nothing (value not taken, shrinker failed) is not followed by a `fits` call.
 * - A shrinker that throws or rejects, or returns a value JSON cannot serialize (a BigInt, a cycle),
 *   is reported to `onShrinkerError` and the step is skipped; the value stays.
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
import type { ShrinkContext, ShrinkerRegistration } from './shrink-types.js';
import { SizedCandidate } from './sized-candidate.js';

export { jsonByteLength } from './json-size.js';

export interface ShrinkRequest {
  /** The partition's data; never mutated: the engine works on a shallow copy. */
  data: Record<string, unknown>;
  /** All registered shrinkers; those whose key is not in `data` are ignored. */
  shrinkers: readonly ShrinkerRegistration[];
  /**
   * Is this candidate small enough? `jsonBytes` is `Buffer.byteLength(JSON.stringify(candidate))`.
   * `candidate` is the engine's working copy: read it, do not keep or change it.
   */
  fits(jsonBytes: number, candidate: Record<string, unknown>): boolean;
  /** Stop after phase 1 (used for partitions with an overflow store). */
  stopAfterPhase1?: boolean;
  /** Called when a shrinker throws/rejects; the step is then skipped (value kept). */
  onShrinkerError?(key: string, error: unknown): void;
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

export async function shrinkPartition(request: ShrinkRequest): Promise<ShrinkResult> {
  const candidate = new SizedCandidate(request.data);
  const shrunkKeys = new Set<string>();
  const removedKeys = new Set<string>();
  // A candidate that fits is checked whole once: sizes known by identity may be stale.
  const fitsNow = (): boolean =>
    request.fits(candidate.jsonBytes, candidate.data) &&
    (!candidate.remeasureIfStale() || request.fits(candidate.jsonBytes, candidate.data));
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
  // is built on first read: most shrinkers only look at their value.
  const context = (last: boolean): ShrinkContext =>
    Object.freeze({
      last,
      get session() {
        return candidate.snapshot();
      },
    });
  const contexts = { early: context(false), last: context(true) };
  /** One shrinker call. Synchronous for synchronous shrinkers: a step costs no promise then. */
  const step = (shrinker: OrderedShrinker, last: boolean): boolean | Promise<boolean> => {
    const { key } = shrinker;
    let value: unknown;
    try {
      value = shrinker.shrink(candidate.data[key], last ? contexts.last : contexts.early);
    } catch (error) {
      return failed(key, error);
    }
    if (!isThenable(value)) return apply(key, value);
    return Promise.resolve(value).then(
      (resolved) => apply(key, resolved),
      (error: unknown) => failed(key, error),
    );
  };

  if (fitsNow()) return done(true);
  const ordered = orderShrinkers(request.shrinkers, (key) => candidate.has(key));

  // Phase 1: rounds of shrinkers until a whole round makes nothing smaller.
  for (let progress = true; progress;) {
    progress = false;
    for (const shrinker of ordered) {
      if (!candidate.has(shrinker.key)) continue; // removed by an earlier step
      let changed = step(shrinker, false);
      if (typeof changed !== 'boolean') changed = await changed;
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
    if (!candidate.has(shrinker.key)) continue;
    let changed = step(shrinker, true);
    if (typeof changed !== 'boolean') changed = await changed;
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

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
