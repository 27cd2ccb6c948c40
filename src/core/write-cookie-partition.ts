import { encodeEnvelope, ENVELOPE_HEADER_BYTES } from '../codec/envelope.js';
import type { ResolvedOptions } from '../options/resolved-options.js';
import { shrinkPartition, type ShrinkResult } from '../shrinking/shrink-partition.js';
import type { ShrinkEvent } from '../shrinking/shrink-types.js';
import { planChunks } from '../chunking/chunks.js';
import { chunkBytes, sealCookieSet } from './cookie-set.js';
import { overByFor, settle } from './fit-cookie-set.js';
import { then, type MaybePromise } from './maybe-async.js';
import type { Partition } from './partition.js';
import {
  sortedPresent,
  specOf,
  type PartitionJob,
  type PartitionPlan,
  type StoreOp,
} from './partition-plan.js';
import { planRecordCookie } from './record-cookie.js';
import { newSessionId } from './session-id.js';
import type { RequestSession } from './session-state.js';

type CookiePartition = Extract<Partition, { kind: 'cookie' }>;

/**
 * Plans a cookie partition's write: into its cookies when it fits; else shrunk (the phases of
 * the README's "Shrinkers"); else into its overflow store; else deleted. Synchronous unless a
 * shrinker is asynchronous.
 */
export function planCookiePartition(
  options: ResolvedOptions,
  session: RequestSession,
  job: PartitionJob,
): MaybePromise<PartitionPlan> {
  const { state, json, fields } = job;
  const partition = state.partition as CookiePartition;
  const present = sortedPresent(state.present);
  const overBy = overByFor(options.sealer, job, present);
  const fits = fitCheck(overBy, options.compress);

  if (fits(Buffer.byteLength(json), fields)) {
    // Back from the overflow store: its record goes.
    const back: StoreOp[] =
      state.storeId !== undefined && partition.overflow
        ? [{ kind: 'destroy', store: partition.overflow, id: state.storeId }]
        : [];
    const plan = sealData(options, job, present, json, back);
    if (plan) return plan;
  }
  if (state.storeId !== undefined && partition.overflow) {
    return overflow(options, job, present, partition.overflow, state.storeId);
  }

  const shrunk = shrinkPartition({
    data: fields,
    shrinkers: options.shrinkers,
    fits,
    stopAfterPhase1: partition.overflow !== undefined,
    onShrinkerError: (key, error) =>
      options.logger.error(
        `a shrinker of "${key}" failed and was skipped: ${error instanceof Error ? error.message : String(error)}`,
      ),
  }) as MaybePromise<ShrinkResult>;
  return then(shrunk, (result) => {
    const bytesBefore = unshrunkBytes(options, job);
    if (!result.fits && partition.overflow) {
      const plan = overflow(options, job, present, partition.overflow, newSessionId());
      // Nothing is removed, unless not even the id fitted (then the data is gone).
      const removedKeys = plan.set ? [] : Object.keys(fields);
      return withEvent(session, job, plan, bytesBefore, { shrunkKeys: [], removedKeys });
    }
    // Shrunk to nothing: an empty session keeps no cookies (as on the next commit), unless it is
    // the catch-all of a `saveUninitialized` session.
    const keepsEmpty = partition.isCatchAll && options.saveUninitialized;
    const empty = result.jsonBytes === 2 && !keepsEmpty;
    const written = JSON.stringify(result.data);
    let plan = result.fits && !empty ? sealData(options, job, present, written, []) : undefined;
    if (!plan?.set) {
      const gone = settle(job, present, undefined);
      plan = {
        state,
        set: undefined,
        deleted: gone.deleted,
        cost: gone.cost,
        storeOps: [],
        snapshot: undefined,
        storeId: undefined,
        error:
          result.fits && empty
            ? undefined
            : `the session cookie "${partition.cookieName}" does not fit even empty: the request's ` +
              `other cookies fill the budget (${session.limits.maxCookies} cookies, ` +
              `${session.limits.maxTotalBytes} bytes, ${session.limits.maxResponseHeaderBytes} ` +
              `bytes of response headers); its cookies were deleted`,
      };
    }
    return withEvent(
      session,
      job,
      { ...plan, written: { from: fields, to: result.data } },
      bytesBefore,
      { shrunkKeys: result.shrunkKeys, removedKeys: result.removedKeys },
    );
  });
}

