import type { ResolvedPartition } from '../options/resolved-options.js';
import type { SessionStore } from '../stores/session-store.js';

type Common = Omit<ResolvedPartition, 'store' | 'overflow'>;

/**
 * A partition as the engine sees it. A `cookie` partition keeps its fields in its own sealed
 * cookies (and in its `overflow` store while they do not fit); a `store` partition keeps them in
 * its store, and only the sealed id of the record in its cookie.
 */
export type Partition =
  | (Common & { kind: 'cookie'; overflow: SessionStore | undefined })
  | (Common & { kind: 'store'; store: SessionStore });

export function toPartition(resolved: ResolvedPartition): Partition {
  const { store, overflow, ...common } = resolved;
  return store ? { ...common, kind: 'store', store } : { ...common, kind: 'cookie', overflow };
}

/** The store that holds this partition's record when it has one. */
export function recordStore(partition: Partition): SessionStore | undefined {
  return partition.kind === 'store' ? partition.store : partition.overflow;
}
