/**
 * One partition of one request, read as the library reads it but saying at each step why it
 * stops: which of its cookies were sent (and, in a HAR, which the browser had been told to keep),
 * then the set in its format — the single value (single-value-set.ts) or the delta set `d1`
 * (delta-cookie-set.ts) — then the envelope and its timeouts (envelope-verdict.ts).
 */
import { chunkIndex } from '../chunking/chunks.js';
import { DELTA_PREFIX } from '../chunking/delta-set.js';
import { readDeltaSet } from './delta-cookie-set.js';
import { list, type PartitionContext, type PartitionInspection } from './partition-inspection.js';
import type { ChunkReport, PartitionReport, Verdict } from './report.js';
import { readSingleValueSet } from './single-value-set.js';

export type { PartitionContext } from './partition-inspection.js';

export function inspectPartition(name: string, ctx: PartitionContext): PartitionReport {
  const { cookies, history } = ctx;
  const sent = cookies.pairs.map((p) => p.name).filter((n) => chunkIndex(name, n) >= 0);
  const present = [...new Set(sent)].sort((a, b) => chunkIndex(name, a) - chunkIndex(name, b));
  const chunks: ChunkReport[] = present.map((chunk) => {
    const value = cookies.values.get(chunk)!;
    return {
      name: chunk,
      bytes: Buffer.byteLength(chunk) + Buffer.byteLength(value),
      setBy: history?.entryThatSet(chunk, value) ?? null,
      role: null,
    };
  });
  const report: PartitionReport = {
    cookieName: name,
    verdict: 'ok',
    ok: false,
    reason: '',
    chunks,
    expectedChunks: null,
    complete: false,
    format: null,
    protection: null,
    keyId: null,
    keyIndex: null,
    createdAt: null,
    writtenAt: null,
    idleTimeout: null,
    absoluteTimeout: null,
    storeId: null,
    data: null,
  };
  const fail = (verdict: Verdict, reason: string): PartitionReport =>
    Object.assign(report, { verdict, reason, ok: false });

  // Cookies the browser had been told to keep but did not send (HAR only).
  const expected = history?.currentNames((n) => chunkIndex(name, n) >= 0, ctx.now * 1000) ?? [];
  const dropped = expected.filter((n) => !cookies.values.has(n));
  const droppedNote = (names: string[]) =>
    names
      .map((n) => `${n} (set by the response to request #${history!.get(n)!.current!.entry})`)
      .join(', ');
  const ins: PartitionInspection = { name, ctx, report, present, dropped, droppedNote, fail };

  if (present.length === 0) {
    if (dropped.length > 0) {
      return fail(
        'dropped',
        `no cookie of "${name}" was sent, although the browser had been told to keep ${droppedNote(dropped)}, which was neither deleted nor expired since`,
      );
    }
    return Object.assign(report, {
      verdict: 'absent',
      ok: true,
      reason: `the request carries no cookie of "${name}" (no session in this partition)`,
    });
  }
  const twice = present.filter((n) => sent.filter((p) => p === n).length > 1);
  if (twice.length > 0) {
    return fail(
      'mixed',
      `the browser sent ${list(twice)} more than once (cookies of the same name with another Path or Domain); the library reads the first of each`,
    );
  }
  const first = cookies.values.get(name);
  if (first === undefined) {
    const why = dropped.includes(name) ? `; the browser dropped it: ${droppedNote([name])}` : '';
    return fail(
      'truncated',
      `the first cookie "${name}" is missing, only ${list(present)} were sent${why}`,
    );
  }
  return first.startsWith(DELTA_PREFIX) ? readDeltaSet(ins, first) : readSingleValueSet(ins, first);
}
