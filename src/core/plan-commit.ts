/**
 * A commit, as one straight line: detect what changed → fit (shrinking if needed) → seal →
 * chunk → the plan (Set-Cookie lines and store operations). Nothing here touches the response,
 * a store or the session: `session-engine.ts` runs the store operations, then applies the plan.
 */
import type { ResolvedOptions } from '../options/resolved-options.js';
import { spend, startingAllowance, type Allowance } from './allowance.js';
import { nowSeconds } from './clock.js';
import { detectChanges, type Change, type Decision } from './detect-changes.js';
import { isPromise, type MaybePromise } from './maybe-async.js';
import { recordStore, type Partition } from './partition.js';
import {
  carriedSet,
  leftovers,
  sortedPresent,
  type PartitionJob,
  type PartitionPlan,
  type StoreOp,
} from './partition-plan.js';
import { settle } from './fit-cookie-set.js';
import { planRecordCookie } from './record-cookie.js';
import type { ResponseHead } from './response-head.js';
import { newSessionId } from './session-id.js';
import type { RequestSession } from './session-state.js';
import { cookieAttributes } from './set-cookie.js';
import { planCookiePartition } from './write-cookie-partition.js';

export interface CommitPlan {
  /** The session's `Set-Cookie` lines for this response, deletions included. */
  lines: string[];
  /** Store calls to make first, in order: records written, then records deleted. */
  storeOps: readonly StoreOp[];
  partitions: PartitionPlan[];
  /** Whether the cookies written carry the remembered mark. */
  remembered: boolean;
}

/** The plan of a commit; `undefined` when nothing needs writing. */
export function planCommit(
  options: ResolvedOptions,
  partitions: readonly Partition[],
  session: RequestSession,
  head: ResponseHead,
  warnedFields: Set<string>,
): MaybePromise<CommitPlan | undefined> {
  const now = nowSeconds();
  const changes = detectChanges(options, partitions, session, warnedFields, now);
  if (changes.every((c) => c.decision === 'keep') && session.stale.length === 0) return undefined;

  let allowance = startingAllowance(session, partitions, head, now);
  // A partition that does not change keeps the cookies it has.
  for (const { state, decision } of changes) {
    if (decision !== 'keep') continue;
    const count = state.present.length;
    allowance = spend(allowance, {
      cookies: count,
      requestBytes: state.presentPairBytes + 2 * count,
      responseBytes: 0,
    });
  }

  const plans: PartitionPlan[] = [];
  const lines: string[] = [];
  const take = (plan: PartitionPlan, partitionJob: PartitionJob) => {
    allowance = spend(allowance, plan.cost);
    plans.push(plan);
    if (plan.set)
      for (const c of plan.set.sent) lines.push(`${c.name}=${c.value}${partitionJob.attributes}`);
    for (const name of plan.deleted) lines.push(`${name}=${partitionJob.deleting}`);
  };
  const next = (i: number): MaybePromise<CommitPlan> => {
    for (; i < changes.length; i++) {
      const change = changes[i]!;
      if (change.decision === 'keep') continue;
      const partitionJob = job(session, change, allowance, head, now);
      const planned = planPartition(options, session, partitionJob, change.decision);
      if (isPromise(planned)) {
        const at = i;
        return planned.then((plan) => {
          take(plan, partitionJob);
          return next(at + 1);
        });
      }
      take(planned, partitionJob);
    }
    return {
      lines,
      storeOps: storeOps(session, plans),
      partitions: plans,
      remembered: session.isRemembered,
    };
  };
  return next(0);
}

function job(
  session: RequestSession,
  change: Change,
  allowance: Allowance,
  head: ResponseHead,
  now: number,
): PartitionJob {
  const { partition, createdAt } = change.state;
  const left = partition.absoluteTimeout - (now - createdAt);
  const remembered = session.isRemembered;
  // A remembered session's cookies outlive the browser, never the session's absolute timeout.
  const maxAge = remembered
    ? Math.max(1, Math.floor(Math.min(partition.remember.maxAge, left)))
    : undefined;
  const attributes = cookieAttributes(partition.cookie, head.secure, now, false, maxAge);
  const idleTimeout = remembered ? partition.remember.idleTimeout : partition.idleTimeout;
  return {
    state: change.state,
    fields: change.fields,
    json: change.json,
    now,
    remembered,
    // A store record lives for the idle window, or what is left of the absolute one.
    ttl: Math.max(1, Math.ceil(Math.min(idleTimeout, left))),
    attributes,
    deleting: cookieAttributes(partition.cookie, head.secure, now, true),
    capacity: {
      maxCookieBytes: session.limits.maxCookieBytes,
      countsAttributes: session.limits.countsAttributes,
      attributesBytes: attributes.length,
    },
    allowance,
  };
}

function planPartition(
  options: ResolvedOptions,
  session: RequestSession,
  job: PartitionJob,
  decision: Decision,
): MaybePromise<PartitionPlan> {
  const { state } = job;
  const { partition } = state;
  const present = sortedPresent(state.present);
  if (decision === 'tidy') {
    // Unchanged: only the cookies past its set go (as many as this response has room for).
    const carried = carriedSet(state);
    const left = leftovers(present, carried, job.deleting, job.allowance.responseBytes, []);
    const kept = state.present.filter((c) => carried.occupies(c.index));
    let keptBytes = 0;
    for (const c of kept) keptBytes += c.bytes + 2;
    return {
      state,
      set: undefined,
      deleted: left.deleted,
      cost: {
        cookies: kept.length + left.keptCount,
        requestBytes: keptBytes + left.keptRequestBytes,
        responseBytes: left.deletedBytes,
      },
      storeOps: [],
      snapshot: state.snapshot,
      storeId: state.storeId,
      tidyOnly: true,
    };
  }
  if (decision === 'clear') {
    // Cleared: every cookie goes (as many as this response has room for), and the record.
    const gone = settle(job, present, undefined);
    const store = recordStore(partition);
    return {
      state,
      set: undefined,
      deleted: gone.deleted,
      cost: gone.cost,
      storeOps:
        state.storeId !== undefined && store ? [{ kind: 'destroy', store, id: state.storeId }] : [],
      snapshot: undefined,
      storeId: undefined,
    };
  }
  if (partition.kind === 'cookie') return planCookiePartition(options, session, job, present);
  const changed = state.storeId === undefined || !state.valid || job.json !== state.snapshot;
  return planRecordCookie(options, job, present, {
    store: partition.store,
    id: state.storeId ?? newSessionId(),
    op: changed ? 'set' : 'touch',
    what: changed ? 'set in the store' : 'touch in the store',
  });
}

const NO_STORE_OPS: readonly StoreOp[] = Object.freeze([]);

/** The plans' store calls: every record written first, then the records that go. */
function storeOps(session: RequestSession, plans: PartitionPlan[]): readonly StoreOp[] {
  if (session.stale.length === 0 && plans.every((plan) => plan.storeOps.length === 0)) {
    return NO_STORE_OPS;
  }
  const writes: StoreOp[] = [];
  const destroys: StoreOp[] = session.stale.map(({ store, id }) => ({
    kind: 'destroy',
    store,
    id,
  }));
  for (const plan of plans) {
    for (const op of plan.storeOps) (op.kind === 'destroy' ? destroys : writes).push(op);
  }
  return [...writes, ...destroys];
}
