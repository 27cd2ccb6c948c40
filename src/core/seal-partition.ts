import { planChunks, splitChunks, type ChunkCapacity } from '../chunking/chunks.js';
import { encodeEnvelope } from '../codec/envelope.js';
import type { ResolvedOptions } from '../options/resolved-options.js';
import type { CookieBudget } from './cookie-budget.js';

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
