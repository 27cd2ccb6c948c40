import { ChunkedSessionOptionsError } from '../errors/errors.js';

/** The error every bad option stops start-up with: the option, what is wrong, and the fix. */
export const fail = (option: string, problem: string, fix: string) =>
  new ChunkedSessionOptionsError(option, problem, fix);

/** A bad value as the user wrote it (JSON.stringify would show NaN and Infinity as null). */
export function shown(value: unknown): string {
  return typeof value === 'number' ? String(value) : JSON.stringify(value);
}

/**
 * One row of an option table: checks the value as given (`undefined` when it is left out) and
 * returns it with its default applied. `at` is the option's name in error messages.
 */
export interface OptionRow<T> {
  resolve(value: unknown, at: string): T;
}

/** A number of seconds (or milliseconds): above 0, or 0 or more with `allowZero`. */
export function seconds(fallback: number, allowZero = false): OptionRow<number> {
  return {
    resolve(value, at) {
      if (value === undefined) return fallback;
      if (
        typeof value !== 'number' ||
        !Number.isFinite(value) ||
        value < 0 ||
        (!allowZero && value === 0)
      ) {
        throw fail(
          at,
          `is ${shown(value)}`,
          `Use a number ${allowZero ? 'of 0 or more' : 'above 0'}.`,
        );
      }
      return value;
    },
  };
}

/** Like `seconds`, but left out means "not set" (the caller derives a default). */
export function optionalSeconds(allowZero = false): OptionRow<number | undefined> {
  const row = seconds(0, allowZero);
  return { resolve: (value, at) => (value === undefined ? undefined : row.resolve(value, at)) };
}

/** A whole number above 0, in the unit named by `unit` (`'milliseconds'`). */
export function positiveInteger(fallback: number, unit: string): OptionRow<number> {
  return {
    resolve(value, at) {
      if (value === undefined) return fallback;
      if (!Number.isSafeInteger(value) || (value as number) <= 0) {
        throw fail(at, `is ${shown(value)}`, `Use a whole number of ${unit} above 0.`);
      }
      return value as number;
    },
  };
}

export function flag(fallback: boolean): OptionRow<boolean> {
  return {
    resolve(value, at) {
      if (value === undefined) return fallback;
      if (typeof value !== 'boolean')
        throw fail(at, `is ${JSON.stringify(value)}`, 'Use true or false.');
      return value;
    },
  };
}

/** One of a few strings. */
export function oneOf<T extends string>(
  values: readonly T[],
  fallback: T,
  fix: string,
): OptionRow<T> {
  return {
    resolve(value, at) {
      if (value === undefined) return fallback;
      if (!values.includes(value as T)) throw fail(at, `is ${JSON.stringify(value)}`, fix);
      return value as T;
    },
  };
}

/** An optional callback. */
export function callback<F extends (...args: never[]) => unknown>(
  fix: string,
): OptionRow<F | undefined> {
  return {
    resolve(value, at) {
      if (value !== undefined && typeof value !== 'function')
        throw fail(at, 'is not a function', fix);
      return value as F | undefined;
    },
  };
}

/** An optional plain object, checked no further here (its fields have their own rows). */
export function object<T extends object>(fix: string): OptionRow<T | undefined> {
  return {
    resolve(value, at) {
      if (
        value !== undefined &&
        (typeof value !== 'object' || value === null || Array.isArray(value))
      ) {
        throw fail(at, `is ${shown(value)}`, fix);
      }
      return value as T | undefined;
    },
  };
}

/** A row whose check is its own function. */
export function custom<T>(resolve: (value: unknown, at: string) => T): OptionRow<T> {
  return { resolve };
}
