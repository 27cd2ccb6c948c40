import { ChunkedSessionOptionsError } from '../errors/errors.js';
import { refuseUnknownKeys } from './nearest-option.js';
import type { CookieOptions } from './options.types.js';
import type { ResolvedCookieOptions } from './resolved-options.js';

const SAME_SITE = ['lax', 'strict', 'none'];
/** Every field of `CookieOptions` (the compiler checks that none is missing). */
const COOKIE_KEYS = Object.keys({
  path: true,
  domain: true,
  httpOnly: true,
  secure: true,
  sameSite: true,
  partitioned: true,
  maxAge: true,
} satisfies Record<keyof Required<CookieOptions>, true>);

/**
 * Merges `over` onto `base` option by option, applies the `__Host-`/`__Secure-` prefix rules
 * and checks every attribute. `at` names the option in error messages.
 */
export function resolveCookieOptions(
  cookieName: string,
  at: string,
  base: CookieOptions | undefined,
  over: CookieOptions | undefined,
): ResolvedCookieOptions {
  if (over !== undefined && (typeof over !== 'object' || over === null || Array.isArray(over))) {
    throw new ChunkedSessionOptionsError(
      at,
      `is ${JSON.stringify(over)}`,
      "Pass an object such as `{ sameSite: 'strict' }`.",
    );
  }
  if (base) refuseUnknownKeys(base, COOKIE_KEYS, 'cookie.');
  if (over) refuseUnknownKeys(over, COOKIE_KEYS, `${at}.`);
  const given: CookieOptions = { ...stripUndefined(base), ...stripUndefined(over) };
  const host = cookieName.startsWith('__Host-');
  const securePrefix = host || cookieName.startsWith('__Secure-');
  const prefix = host ? '__Host-' : '__Secure-';

  if (securePrefix && given.secure === false) {
    throw new ChunkedSessionOptionsError(
      `${at}.secure`,
      `is false, but the cookie name "${cookieName}" has the ${prefix} prefix, which browsers accept only with Secure`,
      `Remove \`secure: false\` or choose a name without the ${prefix} prefix.`,
    );
  }
  if (host && given.domain !== undefined) {
    throw new ChunkedSessionOptionsError(
      `${at}.domain`,
      `is set, but the cookie name "${cookieName}" has the __Host- prefix, which forbids a Domain`,
      'Remove `domain`, or use the __Secure- prefix instead.',
    );
  }
  if (host && given.path !== undefined && given.path !== '/') {
    throw new ChunkedSessionOptionsError(
      `${at}.path`,
      `is "${given.path}", but the cookie name "${cookieName}" has the __Host- prefix, which requires Path=/`,
      "Remove `path` (it defaults to '/'), or use the __Secure- prefix instead.",
    );
  }
  const secure = securePrefix ? true : (given.secure ?? 'auto');
  if (secure !== true && secure !== false && secure !== 'auto') {
    throw new ChunkedSessionOptionsError(
      `${at}.secure`,
      `is ${JSON.stringify(secure)}`,
      "Use true, false or 'auto'.",
    );
  }
  const sameSite = given.sameSite ?? 'lax';
  if (!SAME_SITE.includes(sameSite)) {
    throw new ChunkedSessionOptionsError(
      `${at}.sameSite`,
      `is ${JSON.stringify(sameSite)}`,
      "Use 'lax', 'strict' or 'none'.",
    );
  }
  if (sameSite === 'none' && secure !== true) {
    throw new ChunkedSessionOptionsError(
      `${at}.sameSite`,
      `is 'none' without \`secure: true\`; browsers reject SameSite=None cookies that are not Secure`,
      "Set `secure: true` (and serve over HTTPS), or use sameSite 'lax'.",
    );
  }
  if (given.partitioned && secure !== true) {
    throw new ChunkedSessionOptionsError(
      `${at}.partitioned`,
      'is true without `secure: true`; browsers accept Partitioned cookies only with Secure',
      'Set `secure: true` (and serve over HTTPS), or remove `partitioned`.',
    );
  }
  const path = given.path ?? '/';
  if (typeof path !== 'string' || !path.startsWith('/') || /[;\x00-\x1f\x7f]/.test(path)) {
    throw new ChunkedSessionOptionsError(
      `${at}.path`,
      `is ${JSON.stringify(path)}`,
      "Use a path starting with '/', without ';' or control characters.",
    );
  }
  if (
    given.domain !== undefined &&
    (typeof given.domain !== 'string' || !/^\.?[A-Za-z0-9.-]+$/.test(given.domain))
  ) {
    throw new ChunkedSessionOptionsError(
      `${at}.domain`,
      `is ${JSON.stringify(given.domain)}`,
      'Use a host name such as "example.com", or leave it unset for a host-only cookie.',
    );
  }
  if (given.maxAge !== undefined && !(Number.isFinite(given.maxAge) && given.maxAge > 0)) {
    throw new ChunkedSessionOptionsError(
      `${at}.maxAge`,
      `is ${String(given.maxAge)}`,
      'Use a number of seconds above 0, or leave it unset for a browser-session cookie.',
    );
  }
  return {
    path,
    domain: given.domain,
    httpOnly: given.httpOnly ?? true,
    secure,
    sameSite,
    partitioned: given.partitioned ?? false,
    maxAge: given.maxAge === undefined ? undefined : Math.floor(given.maxAge),
  };
}

function stripUndefined(o: CookieOptions | undefined): CookieOptions {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o ?? {})) if (v !== undefined) out[k] = v;
  return out as CookieOptions;
}