/** The data sealed into the partition's cookies, when they fit (they are measured as built). */
function sealData(
  options: ResolvedOptions,
  job: PartitionJob,
  present: PartitionJob['state']['present'],
  json: string,
  storeOps: StoreOp[],
): PartitionPlan | undefined {
  const set = sealCookieSet(
    options.sealer,
    specOf(job),
    { createdAt: job.state.createdAt, writtenAt: job.now, json, isStoreId: false },
    options.compress,
  );
  const sealed = set && settle(job, present, set);
  if (!sealed?.fits) return undefined;
  return {
    state: job.state,
    set,
    deleted: sealed.deleted,
    cost: sealed.cost,
    storeOps,
    snapshot: json,
    storeId: undefined,
  };
}

/** The data, unshrunk, goes to the overflow store; the cookie keeps only the sealed id. */
function overflow(
  options: ResolvedOptions,
  job: PartitionJob,
  present: PartitionJob['state']['present'],
  store: NonNullable<CookiePartition['overflow']>,
  id: string,
): PartitionPlan {
  return planRecordCookie(options, job, present, {
    store,
    id,
    op: 'set',
    what: 'set in the overflow store',
  });
}

function withEvent(
  session: RequestSession,
  job: PartitionJob,
  plan: PartitionPlan,
  bytesBefore: number,
  keys: Pick<ShrinkEvent, 'shrunkKeys' | 'removedKeys'>,
): PartitionPlan {
  const event: ShrinkEvent = {
    cookieName: job.state.partition.cookieName,
    userAgent: session.userAgent,
    bytesBefore,
    bytesAfter: plan.set ? chunkBytes(plan.set.cookies) : 0,
    ...keys,
  };
  return { ...plan, event };
}

/** What the unshrunk data would have taken in cookies, name and value summed. */
function unshrunkBytes(options: ResolvedOptions, job: PartitionJob): number {
  const name = job.state.partition.cookieName;
  const sealedLength = options.sealer.sealedLength(
    options.compress
      ? encodeEnvelope(0, 0, job.json, false, true).length
      : ENVELOPE_HEADER_BYTES + Buffer.byteLength(job.json),
  );
  const plan = planChunks(name, sealedLength, job.capacity);
  if (!plan) return sealedLength + name.length;
  return plan.pairBytes - plan.valueLengths.length;
}

/**
 * The fit check of the shrink engine: does a candidate of `jsonBytes` fit? Without `compress`
 * the plaintext is the envelope's header and the JSON. With it, sealing deflates only when that
 * is smaller, so data that fits uncompressed fits. Otherwise deflating at every shrink step
 * would cost a full deflate per step (hundreds of milliseconds for a large incompressible
 * session), so the last measured ratio predicts the deflated size, and only a candidate
 * predicted within 10 % of fitting is deflated for real. Every `true` is measured; a
 * misprediction can only make shrinking go one step further.
 */
function fitCheck(
  overBy: (plaintextBytes: number) => number,
  compress: boolean,
): (jsonBytes: number, candidate: Record<string, unknown>) => boolean {
  if (!compress) return (jsonBytes) => overBy(ENVELOPE_HEADER_BYTES + jsonBytes) <= 0;
  let ratio: number | undefined;
  return (jsonBytes, candidate) => {
    if (overBy(ENVELOPE_HEADER_BYTES + jsonBytes) <= 0) return true;
    if (
      ratio !== undefined &&
      overBy(ENVELOPE_HEADER_BYTES + Math.floor(jsonBytes * ratio * 0.9)) > 0
    ) {
      return false;
    }
    const plaintext = encodeEnvelope(0, 0, JSON.stringify(candidate), false, true);
    ratio = (plaintext.length - ENVELOPE_HEADER_BYTES) / Math.max(jsonBytes, 1);
    return overBy(plaintext.length) <= 0;
  };
}
