/**
 * One partition of one request, read as the library reads it (src/chunking/chunks.ts,
 * src/codec/seal-explain.ts, src/codec/envelope.ts) but saying at each step why it stops.
 */
import { chunkIndex, chunkName, joinChunks, MAX_CHUNKS } from '../chunking/chunks.js';
import { decodeEnvelope } from '../codec/envelope.js';
import { explainSeal } from '../codec/seal-explain.js';
import type { RequestCookies } from '../core/request-cookies.js';
import type { SetCookieHistory } from './history.js';
import type { ChunkReport, PartitionReport, Verdict } from './report.js';

/** Allowed clock difference between servers, as the library allows it (src/core/load-session.ts). */
export const CLOCK_SKEW_SECONDS = 300;

export interface PartitionContext {
  secrets: readonly string[];
  cookies: RequestCookies;
  /** The Set-Cookie history of the HAR before this request, when reading a HAR. */
  history: SetCookieHistory | undefined;
  /** The other partitions' names: a value copied from one of them is named as such. */
  otherNames: readonly string[];
  /** Seconds since the epoch. */
  now: number;
  idleTimeout: number;
  absoluteTimeout: number;
}

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
const list = (names: string[]) => names.join(', ');

export function inspectPartition(name: string, ctx: PartitionContext): PartitionReport {
  const { cookies, history } = ctx;
  const presentNames = cookies.pairs.map((p) => p.name).filter((n) => chunkIndex(name, n) >= 0);
  const unique = [...new Set(presentNames)].sort(
    (a, b) => chunkIndex(name, a) - chunkIndex(name, b),
  );
  const chunks: ChunkReport[] = unique.map((chunk) => {
    const value = cookies.values.get(chunk)!;
    return {
      name: chunk,
      bytes: Buffer.byteLength(chunk) + Buffer.byteLength(value),
      setBy: history?.entryThatSet(chunk, value) ?? null,
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

  // Chunks the browser had been told to keep but did not send (HAR only).
  const expected = history?.currentNames((n) => chunkIndex(name, n) >= 0) ?? [];
  const dropped = expected.filter((n) => !cookies.values.has(n));
  const droppedNote = (names: string[]) =>
    names
      .map((n) => `${n} (set by the response to request #${history!.get(n)!.current!.entry})`)
      .join(', ');

  if (unique.length === 0) {
    if (dropped.length > 0) {
      return fail(
        'dropped',
        `no cookie of "${name}" was sent, although the browser had been told to keep ${droppedNote(dropped)} and never to delete it`,
      );
    }
    return Object.assign(report, {
      verdict: 'absent',
      ok: true,
      reason: `the request carries no cookie of "${name}" (no session in this partition)`,
    });
  }

  const twice = unique.filter((n) => presentNames.filter((p) => p === n).length > 1);
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
      `the first cookie "${name}" is missing, only ${list(unique)} were sent${why}`,
    );
  }
  const count = /^([1-9][0-9]{0,2})\./.exec(first);
  if (!count) {
    return fail(
      'malformed',
      `the first cookie "${name}" does not start with the chunk count and a dot ("2.…"): not a chunked cookie of this library`,
    );
  }
  report.format = 1;
  const total = Number(count[1]);
  report.expectedChunks = total;
  const missing: string[] = [];
  for (let i = 1; i < total; i++)
    if (!cookies.values.has(chunkName(name, i))) missing.push(chunkName(name, i));
  const extra = unique.filter((n) => chunkIndex(name, n) >= total);
  if (missing.length > 0) {
    const droppedHere = missing.filter((n) => dropped.includes(n));
    const why = droppedHere.length > 0 ? `; the browser dropped ${droppedNote(droppedHere)}` : '';
    return fail(
      'truncated',
      `${missing.length === 1 ? 'chunk' : 'chunks'} ${list(missing)} of ${total} ${missing.length === 1 ? 'is' : 'are'} missing${why}`,
    );
  }
  if (extra.length > 0) {
    return fail(
      'mixed',
      `${list(extra)} ${extra.length === 1 ? 'is' : 'are'} not part of the set of ${total} that "${name}" announces (left over from an older, larger set)`,
    );
  }
  report.complete = true;

  const sealed = joinChunks(name, cookies.values, MAX_CHUNKS, Number.MAX_SAFE_INTEGER)!;
  const seal = explainSeal(ctx.secrets, name, sealed);
  report.protection = seal.protection ?? null;
  report.keyId = seal.keyId ?? null;
  report.keyIndex = seal.keyIndex ?? null;
  if (!seal.ok) {
    switch (seal.reason) {
      case 'not-base64url':
        return fail(
          'malformed',
          `the value is not unpadded base64url: a proxy or script changed, quoted or encoded it`,
        );
      case 'too-short':
        return fail(
          'truncated',
          `the sealed value is shorter than any sealed value can be: it was cut`,
        );
      case 'unknown-version':
        return fail(
          'malformed',
          `the sealed value's version byte is not one of this library's: not sealed by nestjs-chunked-session`,
        );
      case 'unknown-key':
        return fail(
          'unknown-key',
          `sealed with key id ${seal.keyId}, which none of the ${ctx.secrets.length} given secret(s) derives (${seal.protection}): a retired secret, or another application's`,
        );
      case 'tampered':
        return explainTampered(name, sealed, unique, ctx, fail, seal.keyId!);
    }
  }

  const envelope = decodeEnvelope(seal.plaintext);
  if (!envelope) {
    return fail(
      'bad-envelope',
      `it opens with key id ${seal.keyId}, but what is inside is not a session envelope`,
    );
  }
  report.createdAt = iso(envelope.createdAt);
  report.writtenAt = iso(envelope.writtenAt);
  const idleEnds = envelope.writtenAt + ctx.idleTimeout;
  const absoluteEnds = envelope.createdAt + ctx.absoluteTimeout;
  report.idleTimeout = {
    seconds: ctx.idleTimeout,
    endsAt: iso(idleEnds),
    passed: ctx.now > idleEnds,
  };
  report.absoluteTimeout = {
    seconds: ctx.absoluteTimeout,
    endsAt: iso(absoluteEnds),
    passed: ctx.now > absoluteEnds,
  };
  report.storeId = envelope.storeId ?? null;
  report.data = envelope.data ?? null;

  if (envelope.writtenAt < envelope.createdAt) {
    return fail(
      'bad-envelope',
      `its last write (${report.writtenAt}) is before its creation (${report.createdAt})`,
    );
  }
  if (envelope.writtenAt > ctx.now + CLOCK_SKEW_SECONDS) {
    return fail(
      'clock-skew',
      `last written at ${report.writtenAt}, more than ${CLOCK_SKEW_SECONDS} s after ${iso(ctx.now)}: the clocks of the servers differ`,
    );
  }
  if (report.absoluteTimeout.passed) {
    return fail(
      'expired-absolute',
      `created at ${report.createdAt}: the absolute timeout of ${ctx.absoluteTimeout} s ended at ${report.absoluteTimeout.endsAt}`,
    );
  }
  if (report.idleTimeout.passed) {
    return fail(
      'expired-idle',
      `last written at ${report.writtenAt}: the idle timeout of ${ctx.idleTimeout} s ended at ${report.idleTimeout.endsAt}`,
    );
  }
  const older =
    seal.keyIndex > 0
      ? `; opened with secret #${seal.keyIndex + 1}, not the first: the next response re-seals it with the first`
      : '';
  const where =
    envelope.storeId !== undefined ? `; its data is in the store, record ${envelope.storeId}` : '';
  return Object.assign(report, {
    verdict: 'ok',
    ok: true,
    reason: `opens (${total} ${total === 1 ? 'chunk' : 'chunks'}, key id ${seal.keyId})${older}${where}`,
  });
}

/** A known key that does not authenticate: say what the HAR or the other names show. */
function explainTampered(
  name: string,
  sealed: string,
  chunks: string[],
  ctx: PartitionContext,
  fail: (verdict: Verdict, reason: string) => PartitionReport,
  keyId: string,
): PartitionReport {
  const { history, cookies } = ctx;
  if (history) {
    const cut = chunks
      .map((chunk) => ({
        chunk,
        longer: history.longerValueStartingWith(chunk, cookies.values.get(chunk)!),
      }))
      .filter(
        (c) =>
          c.longer !== undefined &&
          history.entryThatSet(c.chunk, cookies.values.get(c.chunk)!) === undefined,
      );
    if (cut.length > 0) {
      const { chunk, longer } = cut[0]!;
      return fail(
        'truncated',
        `${chunk} was sent with ${cookies.values.get(chunk)!.length} characters, but the response to request #${longer!.entry} set ${longer!.value.length}: it was cut on the way`,
      );
    }
    const setBy = chunks.map((chunk) => ({
      chunk,
      entry: history.entryThatSet(chunk, cookies.values.get(chunk)!),
    }));
    const entries = new Set(setBy.map((s) => s.entry).filter((e) => e !== undefined));
    if (entries.size > 1) {
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
