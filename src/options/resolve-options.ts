import { ContentCutter } from '../chunking/content-cuts.js';
import { createSealer } from '../codec/sealer.js';
import { refuseUnknownKeys } from './nearest-option.js';
import { fail } from './option-checks.js';
import { OPTION_NAMES, OPTION_TABLE, type TableValues } from './option-table.js';
import type { ChunkedSessionOptions, SessionPartition } from './options.types.js';
import { checkPartitionSet, resolvePartition } from './resolve-partitions.js';
import type { ResolvedOptions, SessionLogger } from './resolved-options.js';

/** The logger used when none is given: the console, with the package's name. */
export const consoleLogger: SessionLogger = {
  warn: (m) => console.warn(`[nestjs-chunked-session] ${m}`),
  error: (m) => console.error(`[nestjs-chunked-session] ${m}`),
};

/**
 * Applies defaults and validates every option once, at start-up: each option by its row in
 * `OPTION_TABLE`, then what depends on several (the partitions). Throws
 * `ChunkedSessionOptionsError`. `fallbackLogger` is used unless the options give a `logger`.
 */
export function resolveOptions(
  options: ChunkedSessionOptions,
  fallbackLogger: SessionLogger = consoleLogger,
): ResolvedOptions {
  if (!options || typeof options !== 'object') {
    throw fail('options', 'is missing', 'Pass an object with at least `secret`.');
  }
  refuseUnknownKeys(options, OPTION_NAMES);
  const given = options as unknown as Record<string, unknown>;
  const v = {} as Record<string, unknown>;
  for (const name of OPTION_NAMES) v[name] = OPTION_TABLE[name].resolve(given[name], name);
  const o = v as TableValues;

  if (o.sessions !== undefined && o.cookieName !== undefined) {
    throw fail(
      'cookieName',
      'is set together with `sessions`, where it has no effect',
      'Remove `cookieName` and give each partition its own `cookieName`.',
    );
  }
  const partitionOptions: SessionPartition[] = o.sessions ?? [
    { cookieName: o.cookieName ?? 'session', fields: 'auto' },
  ];
  const defaults = {
    idleTimeout: o.idleTimeout,
    absoluteTimeout: o.absoluteTimeout,
    touchAfter: o.touchAfter,
    remember: o.remember,
  };
  const partitions = partitionOptions.map((p, i) =>
    resolvePartition(p, `sessions[${i}]`, options, defaults),
  );
  checkPartitionSet(partitions);
  return {
    sealer: createSealer(o.secret, o.protection),
    cutter: new ContentCutter(o.secret[0]!),
    partitions,
    saveUninitialized: o.saveUninitialized,
    compress: o.compress,
    storeTimeout: o.storeTimeout,
    shrinkerTimeout: o.shrinkerTimeout,
    limits: o.limits,
    shrinkers: o.shrinkers,
    onShrink: o.onShrink,
    isExcluded: o.exclude,
    logger: o.logger ?? fallbackLogger,
  };
}
