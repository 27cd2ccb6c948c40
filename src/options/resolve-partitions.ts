import { chunkIndex } from '../chunking/chunks.js';
import type { SessionStore } from '../stores/session-store.js';
import { resolveCookieOptions } from './cookie-options.js';
import { refuseUnknownKeys } from './nearest-option.js';
import { fail, seconds } from './option-checks.js';
import type { ChunkedSessionOptions, RememberOptions, SessionPartition } from './options.types.js';
import { rememberLifetimes } from './remember-option.js';
import type { ResolvedPartition } from './resolved-options.js';

/** RFC 6265 token characters. */
export const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function isStore(s: unknown): s is SessionStore {
  const o = s as SessionStore;
  return (
    !!o &&
    typeof o.get === 'function' &&
    typeof o.set === 'function' &&
    typeof o.destroy === 'function'
  );
}

/** Every field of `SessionPartition` (the compiler checks that none is missing). */
const PARTITION_KEYS = Object.keys({
  cookieName: true,
  fields: true,
  store: true,
  overflow: true,
  cookie: true,
  idleTimeout: true,
  absoluteTimeout: true,
} satisfies Record<keyof Required<SessionPartition>, true>);

export function resolvePartition(
  p: SessionPartition,
  at: string,
  options: ChunkedSessionOptions,
  defaults: {
    idleTimeout: number;
    absoluteTimeout: number;
    touchAfter: number | undefined;
    remember: RememberOptions;
  },
): ResolvedPartition {
  if (!p || typeof p !== 'object')
    throw fail(at, 'is not an object', 'Give `{ cookieName, fields }`.');
  refuseUnknownKeys(p, PARTITION_KEYS, `${at}.`);
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
  const idleTimeout = seconds(defaults.idleTimeout).resolve(p.idleTimeout, `${at}.idleTimeout`);
  const absoluteTimeout = seconds(defaults.absoluteTimeout).resolve(
    p.absoluteTimeout,
    `${at}.absoluteTimeout`,
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
    remember: rememberLifetimes(defaults.remember, absoluteTimeout, defaults.touchAfter),
  };
}

export function checkPartitionSet(partitions: ResolvedPartition[]): void {
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
