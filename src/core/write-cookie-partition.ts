import { planChunks, type ChunkCapacity } from '../chunking/chunks.js';
import { encodeEnvelope, ENVELOPE_HEADER_BYTES } from '../codec/envelope.js';
import type { ResolvedOptions } from '../options/resolved-options.js';
import { partitionOverBy } from '../shrinking/fit-check.js';
import { shrinkPartition } from '../shrinking/shrink-partition.js';
import { describeFailure, shrinkerFailureMessage } from '../shrinking/shrinker-failure.js';
import type { ShrinkEvent } from '../shrinking/shrink-types.js';
import type { CookieBudget } from './cookie-budget.js';
import { chunkBytes, sealIntoChunks, sealStoreIdOrDrop, type Chunk } from './seal-partition.js';
import { newSessionId } from './session-id.js';
import type { PartitionState, RequestSession } from './session-state.js';
import { setOwn } from './session-state.js';
import { callStore } from './store-call.js';

export interface PartitionWriteContext {
  options: ResolvedOptions;
  session: RequestSession;
  state: PartitionState;
  fields: Record<string, unknown>;
  json: string;
  now: number;
  ttl: number;
  capacity: ChunkCapacity;
  budget: CookieBudget;
}

/**
 * Writes a cookie partition: into its cookies when it fits; else shrunk (API.md section 3);
 * else into its overflow store; else deleted. Returns the chunks to set (none = delete).
 */
export async function writeCookiePartition(ctx: PartitionWriteContext): Promise<Chunk[]> {
  const { options, state, fields, json, budget } = ctx;
  const { partition } = state;
  const name = partition.cookieName;
  const fitsPlaintext = (plaintextBytes: number) => {
    const sealedLength = options.sealer.sealedLength(plaintextBytes);
    // Every cookie's names and separators come on top of the sealed characters: longer than the
    // bytes left, no split fits (and planning one costs a loop per chunk, at every shrink step).
    if (sealedLength > budget.bytes) return false;
    const plan = planChunks(name, sealedLength, ctx.capacity, Math.max(budget.cookies, 0));
    return plan !== undefined && budget.fits(plan);
  };
  const overBy = partitionOverBy(fitsPlaintext, options.compress, budget.bytes);

  if (overBy(Buffer.byteLength(json), fields) <= 0) {
    if (state.storeId !== undefined && partition.overflow) {
      // Back from the overflow store: its record goes.
      ctx.session.stale.push({ store: partition.overflow, id: state.storeId });
      state.storeId = undefined;
    }
    return sealData(ctx, json) ?? [];
  }
  if (state.storeId !== undefined && partition.overflow) {
    return writeOverflow(ctx, state.storeId);
  }

  const result = await shrinkPartition({
    data: fields,
    shrinkers: options.shrinkers,
    overBy,
    stopAfterPhase1: partition.overflow !== undefined,
    onShrinkerError: (key, error) => options.logger.error(shrinkerFailureMessage(key, error)),
    shrinkerTimeout: options.shrinkerTimeout,
  });
  const bytesBefore = unshrunkBytes(ctx);

  if (!result.fits && partition.overflow) {
    const chunks = await writeOverflow(ctx, newSessionId());
    // Nothing is removed, unless not even the id fitted (then the data is gone).
    const removedKeys = chunks.length > 0 ? [] : Object.keys(ctx.fields);
    report(ctx, { bytesBefore, bytesAfter: chunkBytes(chunks), shrunkKeys: [], removedKeys });
    return chunks;
  }

  applyShrunk(ctx, result.data);
  // Shrunk to nothing: an empty session keeps no cookies (as `decide` would on the next commit),
  // unless it is the catch-all of a `saveUninitialized` session.
  const keepsEmpty = partition.isCatchAll && options.saveUninitialized;
  const empty = result.jsonBytes === 2 && !keepsEmpty;
  const chunks = result.fits && !empty ? (sealData(ctx, JSON.stringify(result.data)) ?? []) : [];
  report(ctx, {
    bytesBefore,
    bytesAfter: chunkBytes(chunks),
    shrunkKeys: result.shrunkKeys,
    removedKeys: result.removedKeys,
  });
  if (chunks.length === 0 && !(result.fits && empty)) {
    options.logger.error(
      `the session cookie "${name}" does not fit even empty: the request's other cookies fill ` +
        `the budget (${ctx.session.limits.maxCookies} cookies, ${ctx.session.limits.maxTotalBytes} bytes); its cookies were deleted`,
    );
  }
  return chunks;
}

