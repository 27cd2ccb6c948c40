import { fail } from './option-checks.js';

/**
 * Edit distance between two names, ignoring case: insertions, deletions, substitutions and
 * swaps of two neighbouring letters each cost 1 (the optimal-string-alignment distance,
 * Damerau 1964; `idleTimout` is 1 from `idleTimeout`, `touhcAfter` 1 from `touchAfter`).
 */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  // d[i][j]: distance between the first i letters of s and the first j of t.
  const d: number[][] = Array.from({ length: s.length + 1 }, (_, i) =>
    Array.from({ length: t.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= s.length; i++) {
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) {
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      }
      d[i]![j] = best;
    }
  }
  return d[s.length]![t.length]!;
}

/** The known name nearest to `name` (the first of equals, in the order given). */
export function nearestName(name: string, known: readonly string[]): string {
  let best = known[0]!;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/**
 * Stops start-up at the first key of `given` that is not in `known` (a typo such as
 * `idleTimout` would otherwise pass, and the default apply), naming the nearest known option.
 * `prefix` places nested options (`'limits.'`).
 */
export function refuseUnknownKeys(given: object, known: readonly string[], prefix = ''): void {
  for (const key of Object.keys(given)) {
    if (known.includes(key)) continue;
    throw fail(
      `${prefix}${key}`,
      'is not an option',
      `Did you mean \`${prefix}${nearestName(key, known)}\`?`,
    );
  }
}
