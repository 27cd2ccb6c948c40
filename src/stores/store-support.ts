/**
 * What every built-in store does the same way: argument checks (a `TypeError`, a programming
 * error), the record as JSON, expiry arithmetic, and the one shape of a failure of the backend
 * (`SessionStoreUnavailableError`, the client's error as `cause`).
 */
import { ChunkedSessionOptionsError, SessionStoreUnavailableError } from '../errors/errors.js';

/** The longest lifetime a store gives a record: 2³¹ − 1 seconds (about 68 years). */
export const MAX_TTL_SECONDS = 2 ** 31 - 1;

export function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An id must be a non-empty string; anything else is a caller's bug. */
export function checkId(store: string, id: unknown): asserts id is string {
  if (typeof id !== 'string' || id.length === 0) {
    throw new TypeError(
      `${store}: id must be a non-empty string (got ${id === '' ? 'an empty string' : describe(id)})`,
    );
  }
}

/** The data of `set` must be a plain object; anything else is a caller's bug. */
export function checkRecord(store: string, data: unknown): asserts data is Record<string, unknown> {
  if (!isPlainRecord(data)) {
    throw new TypeError(`${store}: data must be a plain object (got ${describe(data)})`);
  }
}

/**
 * The seconds a record lives, from what `set` or `touch` was given: a number (not NaN), at least
 * 0 and at most {@link MAX_TTL_SECONDS}.
 */
export function checkTtl(store: string, ttlSeconds: unknown): number {
  if (typeof ttlSeconds !== 'number' || Number.isNaN(ttlSeconds)) {
    throw new TypeError(`${store}: ttlSeconds must be a number (got ${String(ttlSeconds)})`);
  }
  return Math.min(Math.max(0, ttlSeconds), MAX_TTL_SECONDS);
}

/** Milliseconds since the epoch at which a record given `ttlSeconds` expires. */
export function expiresAt(store: string, ttlSeconds: unknown): number {
  return Date.now() + checkTtl(store, ttlSeconds) * 1000;
}

/**
 * The record as JSON text. JSON.stringify escapes NUL as `\u0000` and a lone surrogate as
 * `\udXXX` (ECMA-262 §25.5.2.3, QuoteJSONString), so the text is plain, well-formed UTF-8
 * whatever the strings hold, and `JSON.parse` gives back exactly what was stored.
 * Data that is not a plain object, or that JSON cannot write (a BigInt, a cycle), is a
 * `TypeError`.
 */
export function recordToJson(store: string, data: unknown): string {
  checkRecord(store, data);
  const known = commitTexts.get(data);
  if (known !== undefined) {
    commitTexts.delete(data);
    return known;
  }
  try {
    return JSON.stringify(data);
  } catch (error) {
    throw new TypeError(`${store}: data cannot be written as JSON: ${reasonOf(error)}`, {
      cause: error,
    });
  }
}

/**
 * JSON text already in hand, so that a record is not serialized again. Two maps, as the two uses
 * differ in who may change the object afterwards:
 * - `commitTexts`: the text a commit serialized a partition's fields to, for the `set` that
 *   follows (the engine builds that object for the call); taken once, by `recordToJson`.
 * - `parsedTexts`: the text a record read back was parsed from, for the engine's snapshot of it
 *   (`jsonOf`), never for writing: an application that reads a record, changes it and writes it
 *   again must have its change written.
 */
const commitTexts = new WeakMap<object, string>();
const parsedTexts = new WeakMap<object, string>();

/** `json` is `JSON.stringify(data)`, and `data` goes to one store's `set` next, unchanged. */
export function rememberJson(data: object, json: string): void {
  commitTexts.set(data, json);
}

/** The JSON text of a record read back (its snapshot), serialized only if it is not known. */
export function jsonOf(data: object): string {
  return parsedTexts.get(data) ?? JSON.stringify(data);
}

/** A record read back: JSON text holding an object, or nothing (a torn or foreign value). */
export function parseRecord(json: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(json);
    if (isPlainRecord(value)) {
      parsedTexts.set(value, json);
      return value;
    }
  } catch {
    // Not JSON.
  }
  return undefined;
}

/** The message of an error, or the value as text (not `instanceof`: errors cross realms). */
export function reasonOf(cause: unknown): string {
  const message = (cause as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(cause);
}

/** The failure of a backend, as every built-in store reports it. */
export function unavailable(store: string, cause: unknown): SessionStoreUnavailableError {
  if (cause instanceof SessionStoreUnavailableError) return cause;
  return new SessionStoreUnavailableError(`${store}: ${reasonOf(cause)}`, { cause });
}

/** Runs a call to the backend; whatever it rejects with becomes {@link unavailable}. */
export async function reaching<T>(store: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw unavailable(store, error);
  }
}

/** Wraps an async iterable of the backend the same way. */
export async function* reachingEach<T>(store: string, items: AsyncIterable<T>): AsyncIterable<T> {
  const iterator = items[Symbol.asyncIterator]();
  for (;;) {
    let next: IteratorResult<T>;
    try {
      next = await iterator.next();
    } catch (error) {
      throw unavailable(store, error);
    }
    if (next.done) return;
    yield next.value;
  }
}

/**
 * Checks a client option: present, and with the methods the store calls.
 * `what` reads "is not <what>", `fix` says how to pass one.
 */
export function requireClient<T>(
  option: string,
  client: T | undefined | null,
  methods: string[],
  what: string,
  fix: string,
): T {
  if (client === undefined || client === null) {
    throw new ChunkedSessionOptionsError(option, 'is missing', fix);
  }
  const missing = methods.some(
    (method) => typeof (client as Record<string, unknown>)[method] !== 'function',
  );
  if (missing) throw new ChunkedSessionOptionsError(option, `is not ${what}`, fix);
  return client;
}

/** A value described for a message, without repeating it (it may be a secret or huge). */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