function sealData(ctx: PartitionWriteContext, json: string): Chunk[] | undefined {
  ctx.state.snapshot = json;
  return sealIntoChunks(
    ctx.options,
    ctx.state.partition.cookieName,
    { createdAt: ctx.state.createdAt, writtenAt: ctx.now, json, isStoreId: false },
    ctx.capacity,
    ctx.budget,
  );
}

/**
 * The data, unshrunk, goes to the overflow store; the cookie keeps only the sealed id.
 * The id is sealed first: when not even it fits, nothing is written to the store, the old
 * record goes, and the data is dropped (the handler's object shows it, as after shrinking).
 */
async function writeOverflow(ctx: PartitionWriteContext, id: string): Promise<Chunk[]> {
  const { options, state } = ctx;
  const store = state.partition.overflow!;
  const name = state.partition.cookieName;
  const chunks = sealStoreIdOrDrop(ctx, store, id);
  if (!chunks) return [];
  await callStore(`set in the overflow store of "${name}"`, options.storeTimeout, () =>
    store.set(id, ctx.fields, ctx.ttl),
  );
  state.storeId = id;
  state.snapshot = ctx.json;
  return chunks;
}

/** What the unshrunk data would have taken in cookies, name and value summed. */
function unshrunkBytes(ctx: PartitionWriteContext): number {
  const name = ctx.state.partition.cookieName;
  const sealedLength = ctx.options.sealer.sealedLength(
    ctx.options.compress
      ? encodeEnvelope(0, 0, ctx.json, false, true).length
      : ENVELOPE_HEADER_BYTES + Buffer.byteLength(ctx.json),
  );
  const plan = planChunks(name, sealedLength, ctx.capacity);
  if (!plan) return sealedLength + name.length;
  return plan.pairBytes - plan.valueLengths.length;
}

/** The handler's object now shows what was written, so a second commit finds no change. */
function applyShrunk(ctx: PartitionWriteContext, shrunk: Record<string, unknown>): void {
  for (const key of Object.keys(ctx.fields)) {
    if (Object.prototype.hasOwnProperty.call(shrunk, key))
      setOwn(ctx.session.data, key, shrunk[key]);
    else delete ctx.session.data[key];
  }
}

function report(
  ctx: PartitionWriteContext,
  sizes: Omit<ShrinkEvent, 'cookieName' | 'userAgent'>,
): void {
  const event: ShrinkEvent = {
    cookieName: ctx.state.partition.cookieName,
    userAgent: ctx.session.userAgent,
    ...sizes,
  };
  const { logger, onShrink } = ctx.options;
  logger.warn(
    `the session cookie "${event.cookieName}" did not fit (${event.bytesBefore} → ${event.bytesAfter} bytes)` +
      (event.shrunkKeys.length ? `; shrunk: ${event.shrunkKeys.join(', ')}` : '') +
      (event.removedKeys.length ? `; removed: ${event.removedKeys.join(', ')}` : '') +
      (event.shrunkKeys.length + event.removedKeys.length === 0
        ? '; moved to its overflow store'
        : ''),
  );
  if (!onShrink) return;
  try {
    onShrink(event);
  } catch (error) {
    logger.error(`onShrink threw: ${describeFailure(error)}`);
  }
}
