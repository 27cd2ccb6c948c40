/** What a shrinker is told besides the value it shrinks. */
export interface ShrinkContext {
  /** `true` in phase 3: the last chance before keys are removed. */
  last: boolean;
  /** The partition's data being shrunk (read only). */
  session: Readonly<Record<string, unknown>>;
  /**
   * How many bytes of the partition's JSON (`JSON.stringify(session)`, UTF-8) must go before it
   * fits, at this step: a value whose JSON is this much shorter makes it fit. Exact without
   * `compress`; with it, an estimate from the last measured deflate ratio (always at least 1).
   */
  overBy: number;
}

/** A shrinker returns the key's new value (or a Promise of it); `undefined` removes the key. */
// `any`: a shrinker names its value's own type (`(list: string[]) => …`), which a parameter
// of type `unknown` would refuse.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ShrinkFunction = (value: any, ctx: ShrinkContext) => unknown;

/** A shrink policy registered without decorators (the Express middleware). */
export interface ShrinkerRegistration {
  key: string;
  /** Lowest = least important, shrunk first. Default 0. */
  priority?: number;
  shrink: ShrinkFunction;
}

/** Sent to `onShrink` once for each partition that had to be shrunk, per response. */
export interface ShrinkEvent {
  cookieName: string;
  userAgent: string | undefined;
  /** The partition's cookies (name + value, summed) as the unshrunk data would have sealed. */
  bytesBefore: number;
  /** The partition's cookies (name + value, summed) as written (0 when deleted). */
  bytesAfter: number;
  /** Keys a shrinker changed, each once, in the order first seen. */
  shrunkKeys: string[];
  /** Keys removed by any phase, each once, in the order first seen. */
  removedKeys: string[];
}

/**
 * How many bytes of JSON a candidate is over what its partition may use: 0 or less when it fits.
 * `removedBytes` counts the JSON bytes removed or replaced since shrinking began (the shrink
 * engine keeps the count; 0 for data not yet shrunk): the compressed check bounds how much the
 * deflated size can have changed by it.
 */
export type OverBy = (
  jsonBytes: number,
  candidate: Record<string, unknown>,
  removedBytes?: number,
) => number;
