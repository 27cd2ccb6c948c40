import type { ResolvedOptions } from '../options/resolved-options.js';
import type { Partition } from './partition.js';
import { carriedSet } from './partition-plan.js';
import { setOwn, type PartitionState, type RequestSession } from './session-state.js';

/**
 * What a partition needs on this response: nothing; its cookies (and record) written; cleared;
 * or, unchanged, the request's cookies past its set deleted (`tidy`: junk or stale chunks).
 */
export type Decision = 'keep' | 'write' | 'clear' | 'tidy';

/** One partition's fields on this response, their one serialization, and what they need. */
export interface Change {
  state: PartitionState;
  fields: Record<string, unknown>;
  json: string;
  decision: Decision;
}

/**
 * Routes the handler's object to its partitions and serializes each once: a partition whose
 * JSON equals what was read, that needs no touch or re-seal, is kept as it is.
 */
export function detectChanges(
  options: ResolvedOptions,
  partitions: readonly Partition[],
  session: RequestSession,
  warnedFields: Set<string>,
  now: number,
): Change[] {
  const fields = routeFields(options, partitions, session.data, warnedFields);
  return session.partitions.map((state, i) => {
    const json = JSON.stringify(fields[i]);
    let decision = decide(options, session, state, json, now);
    if (decision === 'keep' && state.valid) {
      const carried = carriedSet(state);
      if (state.present.some((c) => !carried.occupies(c.index))) decision = 'tidy';
    }
    return { state, fields: fields[i]!, json, decision };
  });
}

function decide(
  options: ResolvedOptions,
  session: RequestSession,
  state: PartitionState,
  json: string,
  now: number,
): Decision {
  const { partition } = state;
  const remembered = session.isRemembered;
  const touchAfter = remembered ? partition.remember.touchAfter : partition.touchAfter;
  const due =
    !state.valid ||
    json !== state.snapshot ||
    state.reseal ||
    session.regenerated ||
    session.touched ||
    // remember() or remember(false): every partition is re-sealed with the mark, or without.
    state.remembered !== remembered ||
    now - state.writtenAt > touchAfter;
  if (json === '{}') {
    if (partition.isCatchAll && options.saveUninitialized && !session.destroyed) {
      return due ? 'write' : 'keep';
    }
    return state.present.length > 0 || state.storeId !== undefined ? 'clear' : 'keep';
  }
  return due ? 'write' : 'keep';
}

/** The index of the partition that claims `key`, or -1. */
function claimedBy(partitions: readonly Partition[], key: string): number {
  for (let i = 0; i < partitions.length; i++) if (partitions[i]!.claims?.has(key)) return i;
  return -1;
}

/** The session's fields, grouped by the partition that keeps them. */
function routeFields(
  options: ResolvedOptions,
  partitions: readonly Partition[],
  data: Record<string, unknown>,
  warnedFields: Set<string>,
): Record<string, unknown>[] {
  const out = partitions.map(() => ({}) as Record<string, unknown>);
  const catchAll = partitions.findIndex((p) => p.isCatchAll);
  const excludes = partitions[catchAll]?.excludes;
  for (const key of Object.keys(data)) {
    let index = claimedBy(partitions, key);
    if (index === -1) {
      if (excludes?.has(key)) {
        if (!warnedFields.has(key)) {
          warnedFields.add(key);
          options.logger.warn(
            `the session field "${key}" is excluded from "${partitions[catchAll]?.cookieName}" and claimed by no other partition: it is not kept`,
          );
        }
        continue;
      }
      index = catchAll;
    }
    setOwn(out[index]!, key, data[key]);
  }
  return out;
}
