import { encodeEnvelope, ENVELOPE_HEADER_BYTES } from '../codec/envelope.js';
import type { ResolvedOptions } from '../options/resolved-options.js';
import { partitionOverBy, type OverBy } from '../shrinking/fit-check.js';
import { shrinkPartition } from '../shrinking/shrink-partition.js';
import { shrinkerFailureMessage } from '../shrinking/shrinker-failure.js';
import type { ShrinkEvent } from '../shrinking/shrink-types.js';
import { planChunks } from '../chunking/chunks.js';
import { DELTA_PREFIX, planDeltaSet } from '../chunking/delta-set.js';
import { chunkBytes, sealCookieSet, type CookieSetSpec } from './cookie-set.js';
import { overByFor, overByOf, requestPlaintextLimit, settle } from './fit-cookie-set.js';
import { then, type MaybePromise } from './maybe-async.js';
import type { Partition } from './partition.js';
import { specOf, type PartitionJob, type PartitionPlan, type StoreOp } from './partition-plan.js';
import { planRecordCookie } from './record-cookie.js';
import { newSessionId } from './session-id.js';
import type { PresentCookie, RequestSession } from './session-state.js';

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
  present: readonly PresentCookie[],
): MaybePromise<PartitionPlan> {
  const { state, json, fields } = job;
  const partition = state.partition as CookiePartition;
  const spec = specOf(job, options.cutter);
  const setOverBy = overByFor(options, job, present, spec);
  const jsonBytes = Buffer.byteLength(json);
  // Most commits fit as they are: the single value measured once, as `fitCheck`'s first call
  // would, and the fit check itself not built.
  const fitsAsIs = !options.compress && setOverBy(ENVELOPE_HEADER_BYTES + jsonBytes) <= 0;
  let overBy = fitsAsIs ? undefined : fitCheck(options, job, spec, setOverBy);

  if (fitsAsIs || overBy!(jsonBytes, fields) <= 0) {
    // Back from the overflow store: its record goes.
    const back: StoreOp[] =
      state.storeId !== undefined && partition.overflow
        ? [{ kind: 'destroy', store: partition.overflow, id: state.storeId }]
        : [];
    const plan = sealData(options, job, present, spec, json, back);
    if (plan) return plan;
  }
  if (state.storeId !== undefined && partition.overflow) {
    return overflow(options, job, present, partition.overflow, state.storeId);
  }

  overBy ??= fitCheck(options, job, spec, setOverBy);
  const shrunk = shrinkPartition({
    data: fields,
    jsonBytes,
    shrinkers: options.shrinkers,
    overBy,
    stopAfterPhase1: partition.overflow !== undefined,
    shrinkerTimeout: options.shrinkerTimeout,
    onShrinkerError: (key, error) => options.logger.error(shrinkerFailureMessage(key, error)),
  });
  return then(shrunk, (result) => {
    const bytesBefore = (plan: PartitionPlan) =>
      unshrunkBytes(options, job, plan.set?.cookies[0]?.value.startsWith(DELTA_PREFIX) ?? false);
    if (!result.fits && partition.overflow) {
      const plan = overflow(options, job, present, partition.overflow, newSessionId());
      // Nothing is removed, unless not even the id fitted (then the data is gone).
      const removedKeys = plan.set ? [] : Object.keys(fields);
      return withEvent(session, job, plan, bytesBefore(plan), { shrunkKeys: [], removedKeys });
    }
    // Shrunk to nothing: an empty session keeps no cookies (as on the next commit), unless it is
    // the catch-all of a `saveUninitialized` session.
    const keepsEmpty = partition.isCatchAll && options.saveUninitialized;
    const empty = result.jsonBytes === 2 && !keepsEmpty;
    const written = JSON.stringify(result.data);
    let plan =
      result.fits && !empty ? sealData(options, job, present, spec, written, []) : undefined;
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
      bytesBefore(plan),
      { shrunkKeys: result.shrunkKeys, removedKeys: result.removedKeys },
    );
  });
}

/**
 * How far a candidate of the partition's fields is over what it may use (the shrinkers' check).
 * The single value's size follows the plaintext's length alone: the JSON bytes it may take are
 * found once (fit-check.ts), and `overBy` is exact for it. A candidate it does not fit may still
 * fit as a delta set, whose size follows the content: that is measured on the candidate.
 */
function fitCheck(
  options: ResolvedOptions,
  job: PartitionJob,
  spec: CookieSetSpec,
  setOverBy: ReturnType<typeof overByFor>,
): OverBy {
  const { state, json, fields } = job;
  const singleOverBy = partitionOverBy(
    (plaintextBytes) => setOverBy(plaintextBytes) <= 0,
    options.compress,
    job.allowance.requestBytes,
  );
  if (options.compress) return singleOverBy;
  const envelopeOf = (candidate: Record<string, unknown>) =>
    encodeEnvelope(
      state.createdAt,
      job.now,
      candidate === fields ? json : JSON.stringify(candidate),
      false,
      false,
    );
  let deltaUpper: number | undefined; // past it, no format fits (found on the first step over)
  return (jsonBytes, candidate, removedBytes) => {
    const single = singleOverBy(jsonBytes, candidate, removedBytes);
    if (single <= 0) return single;
    const plaintextBytes = ENVELOPE_HEADER_BYTES + jsonBytes;
    if (plaintextBytes > (deltaUpper ??= requestPlaintextLimit(options.sealer, job, spec)))
      return single;
    const asDelta = setOverBy(plaintextBytes, () => envelopeOf(candidate));
    return asDelta <= 0 ? 0 : single;
  };
}

/** The data sealed into the partition's cookies, when they fit (they are measured as built). */
function sealData(
  options: ResolvedOptions,
  job: PartitionJob,
  present: readonly PresentCookie[],
  spec: CookieSetSpec,
  json: string,
  storeOps: StoreOp[],
): PartitionPlan | undefined {
  const set = sealCookieSet(
    options.sealer,
    spec,
    {
      createdAt: job.state.createdAt,
      writtenAt: job.now,
      json,
      isStoreId: false,
      remembered: job.remembered,
    },
    options.compress,
    (size) => overByOf(job, present, size) <= 0,
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
  present: readonly PresentCookie[],
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

/**
 * What the unshrunk data would have taken in cookies, name and value summed: as the single
 * value, or, when that is how it is written, as a delta set (its pieces, names and manifest).
 */
function unshrunkBytes(options: ResolvedOptions, job: PartitionJob, asDelta: boolean): number {
  const name = job.state.partition.cookieName;
  // Uncompressed, the single value's length follows from the JSON's: no envelope is built for it.
  const plaintext = options.compress
    ? encodeEnvelope(0, 0, job.json, false, true)
    : asDelta
      ? encodeEnvelope(job.state.createdAt, job.now, job.json, false, false)
      : undefined;
  const sealedLength = options.sealer.sealedLength(
    plaintext?.length ?? ENVELOPE_HEADER_BYTES + Buffer.byteLength(job.json),
  );
  const plan = planChunks(name, sealedLength, job.capacity);
  const single = plan ? plan.pairBytes - plan.valueLengths.length : sealedLength + name.length;
  const delta =
    asDelta &&
    plaintext !== undefined &&
    planDeltaSet({
      base: name,
      envelope: plaintext,
      previous: undefined,
      present: [],
      cutter: options.cutter,
      sealer: options.sealer,
      capacity: job.capacity,
      maxCookies: 999,
      defer: false,
    });
  return delta ? Math.max(single, delta.pairBytes - delta.cookies) : single;
}
