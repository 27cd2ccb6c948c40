/**
 * The single-value cookie set (`<k>.` then one sealed value split over `k` cookies;
 * src/chunking/chunks.ts), read step by step, saying where it stops.
 */
import { chunkIndex, chunkName, joinChunks, MAX_CHUNKS } from '../chunking/chunks.js';
import { explainSeal } from '../codec/seal-explain.js';
import { judgeEnvelope } from './envelope-verdict.js';
import { list, sealFailure, type PartitionInspection } from './partition-inspection.js';
import type { PartitionReport } from './report.js';

export function readSingleValueSet(ins: PartitionInspection, first: string): PartitionReport {
  const { name, ctx, report, present, dropped, fail } = ins;
  const count = /^([1-9][0-9]{0,2})\./.exec(first);
  if (!count) {
    return fail(
      'malformed',
      `the first cookie "${name}" does not start with the chunk count and a dot ("2.…") nor "d1.": not a chunked cookie of this library`,
    );
  }
  report.format = 'single';
  const total = Number(count[1]);
  report.expectedChunks = total;
  for (const chunk of report.chunks)
    chunk.role = chunkIndex(name, chunk.name) < total ? 'chunk' : 'unnamed';
  const missing: string[] = [];
  for (let i = 1; i < total; i++) {
    if (!ctx.cookies.values.has(chunkName(name, i))) missing.push(chunkName(name, i));
  }
  if (missing.length > 0) {
    const droppedHere = missing.filter((n) => dropped.includes(n));
    const why =
      droppedHere.length > 0 ? `; the browser dropped ${ins.droppedNote(droppedHere)}` : '';
    const one = missing.length === 1;
    return fail(
      'truncated',
      `${one ? 'chunk' : 'chunks'} ${list(missing)} of ${total} ${one ? 'is' : 'are'} missing${why}`,
    );
  }
  const extra = present.filter((n) => chunkIndex(name, n) >= total);
  if (extra.length > 0) {
    return fail(
      'mixed',
      `${list(extra)} ${extra.length === 1 ? 'is' : 'are'} not part of the set of ${total} that "${name}" announces (left over from an older, larger set)`,
    );
  }
  report.complete = true;

  const sealed = joinChunks(name, ctx.cookies.values, MAX_CHUNKS, Number.MAX_SAFE_INTEGER)!;
  const seal = explainSeal(ctx.secrets, name, sealed);
  report.protection = seal.protection ?? null;
  report.keyId = seal.keyId ?? null;
  report.keyIndex = seal.keyIndex ?? null;
  if (!seal.ok) {
    const failure = sealFailure(seal, ctx.secrets.length, 'the value');
    return failure ? fail(...failure) : explainTampered(ins, sealed, seal.keyId!);
  }
  return judgeEnvelope(
    ins,
    seal.plaintext,
    seal.keyIndex,
    `${total} ${total === 1 ? 'chunk' : 'chunks'}, key id ${seal.keyId}`,
  );
}

/** A known key that does not authenticate: say what the HAR or the other names show. */
function explainTampered(ins: PartitionInspection, sealed: string, keyId: string): PartitionReport {
  const { name, ctx, present, fail } = ins;
  const { history, cookies } = ctx;
  const value = (chunk: string) => cookies.values.get(chunk)!;
  if (history) {
    for (const chunk of present) {
      const longer = history.longerValueStartingWith(chunk, value(chunk));
      if (longer && history.entryThatSet(chunk, value(chunk)) === undefined) {
        return fail(
          'truncated',
          `${chunk} was sent with ${value(chunk).length} characters, but the response to request #${longer.entry} set ${longer.value.length}: it was cut on the way`,
        );
      }
    }
    const setBy = present.map((chunk) => ({
      chunk,
      entry: history.entryThatSet(chunk, value(chunk)),
    }));
    if (new Set(setBy.map((s) => s.entry).filter((e) => e !== undefined)).size > 1) {
      return fail(
        'mixed',
        `the chunks come from different writes: ${setBy.map((s) => `${s.chunk} from request #${s.entry ?? '?'}`).join(', ')}`,
      );
    }
  }
  for (const other of ctx.otherNames) {
    if (other !== name && explainSeal(ctx.secrets, other, sealed).ok) {
      return fail(
        'tampered',
        `the value was sealed for the cookie "${other}", not "${name}": it was copied or renamed`,
      );
    }
  }
  return fail(
    'tampered',
    `key id ${keyId} is known, but the value does not authenticate: it was changed or cut, or its chunks come from different writes`,
  );
}
