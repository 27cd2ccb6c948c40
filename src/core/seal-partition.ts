import { planChunks, splitChunks, type ChunkCapacity } from '../chunking/chunks.js';
import { encodeEnvelope } from '../codec/envelope.js';
import type { ResolvedOptions } from '../options/resolved-options.js';
import type { SessionStore } from '../stores/session-store.js';
import type { CookieBudget } from './cookie-budget.js';
import type { PartitionState, RequestSession } from './session-state.js';

export interface Chunk {
  name: string;
  value: string;
}

/**
 * Seals a partition's envelope and splits it within the budget, taking what it uses.
 * `undefined` when it does not fit (the budget is then untouched).
 */
export function sealIntoChunks(
  options: ResolvedOptions,
  cookieName: string,
  envelope: { createdAt: number; writtenAt: number; json: string; isStoreId: boolean },
  capacity: ChunkCapacity,
  budget: CookieBudget,
): Chunk[] | undefined {
  const plaintext = encodeEnvelope(
    envelope.createdAt,
    envelope.writtenAt,
    envelope.json,
    envelope.isStoreId,
    options.compress,
  );
  const sealed = options.sealer.seal(cookieName, plaintext);
  const plan = planChunks(cookieName, sealed.length, capacity, Math.max(budget.cookies, 0));
  if (!plan || !budget.fits(plan)) return undefined;
  budget.take(plan.valueLengths.length, plan.pairBytes);
  return splitChunks(cookieName, sealed, plan);
}

/** Name + value bytes of the chunks, summed: the measure of ShrinkEvent. */
export function chunkBytes(chunks: readonly Chunk[]): number {
  return chunks.reduce((sum, c) => sum + c.name.length + c.value.length, 0);
}

/**
 * Seals a store record's id into the partition's cookies. The id is sealed before anything is
 * written to the store: when not even it fits, the old record goes, the partition's fields are
 * dropped from the handler's object (so a later commit of this response does not try again), an
 * error is logged, and `undefined` tells the caller to write nothing to the store.
 */
export function sealStoreIdOrDrop(
  ctx: {
    options: ResolvedOptions;
    session: RequestSession;
    state: PartitionState;
    fields: Record<string, unknown>;
    now: number;
    capacity: ChunkCapacity;
    budget: CookieBudget;
  },
  store: SessionStore,
  id: string,
): Chunk[] | undefined {
  const { options, session, state } = ctx;
  const name = state.partition.cookieName;
  const chunks = sealIntoChunks(
    options,
    name,
    { createdAt: state.createdAt, writtenAt: ctx.now, json: JSON.stringify(id), isStoreId: true },
    ctx.capacity,
    ctx.budget,
  );
  if (chunks) return chunks;
  if (state.storeId !== undefined) session.stale.push({ store, id: state.storeId });
  state.storeId = undefined;
  for (const key of Object.keys(ctx.fields)) delete session.data[key];
  options.logger.error(
    `the session cookie "${name}" does not fit even as an id: the request's other cookies fill the budget; its cookies were deleted`,
  );
  return undefined;
}
