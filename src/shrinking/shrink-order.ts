import type { ShrinkerRegistration, ShrinkFunction } from './shrink-types.js';

/** A registered shrinker, its priority resolved, in the order the engine calls it. */
export interface OrderedShrinker {
  key: string;
  priority: number;
  shrink: ShrinkFunction;
}

/** Code-unit order of key names: the same everywhere, unlike `localeCompare`. */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Numeric order that also holds for ±Infinity (where subtraction gives NaN). */
export function compareNumbers(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The shrinkers whose key `isPresent`, in ascending priority (default 0; lowest = least important,
 * shrunk first), ties by key name, then by registration order. A `NaN` priority counts as 0.
 */
export function orderShrinkers(
  shrinkers: readonly ShrinkerRegistration[],
  isPresent: (key: string) => boolean,
): OrderedShrinker[] {
  return shrinkers
    .map((registration, index) => ({ registration, index }))
    .filter(({ registration }) => isPresent(registration.key))
    .map(({ registration, index }) => ({
      key: registration.key,
      priority: Number.isNaN(registration.priority) ? 0 : (registration.priority ?? 0),
      shrink: registration.shrink,
      index,
    }))
    .sort(
      (a, b) =>
        compareNumbers(a.priority, b.priority) || compareKeys(a.key, b.key) || a.index - b.index,
    )
    .map(({ key, priority, shrink }) => ({ key, priority, shrink }));
}

/** A key's priority: the lowest among its shrinkers. */
export function keyPriorities(ordered: readonly OrderedShrinker[]): Map<string, number> {
  const priorities = new Map<string, number>();
  for (const { key, priority } of ordered) {
    if (!priorities.has(key)) priorities.set(key, priority); // ascending order: the first is the lowest
  }
  return priorities;
}
