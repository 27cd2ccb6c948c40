import type { CookieLimits } from '../limits/cookie-limits.js';
import type { ShrinkEvent, ShrinkerRegistration } from '../shrinking/shrink-types.js';
import { compileExclude } from './exclude-paths.js';
import { resolveRememberOption } from './remember-option.js';
import {
  callback,
  custom,
  fail,
  flag,
  object,
  oneOf,
  optionalSeconds,
  positiveInteger,
  seconds,
  shown,
  type OptionRow,
} from './option-checks.js';
import type { ChunkedSessionOptions, CookieOptions, SessionPartition } from './options.types.js';
import { COOKIE_NAME } from './resolve-partitions.js';
import type { ResolvedOptions, SessionLogger } from './resolved-options.js';

const MIN_SECRET = 32;
const LIMIT_FIELDS = [
  'maxCookieBytes',
  'countsAttributes',
  'maxCookies',
  'maxTotalBytes',
  'maxResponseHeaderBytes',
] as const;

/**
 * Every top-level option, one row each: its type and range, its default and the fix an error
 * names. An option not in this table stops start-up (see `refuseUnknownKeys`); the compiler
 * checks that every option of `ChunkedSessionOptions` has a row. Rows run in this order.
 */
export const OPTION_TABLE = {
  secret: custom(resolveSecrets),
  protection: oneOf(['encrypt', 'sign'] as const, 'encrypt', "Use 'encrypt' or 'sign'."),
  idleTimeout: seconds(86400),
  absoluteTimeout: seconds(2592000),
  touchAfter: optionalSeconds(true),
  storeTimeout: seconds(2000),
  shrinkerTimeout: positiveInteger(1000, 'milliseconds'),
  limits: custom(resolveLimits),
  saveUninitialized: flag(false),
  compress: flag(false),
  onShrink: callback<(event: ShrinkEvent) => void>('Pass `(event: ShrinkEvent) => void`.'),
  cookieName: custom(resolveCookieName),
  cookie: object<CookieOptions>("Pass an object such as `{ sameSite: 'strict' }`."),
  sessions: custom(resolveSessionList),
  shrinkers: custom(resolveShrinkers),
  exclude: custom(compileExclude),
  remember: custom(resolveRememberOption),
  logger: custom(resolveLogger),
} satisfies { [K in keyof Required<ChunkedSessionOptions>]: OptionRow<unknown> };

/** The table's rows, resolved: each option's value with its default. */
export type TableValues = {
  [K in keyof typeof OPTION_TABLE]: ReturnType<(typeof OPTION_TABLE)[K]['resolve']>;
};

export const OPTION_NAMES = Object.keys(OPTION_TABLE) as (keyof typeof OPTION_TABLE)[];

function resolveSecrets(secret: unknown): string[] {
  const list = Array.isArray(secret) ? secret : [secret];
  if (list.length === 0 || secret === undefined) {
    throw fail(
      'secret',
      'is missing',
      `Pass a random string of at least ${MIN_SECRET} characters (e.g. from \`openssl rand -base64 48\`).`,
    );
  }
  list.forEach((s, i) => {
    const at = Array.isArray(secret) ? `secret[${i}]` : 'secret';
    if (typeof s !== 'string' || s.length < MIN_SECRET) {
      throw fail(
        at,
        typeof s === 'string'
          ? `has ${s.length} characters; at least ${MIN_SECRET} are required`
          : 'is not a string',
        `Use a random string of at least ${MIN_SECRET} characters (e.g. from \`openssl rand -base64 48\`).`,
      );
    }
  });
  return list as string[];
}

function resolveLimits(limits: unknown, at: string): ResolvedOptions['limits'] {
  if (limits === undefined) return () => undefined;
  if (typeof limits === 'function') return limits as ResolvedOptions['limits'];
  if (typeof limits !== 'object' || limits === null) {
    throw fail(
      at,
      `is ${JSON.stringify(limits)}`,
      'Pass a partial CookieLimits object or a function of the request.',
    );
  }
  for (const [key, value] of Object.entries(limits)) {
    if (!(LIMIT_FIELDS as readonly string[]).includes(key)) {
      throw fail(`${at}.${key}`, 'is not a limit', `Use only ${LIMIT_FIELDS.join(', ')}.`);
    }
    if (value === undefined) continue;
    const ok =
      key === 'countsAttributes'
        ? typeof value === 'boolean'
        : Number.isInteger(value) && (value as number) > 0;
    if (!ok) {
      throw fail(
        `${at}.${key}`,
        `is ${shown(value)}`,
        key === 'countsAttributes' ? 'Use true or false.' : 'Use a whole number above 0.',
      );
    }
  }
  const fixed = { ...limits } as Partial<CookieLimits>;
  return () => fixed;
}

/** Checked here when given; without `sessions` it names the one partition (default `session`). */
function resolveCookieName(name: unknown, at: string): string | undefined {
  if (name !== undefined && (typeof name !== 'string' || !COOKIE_NAME.test(name))) {
    throw fail(
      at,
      `is ${JSON.stringify(name)}`,
      'Use letters, digits and `-_.` only (a cookie-name token).',
    );
  }
  return name;
}

/** The list itself; each partition is resolved against the module's options afterwards. */
function resolveSessionList(list: unknown, at: string): SessionPartition[] | undefined {
  if (list === undefined) return undefined;
  if (!Array.isArray(list) || list.length === 0) {
    throw fail(
      at,
      'is empty',
      "Give at least one partition, e.g. `[{ cookieName: 'session', fields: 'auto' }]`.",
    );
  }
  return list as SessionPartition[];
}

function resolveShrinkers(list: unknown, at: string): ShrinkerRegistration[] {
  if (list === undefined) return [];
  if (!Array.isArray(list))
    throw fail(at, 'is not an array', 'Pass `[{ key, priority?, shrink }]`.');
  return list.map((s: Partial<ShrinkerRegistration> | undefined, i) => {
    if (!s || typeof s.key !== 'string' || typeof s.shrink !== 'function') {
      throw fail(
        `${at}[${i}]`,
        'needs a string `key` and a function `shrink`',
        'Pass `{ key: string, priority?: number, shrink(value, ctx) }`.',
      );
    }
    if (s.priority !== undefined && !Number.isFinite(s.priority)) {
      throw fail(
        `${at}[${i}].priority`,
        `is ${String(s.priority)}`,
        'Use a finite number (lowest is shrunk first).',
      );
    }
    return { key: s.key, priority: s.priority ?? 0, shrink: s.shrink };
  });
}

/** `undefined` when not given: the caller's default applies (Nest's Logger, or the console). */
function resolveLogger(logger: unknown, at: string): SessionLogger | undefined {
  if (logger === undefined) return undefined;
  const l = logger as Partial<SessionLogger> | null;
  if (!l || typeof l.warn !== 'function' || typeof l.error !== 'function') {
    throw fail(
      at,
      'needs the methods `warn(message)` and `error(message)`',
      "Pass an object with both, e.g. Nest's `new Logger('ChunkedSession')`, pino or `console`.",
    );
  }
  // Bound once: a logger's methods may use `this` (Nest's Logger, pino, console do).
  return { warn: (m) => l.warn!(m), error: (m) => l.error!(m) };
}
