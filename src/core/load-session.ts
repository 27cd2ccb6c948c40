import type { IncomingMessage } from 'node:http';
import { chunkIndex } from '../chunking/chunks.js';
import { openCookieSet } from '../chunking/cookie-set.js';
import { decodeEnvelope, type Envelope } from '../codec/envelope.js';
import { browserLimits, resolveLimits } from '../limits/browser-limits.js';
import type { ResolvedOptions } from '../options/resolved-options.js';
import { SCRIPT_COOKIE_HEADROOM } from './allowance.js';
import { nowSeconds } from './clock.js';
import { carriedSetCount } from './cookie-set.js';
import { recordStore, type Partition } from './partition.js';
import { readRequestCookies, type RequestCookies } from './request-cookies.js';
import {
  RequestSession,
  setOwn,
  type PartitionState,
  type PresentCookie,
} from './session-state.js';
import { callStore } from './store-call.js';
import type { SessionStore } from '../stores/session-store.js';
import { jsonOf } from '../stores/store-support.js';

/** Allowed clock difference between servers behind one load balancer. */
const CLOCK_SKEW = 300;

/**
 * Reads a request's session. Every cookie that is missing, tampered, truncated, mixed,
 * expired or sealed for another name or secret reads as empty; only a failing store throws.
 * Synchronous unless a store record has to be read (then a Promise).
 */
export function loadSession(
  options: ResolvedOptions,
  partitions: readonly Partition[],
  req: IncomingMessage,
): RequestSession | Promise<RequestSession> {
  const userAgent = req.headers['user-agent'];
  const override = options.limits(req);
  const limits = resolveLimits(browserLimits(userAgent), override);
  const cookies = readRequestCookies(req);
  const now = nowSeconds();
  const reads = partitions.map((partition) =>
    readPartition(options, partition, cookies, limits, now),
  );
  const build = () => {
    const states = reads.map((r) => r.state);
    // The fields of every partition in one object: when the first partition read is a cookie's,
    // the object decoded from it (this request's alone), else `{}`; the others copied onto it.
    // A store's object is always copied: the store may keep it.
    let data: Record<string, unknown> | undefined;
    for (const read of reads) {
      if (!read.data) continue;
      if (!data && !read.record) data = read.data;
      else {
        data ??= {};
        for (const key of Object.keys(read.data)) setOwn(data, key, read.data[key]);
      }
    }
    const session = new RequestSession(
      states,
      cookies,
      limits,
      userAgent,
      states.every((p) => !p.valid),
      data,
    );
    if (override?.maxTotalBytes === undefined) session.scriptHeadroom = SCRIPT_COOKIE_HEADROOM;
    return session;
  };
  if (!reads.some((r) => r.record)) return build();
  return (async () => {
    for (const read of reads) if (read.record) await fetchRecord(options, read);
    return build();
  })();
}

interface PartitionRead {
  state: PartitionState;
  data: Record<string, unknown> | undefined;
  /** A store record to read before the partition is valid. */
  record?: { store: SessionStore; id: string; envelope: Envelope; keyIndex: number };
}

function readPartition(
  options: ResolvedOptions,
  partition: Partition,
  cookies: RequestCookies,
  limits: { maxCookies: number; maxTotalBytes: number },
  now: number,
): PartitionRead {
  const name = partition.cookieName;
  const present: PresentCookie[] = [];
  let presentPairBytes = 0;
  for (const pair of cookies.pairs) {
    const index = chunkIndex(name, pair.name);
    if (index >= 0) {
      present.push({ name: pair.name, index, bytes: pair.bytes });
      presentPairBytes += pair.bytes;
    }
  }
  const state: PartitionState = {
    partition,
    present,
    presentPairBytes,
    count: carriedSetCount(name, cookies.values),
    valid: false,
    snapshot: undefined,
    createdAt: now,
    writtenAt: now,
    storeId: undefined,
    reseal: false,
    remembered: false,
  };
  if (present.length === 0) return { state, data: undefined };

  const opened = openCookieSet(
    name,
    cookies.values,
    options.sealer,
    limits.maxCookies,
    limits.maxTotalBytes,
  );
  const envelope = opened && decodeEnvelope(opened.plaintext);
  if (!envelope || !isLive(envelope, partition, now)) return { state, data: undefined };
  // A delta set's pieces, kept when unchanged; not those opened with an older secret.
  if (opened.keyIndex === 0) state.pieces = opened.pieces;
  if (opened.pieces) state.slots = new Set([0, ...opened.pieces.map((p) => p.slot)]);

  if (envelope.storeId !== undefined) {
    const store = recordStore(partition);
    if (!store) return { state, data: undefined };
    const record = { store, id: envelope.storeId, envelope, keyIndex: opened.keyIndex };
    return { state, data: undefined, record };
  }
  if (partition.kind === 'store') return { state, data: undefined };
  // The sealed body is JSON.stringify's own output, which re-serializes to the same text.
  validate(state, envelope, opened.keyIndex, envelope.json);
  return { state, data: envelope.data };
}

/** Reads a partition's store record; the partition stays empty when it is gone. */
async function fetchRecord(options: ResolvedOptions, read: PartitionRead): Promise<void> {
  if (!read.record) return;
  const { store, id, envelope, keyIndex } = read.record;
  const name = read.state.partition.cookieName;
  const data = await callStore(`get from the store of "${name}"`, options.storeTimeout, () =>
    store.get(id),
  );
  if (!data || typeof data !== 'object') return;
  read.state.storeId = id;
  validate(read.state, envelope, keyIndex, jsonOf(data));
  read.data = data;
}

function validate(state: PartitionState, envelope: Envelope, keyIndex: number, snapshot: string) {
  state.valid = true;
  state.snapshot = snapshot;
  state.createdAt = envelope.createdAt;
  state.writtenAt = envelope.writtenAt;
  state.reseal = keyIndex !== 0;
  state.remembered = envelope.remembered;
}

function isLive(envelope: Envelope, partition: Partition, now: number): boolean {
  const { createdAt, writtenAt } = envelope;
  if (writtenAt < createdAt || writtenAt > now + CLOCK_SKEW) return false;
  // A remembered session's seal says so: its idle window is the `remember` one.
  const idleTimeout = envelope.remembered ? partition.remember.idleTimeout : partition.idleTimeout;
  if (now - writtenAt > idleTimeout) return false;
  if (now - createdAt > partition.absoluteTimeout) return false;
  return true;
}
