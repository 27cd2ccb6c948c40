import { refuseUnknownKeys } from './nearest-option.js';
import { fail, optionalSeconds, shown } from './option-checks.js';
import type { RememberOptions } from './options.types.js';
import type { ResolvedRemember } from './resolved-options.js';

const REMEMBER_KEYS = Object.keys({
  maxAge: true,
  idleTimeout: true,
} satisfies Record<keyof Required<RememberOptions>, true>);

/** The `remember` option as given, checked: each field a number of seconds above 0, or left out. */
export function resolveRememberOption(value: unknown, at: string): RememberOptions {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw fail(at, `is ${shown(value)}`, 'Pass `{ maxAge?: seconds, idleTimeout?: seconds }`.');
  }
  refuseUnknownKeys(value, REMEMBER_KEYS, `${at}.`);
  const given = value as Record<string, unknown>;
  const maxAge = optionalSeconds().resolve(given.maxAge, `${at}.maxAge`);
  const idleTimeout = optionalSeconds().resolve(given.idleTimeout, `${at}.idleTimeout`);
  if (maxAge !== undefined && idleTimeout !== undefined && idleTimeout > maxAge) {
    throw fail(
      `${at}.idleTimeout`,
      `is ${idleTimeout}, above \`${at}.maxAge\` (${maxAge}): the browser would drop the cookies before the idle window ends`,
      `Use at most ${maxAge}, or raise \`${at}.maxAge\`.`,
    );
  }
  return { maxAge, idleTimeout };
}

/**
 * A partition's lifetimes once its session is remembered. `maxAge` defaults to the absolute
 * timeout, the idle window to `maxAge`. `touchAfter` given is kept (within the idle window);
 * left out, it is a tenth of the remembered idle window, as for a plain session.
 */
export function rememberLifetimes(
  remember: RememberOptions,
  absoluteTimeout: number,
  touchAfter: number | undefined,
): ResolvedRemember {
  const maxAge = remember.maxAge ?? absoluteTimeout;
  const idleTimeout = remember.idleTimeout ?? maxAge;
  return {
    maxAge,
    idleTimeout,
    touchAfter: Math.min(touchAfter ?? idleTimeout / 10, idleTimeout),
  };
}
