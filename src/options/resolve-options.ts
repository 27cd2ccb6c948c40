import { createSealer } from '../codec/sealer.js';
import { chunkIndex } from '../chunking/chunks.js';
import { ChunkedSessionOptionsError } from '../errors/errors.js';
import type { CookieLimits } from '../limits/cookie-limits.js';
import type { ShrinkerRegistration } from '../shrinking/shrink-types.js';
import type { SessionStore } from '../stores/session-store.js';
import { resolveCookieOptions } from './cookie-options.js';
import type { ChunkedSessionOptions, SessionPartition } from './options.types.js';
import type { ResolvedOptions, ResolvedPartition, SessionLogger } from './resolved-options.js';

const MIN_SECRET = 32;
/** RFC 6265 token characters. */
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const LIMIT_FIELDS: (keyof CookieLimits)[] = [
  'maxCookieBytes',
  'countsAttributes',
  'maxCookies',
  'maxTotalBytes',
  'maxResponseHeaderBytes',
];

const fail = (option: string, problem: string, fix: string) =>
  new ChunkedSessionOptionsError(option, problem, fix);

/** The logger used when none is given: the console, with the package's name. */
export const consoleLogger: SessionLogger = {
  warn: (m) => console.warn(`[nestjs-chunked-session] ${m}`),
  error: (m) => console.error(`[nestjs-chunked-session] ${m}`),
};

/** Applies defaults and validates every option once, at start-up. Throws `ChunkedSessionOptionsError`. */
export function resolveOptions(
  options: ChunkedSessionOptions,
  logger: SessionLogger = consoleLogger,
): ResolvedOptions {
  if (!options || typeof options !== 'object') {
    throw fail('options', 'is missing', 'Pass an object with at least `secret`.');
  }
  const secrets = resolveSecrets(options.secret);
  const protection = options.protection ?? 'encrypt';
  if (protection !== 'encrypt' && protection !== 'sign') {
    throw fail('protection', `is ${JSON.stringify(protection)}`, "Use 'encrypt' or 'sign'.");
  }
  const idleTimeout = seconds('idleTimeout', options.idleTimeout, 86400);
  const absoluteTimeout = seconds('absoluteTimeout', options.absoluteTimeout, 2592000);
  const touchAfter =
    options.touchAfter === undefined
      ? undefined
      : seconds('touchAfter', options.touchAfter, 0, true);
  const storeTimeout = seconds('storeTimeout', options.storeTimeout, 2000);
  const limits = resolveLimitsOption(options.limits);
  for (const flag of ['saveUninitialized', 'compress'] as const) {
    if (options[flag] !== undefined && typeof options[flag] !== 'boolean') {
      throw fail(flag, `is ${JSON.stringify(options[flag])}`, 'Use true or false.');
    }
  }
  if (options.onShrink !== undefined && typeof options.onShrink !== 'function') {
    throw fail('onShrink', 'is not a function', 'Pass `(event: ShrinkEvent) => void`.');
  }
  if (options.sessions !== undefined && options.cookieName !== undefined) {
    throw fail(
      'cookieName',
      'is set together with `sessions`, where it has no effect',
      'Remove `cookieName` and give each partition its own `cookieName`.',
    );
  }
  const partitionOptions: SessionPartition[] = options.sessions ?? [
    { cookieName: options.cookieName ?? 'session', fields: 'auto' },
  ];
  if (!Array.isArray(partitionOptions) || partitionOptions.length === 0) {
    throw fail(
      'sessions',
      'is empty',
      "Give at least one partition, e.g. `[{ cookieName: 'session', fields: 'auto' }]`.",
    );
  }
  const partitions = partitionOptions.map((p, i) =>
    resolvePartition(p, `sessions[${i}]`, options, { idleTimeout, absoluteTimeout, touchAfter }),
  );
  checkPartitionSet(partitions);
  return {
    sealer: createSealer(secrets, protection),
    partitions,
    saveUninitialized: options.saveUninitialized ?? false,
    compress: options.compress ?? false,
    storeTimeout,
    limits,
    shrinkers: resolveShrinkers(options.shrinkers),
    onShrink: options.onShrink,
    logger,
  };
}

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

/** A bad value as the user wrote it (JSON.stringify would show NaN and Infinity as null). */
function shown(value: unknown): string {
  return typeof value === 'number' ? String(value) : JSON.stringify(value);
}

function seconds(option: string, value: unknown, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback;
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < 0 ||
    (!allowZero && value === 0)
  ) {
    throw fail(
      option,
      `is ${shown(value)}`,
      `Use a number ${allowZero ? 'of 0 or more' : 'above 0'}.`,
    );
  }
  return value;
}

function resolveLimitsOption(limits: ChunkedSessionOptions['limits']): ResolvedOptions['limits'] {
  if (limits === undefined) return () => undefined;
  if (typeof limits === 'function') return limits;
  if (typeof limits !== 'object' || limits === null) {
    throw fail(
      'limits',
      `is ${JSON.stringify(limits)}`,
      'Pass a partial CookieLimits object or a function of the request.',
    );
  }
  for (const [key, value] of Object.entries(limits)) {
    if (!LIMIT_FIELDS.includes(key as keyof CookieLimits)) {
      throw fail(`limits.${key}`, 'is not a limit', `Use only ${LIMIT_FIELDS.join(', ')}.`);
    }
    if (value === undefined) continue;
    const ok =
      key === 'countsAttributes'
        ? typeof value === 'boolean'
        : Number.isInteger(value) && (value as number) > 0;
    if (!ok) {
      throw fail(
        `limits.${key}`,
        `is ${shown(value)}`,
        key === 'countsAttributes' ? 'Use true or false.' : 'Use a whole number above 0.',
      );
    }
  }
  const fixed = { ...limits };
  return () => fixed;
}

