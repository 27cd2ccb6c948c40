import type { IncomingMessage } from 'node:http';
import { chunkIndex, joinChunks } from '../chunking/chunks.js';
import { decodeEnvelope, type Envelope } from '../codec/envelope.js';
import { browserLimits, resolveLimits } from '../limits/browser-limits.js';
import type { ResolvedOptions, ResolvedPartition } from '../options/resolved-options.js';
import { nowSeconds } from './clock.js';
import { readRequestCookies, type RequestCookies } from './request-cookies.js';
import { RequestSession, setOwn, type PartitionState } from './session-state.js';
import { callStore } from './store-call.js';

/** Allowed clock difference between servers behind one load balancer. */
const CLOCK_SKEW = 300;

/**
 * Reads a request's session. Every cookie that is missing, tampered, truncated, mixed,
 * expired or sealed for another name or secret reads as empty; only a failing store throws.
 */
export async function loadSession(
  options: ResolvedOptions,
  req: IncomingMessage,
): Promise<RequestSession> {
  const userAgent = req.headers['user-agent'];
  const limits = resolveLimits(browserLimits(userAgent), options.limits(req));
  const cookies = readRequestCookies(req);
  const now = nowSeconds();
  const partitions: PartitionState[] = [];
  const loaded: (Record<string, unknown> | undefined)[] = [];
  for (const partition of options.partitions) {
    const { state, data } = await loadPartition(options, partition, cookies, limits, now);
    partitions.push(state);
    loaded.push(data);
  }
  const session = new RequestSession(
    partitions,
    cookies,
    limits,
    userAgent,
    partitions.every((p) => !p.valid),
  );
  for (const data of loaded) {
    if (data) for (const key of Object.keys(data)) setOwn(session.data, key, data[key]);
  }
  return session;
}

async function loadPartition(
  options: ResolvedOptions,
  partition: ResolvedPartition,
  cookies: RequestCookies,
  limits: { maxCookies: number; maxTotalBytes: number },
  now: number,
): Promise<{ state: PartitionState; data: Record<string, unknown> | undefined }> {
  const name = partition.cookieName;
  const present: string[] = [];
  let presentPairBytes = 0;
  for (const pair of cookies.pairs) {
    if (chunkIndex(name, pair.name) >= 0) {
      present.push(pair.name);
      presentPairBytes += pair.bytes;
    }
  }
  const state: PartitionState = {
    partition,
    present,
    presentPairBytes,
    valid: false,
    snapshot: undefined,
    createdAt: now,
    writtenAt: now,
    storeId: undefined,
    reseal: false,
  };
  if (present.length === 0) return { state, data: undefined };

  const sealed = joinChunks(name, cookies.values, limits.maxCookies, limits.maxTotalBytes);
  const opened = sealed === undefined ? undefined : options.sealer.open(name, sealed);
  const envelope = opened && decodeEnvelope(opened.plaintext);
  if (!envelope || !isLive(envelope, partition, now)) return { state, data: undefined };

  let data: Record<string, unknown> | undefined;
  let snapshot: string;
  if (envelope.storeId !== undefined) {
    const store = partition.store ?? partition.overflow;
    if (!store) return { state, data: undefined };
    const id = envelope.storeId;
    data = await callStore(`get from the store of "${name}"`, options.storeTimeout, () =>
      store.get(id),
    );
    if (!data || typeof data !== 'object') return { state, data: undefined };
    snapshot = JSON.stringify(data);
    state.storeId = id;
  } else {
    if (partition.store) return { state, data: undefined };
    data = envelope.data;
    // The sealed body is JSON.stringify's own output, which re-serializes to the same text.
    snapshot = envelope.json;
  }
  state.valid = true;
  state.snapshot = snapshot;
  state.createdAt = envelope.createdAt;
  state.writtenAt = envelope.writtenAt;
  state.reseal = opened.keyIndex !== 0;
  return { state, data };
}

function isLive(envelope: Envelope, partition: ResolvedPartition, now: number): boolean {
  const { createdAt, writtenAt } = envelope;
  if (writtenAt < createdAt || writtenAt > now + CLOCK_SKEW) return false;
  if (now - writtenAt > partition.idleTimeout) return false;
  if (now - createdAt > partition.absoluteTimeout) return false;
  return true;
}
