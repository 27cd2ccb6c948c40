import type { IncomingMessage } from 'node:http';
import type { ResolvedOptions, ResolvedPartition } from '../options/resolved-options.js';
import { CookieBudget } from './cookie-budget.js';
import { chunkBytes, sealStoreIdOrDrop, type Chunk } from './seal-partition.js';
import { newSessionId } from './session-id.js';
import { setOwn, type PartitionState, type RequestSession } from './session-state.js';
import { cookieAttributes, isSecureRequest } from './set-cookie.js';
import { callStore } from './store-call.js';
import { nowSeconds } from './clock.js';
import { writeCookiePartition, type PartitionWriteContext } from './write-cookie-partition.js';

type Decision = 'keep' | 'write' | 'clear';

/**
 * Writes what changed: store records first, then the Set-Cookie lines, which are returned
 * only once every store call has succeeded (a failing store throws and changes no cookie).
 * `undefined` when nothing needs writing.
 */
export async function commitSession(
  options: ResolvedOptions,
  session: RequestSession,
  req: IncomingMessage,
  warnedFields: Set<string>,
): Promise<string[] | undefined> {
  const now = nowSeconds();
  const fields = routeFields(options.partitions, session.data, options, warnedFields);
  const jsons = fields.map((f) => JSON.stringify(f));
  const decisions = session.partitions.map((ps, i) => decide(options, session, ps, jsons[i]!, now));
  if (decisions.every((d) => d === 'keep') && session.stale.length === 0) return undefined;

  const budget = new CookieBudget(session.limits, session.cookies, options.partitions);
  session.partitions.forEach((ps, i) => {
    if (decisions[i] === 'keep') budget.take(ps.present.length, ps.presentPairBytes);
  });

  const secure = isSecureRequest(req);
  const lines: string[] = [];
  const updates: (() => void)[] = [];
  for (const [i, ps] of session.partitions.entries()) {
    if (decisions[i] === 'keep') continue;
    const { partition } = ps;
    const attributes = cookieAttributes(partition.cookie, secure, now);
    const ctx: PartitionWriteContext = {
      options,
      session,
      state: ps,
      fields: fields[i]!,
      json: jsons[i]!,
      now,
      ttl: ttlSeconds(partition, ps.createdAt, now),
      capacity: {
        maxCookieBytes: session.limits.maxCookieBytes,
        countsAttributes: session.limits.countsAttributes,
        attributesBytes: attributes.length,
      },
      budget,
    };
    let chunks: Chunk[];
    if (decisions[i] === 'clear') {
      const store = partition.store ?? partition.overflow;
      if (ps.storeId !== undefined && store) session.stale.push({ store, id: ps.storeId });
      ps.storeId = undefined;
      chunks = [];
    } else if (partition.store) {
      chunks = await writeStorePartition(ctx);
    } else {
      chunks = await writeCookiePartition(ctx);
    }
    for (const c of chunks) lines.push(`${c.name}=${c.value}${attributes}`);
    const names = new Set(chunks.map((c) => c.name));
    const deleting = cookieAttributes(partition.cookie, secure, now, true);
    for (const name of new Set(ps.present)) if (!names.has(name)) lines.push(`${name}=${deleting}`);
    updates.push(() => {
      ps.present = [...names];
      ps.presentPairBytes = chunkBytes(chunks) + chunks.length;
      ps.valid = chunks.length > 0;
      ps.writtenAt = now;
      ps.reseal = false;
      if (chunks.length === 0) ps.snapshot = undefined;
    });
  }

  for (const record of session.stale.splice(0)) {
    await callStore('destroy a record', options.storeTimeout, () =>
      record.store.destroy(record.id),
    );
  }
  for (const update of updates) update();
  // `destroyed` stays set for the rest of the request: a later commit (the response hooks after
  // the interceptor's) must not write the emptied session back as a new uninitialized one.
  session.regenerated = false;
  session.touched = false;
  return lines;
}

function decide(
  options: ResolvedOptions,
  session: RequestSession,
  ps: PartitionState,
  json: string,
  now: number,
): Decision {
  const { partition } = ps;
  const due =
    !ps.valid ||
    json !== ps.snapshot ||
    ps.reseal ||
    session.regenerated ||
    session.touched ||
    now - ps.writtenAt > partition.touchAfter;
  if (json === '{}') {
    if (partition.isCatchAll && options.saveUninitialized && !session.destroyed) {
      return due ? 'write' : 'keep';
    }
    return ps.present.length > 0 || ps.storeId !== undefined ? 'clear' : 'keep';
  }
  return due ? 'write' : 'keep';
}

/** The seconds a store record must live: the idle window, or what is left of the absolute one. */
function ttlSeconds(partition: ResolvedPartition, createdAt: number, now: number): number {
  const left = partition.absoluteTimeout - (now - createdAt);
  return Math.max(1, Math.ceil(Math.min(partition.idleTimeout, left)));
}

/** The session's fields, grouped by the partition that keeps them. */
function routeFields(
  partitions: ResolvedPartition[],
  data: Record<string, unknown>,
  options: ResolvedOptions,
  warnedFields: Set<string>,
): Record<string, unknown>[] {
  const out = partitions.map(() => ({}) as Record<string, unknown>);
  const catchAll = partitions.findIndex((p) => p.isCatchAll);
  for (const key of Object.keys(data)) {
    let index = partitions.findIndex((p) => p.claims?.has(key));
    if (index === -1) {
      if (partitions[catchAll]!.excludes.has(key)) {
        if (!warnedFields.has(key)) {
          warnedFields.add(key);
          options.logger.warn(
            `the session field "${key}" is excluded from "${partitions[catchAll]!.cookieName}" and claimed by no other partition: it is not kept`,
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

/**
 * A store partition: the fields go to its store, the cookie holds only the sealed id.
 * The id is sealed first: when not even it fits, nothing is written to the store (a record no
 * cookie points to would only wait for its TTL), the old record goes, and the fields are
 * dropped from the handler's object, so a later commit of this response does not try again.
 */
async function writeStorePartition(ctx: PartitionWriteContext): Promise<Chunk[]> {
  const { options, state, fields, json, ttl } = ctx;
  const store = state.partition.store!;
  const name = state.partition.cookieName;
  const id = state.storeId ?? newSessionId();
  const chunks = sealStoreIdOrDrop(ctx, store, id);
  if (!chunks) return [];
  if (state.storeId === undefined || !state.valid || json !== state.snapshot) {
    await callStore(`set in the store of "${name}"`, options.storeTimeout, () =>
      store.set(id, fields, ttl),
    );
  } else {
    await callStore(`touch in the store of "${name}"`, options.storeTimeout, () =>
      store.touch ? store.touch(id, ttl) : store.set(id, fields, ttl),
    );
  }
  state.storeId = id;
  state.snapshot = json;
  return chunks;
}