function isStore(s: unknown): s is SessionStore {
  const o = s as SessionStore;
  return (
    !!o &&
    typeof o.get === 'function' &&
    typeof o.set === 'function' &&
    typeof o.destroy === 'function'
  );
}

function resolvePartition(
  p: SessionPartition,
  at: string,
  options: ChunkedSessionOptions,
  defaults: { idleTimeout: number; absoluteTimeout: number; touchAfter: number | undefined },
): ResolvedPartition {
  if (!p || typeof p !== 'object')
    throw fail(at, 'is not an object', 'Give `{ cookieName, fields }`.');
  const name = p.cookieName;
  if (typeof name !== 'string' || !COOKIE_NAME.test(name)) {
    // Without `sessions`, the name came from the top-level `cookieName` option.
    throw fail(
      options.sessions ? `${at}.cookieName` : 'cookieName',
      `is ${JSON.stringify(name)}`,
      'Use letters, digits and `-_.` only (a cookie-name token).',
    );
  }
  const fields = p.fields ?? 'auto';
  let claims: Set<string> | undefined;
  let excludes = new Set<string>();
  if (fields === 'auto') {
    claims = undefined;
  } else if (Array.isArray(fields) || (typeof fields === 'object' && 'include' in fields)) {
    const list = Array.isArray(fields) ? fields : fields.include;
    if (!Array.isArray(list) || list.length === 0 || list.some((f) => typeof f !== 'string')) {
      throw fail(
        `${at}.fields`,
        'lists no field names',
        "Give field names, e.g. `['user', 'roles']`, or 'auto'.",
      );
    }
    claims = new Set(list);
  } else if (typeof fields === 'object' && 'exclude' in fields && Array.isArray(fields.exclude)) {
    excludes = new Set(fields.exclude);
  } else {
    throw fail(
      `${at}.fields`,
      `is ${JSON.stringify(fields)}`,
      "Use a list of names, `{ include }`, `{ exclude }` or 'auto'.",
    );
  }
  for (const key of ['store', 'overflow'] as const) {
    if (p[key] !== undefined && !isStore(p[key])) {
      throw fail(
        `${at}.${key}`,
        'is not a SessionStore',
        'Pass an object with get, set and destroy methods (see SessionStore).',
      );
    }
  }
  if (p.store && p.overflow) {
    throw fail(
      `${at}.overflow`,
      'is set on a partition that already has a store',
      'Use `overflow` only on cookie partitions.',
    );
  }
  const idleTimeout = seconds(`${at}.idleTimeout`, p.idleTimeout, defaults.idleTimeout);
  const absoluteTimeout = seconds(
    `${at}.absoluteTimeout`,
    p.absoluteTimeout,
    defaults.absoluteTimeout,
  );
  return {
    cookieName: name,
    claims,
    excludes,
    isCatchAll: claims === undefined,
    store: p.store,
    overflow: p.overflow,
    cookie: resolveCookieOptions(
      name,
      options.sessions ? `${at}.cookie` : 'cookie',
      options.cookie,
      p.cookie,
    ),
    idleTimeout,
    absoluteTimeout,
    touchAfter: Math.min(defaults.touchAfter ?? idleTimeout / 10, idleTimeout),
  };
}

function checkPartitionSet(partitions: ResolvedPartition[]): void {
  const catchAll = partitions.filter((p) => p.isCatchAll);
  if (catchAll.length !== 1) {
    throw fail(
      'sessions',
      catchAll.length === 0
        ? 'has no partition for the fields no other partition claims'
        : `has ${catchAll.length} catch-all partitions (${catchAll.map((p) => p.cookieName).join(', ')})`,
      "Give exactly one partition `fields: 'auto'` or `fields: { exclude: [...] }`.",
    );
  }
  const owner = new Map<string, string>();
  for (const p of partitions) {
    for (const f of p.claims ?? []) {
      const other = owner.get(f);
      if (other !== undefined) {
        throw fail(
          'sessions',
          `claims the field "${f}" twice (${other} and ${p.cookieName})`,
          'Give each field to one partition only.',
        );
      }
      owner.set(f, p.cookieName);
    }
  }
  for (const a of partitions) {
    for (const b of partitions) {
      if (
        a !== b &&
        (a.cookieName === b.cookieName || chunkIndex(a.cookieName, b.cookieName) > 0)
      ) {
        throw fail(
          'sessions',
          `has cookie names that collide ("${a.cookieName}" and "${b.cookieName}"; chunks are named <name>.1, <name>.2, …)`,
          'Give every partition a distinct cookie name.',
        );
      }
    }
  }
}

function resolveShrinkers(list: ShrinkerRegistration[] | undefined): ShrinkerRegistration[] {
  if (list === undefined) return [];
  if (!Array.isArray(list))
    throw fail('shrinkers', 'is not an array', 'Pass `[{ key, priority?, shrink }]`.');
  return list.map((s, i) => {
    if (!s || typeof s.key !== 'string' || typeof s.shrink !== 'function') {
      throw fail(
        `shrinkers[${i}]`,
        'needs a string `key` and a function `shrink`',
        'Pass `{ key: string, priority?: number, shrink(value, ctx) }`.',
      );
    }
    if (s.priority !== undefined && !Number.isFinite(s.priority)) {
      throw fail(
        `shrinkers[${i}].priority`,
        `is ${String(s.priority)}`,
        'Use a finite number (lowest is shrunk first).',
      );
    }
    return { key: s.key, priority: s.priority ?? 0, shrink: s.shrink };
  });
}
