/**
 * The delta cookie set (format `d1`, src/chunking/delta-set.ts): the first cookie holds a sealed
 * manifest naming the slot and the value digest of every piece, each piece sealed on its own.
 * Read step by step, saying where it stops; the set is then opened by the library's own
 * `openDeltaSet`, so what is reported as opening is what the library opens.
 */
import { chunkName, MAX_CHUNKS } from '../chunking/chunks.js';
import {
  DELTA_PREFIX,
  DIGEST_BYTES,
  MANIFEST_HEADER_BYTES,
  openDeltaSet,
  pieceSealName,
  valueDigest,
} from '../chunking/delta-set.js';
import { explainSeal } from '../codec/seal-explain.js';
import { createSealer } from '../codec/sealer.js';
import { judgeEnvelope } from './envelope-verdict.js';
import { list, sealFailure, type PartitionInspection } from './partition-inspection.js';
import type { PartitionReport } from './report.js';

/** A manifest's first byte has this bit set (src/chunking/delta-set.ts, KIND_MANIFEST). */
const KIND_MANIFEST = 0x80;
const ENTRY_BYTES = 2 + DIGEST_BYTES;

export function readDeltaSet(ins: PartitionInspection, first: string): PartitionReport {
  const { name, ctx, report, fail } = ins;
  const { cookies, history, secrets } = ctx;
  report.format = 'd1';
  const sealedManifest = first.slice(DELTA_PREFIX.length);
  const seal = explainSeal(secrets, name, sealedManifest);
  report.protection = seal.protection ?? null;
  report.keyId = seal.keyId ?? null;
  report.keyIndex = seal.keyIndex ?? null;
  if (!seal.ok) {
    const failure = sealFailure(seal, secrets.length, 'the manifest (the first cookie)');
    if (failure) return fail(...failure);
    for (const other of ctx.otherNames) {
      if (other !== name && explainSeal(secrets, other, sealedManifest).ok) {
        return fail(
          'tampered',
          `the manifest was sealed for the cookie "${other}", not "${name}": it was copied or renamed`,
        );
      }
    }
    return fail(
      'tampered',
      `the manifest's key id ${seal.keyId} is known, but it does not authenticate: it was changed or cut`,
    );
  }
  const manifest = seal.plaintext;
  const count = manifest.length >= MANIFEST_HEADER_BYTES ? manifest[9]! : 0;
  if (
    (manifest[0]! & KIND_MANIFEST) === 0 ||
    count < 1 ||
    manifest.length !== MANIFEST_HEADER_BYTES + count * ENTRY_BYTES
  ) {
    return fail(
      'bad-envelope',
      `the first cookie opens (key id ${seal.keyId}), but what is inside is not a manifest`,
    );
  }
  const entries = Array.from({ length: count }, (_, i) => {
    const at = MANIFEST_HEADER_BYTES + i * ENTRY_BYTES;
    return {
      piece: chunkName(name, manifest.readUInt16BE(at)),
      digest: manifest.subarray(at + 2, at + ENTRY_BYTES),
    };
  });
  report.expectedChunks = count + 1;
  const named = new Set(entries.map((e) => e.piece));
  for (const chunk of report.chunks) {
    chunk.role = chunk.name === name ? 'manifest' : named.has(chunk.name) ? 'piece' : 'unnamed';
  }

  const missing = entries.map((e) => e.piece).filter((piece) => !cookies.values.has(piece));
  if (missing.length > 0) {
    const droppedHere = missing.filter((n) => ins.dropped.includes(n));
    const why =
      droppedHere.length > 0 ? `; the browser dropped ${ins.droppedNote(droppedHere)}` : '';
    const one = missing.length === 1;
    return fail(
      'truncated',
      `${one ? 'piece' : 'pieces'} ${list(missing)} of the ${count} the manifest names ${one ? 'is' : 'are'} missing${why}`,
    );
  }

  const manifestSetBy = history?.entryThatSet(name, first);
  let keyIndex = seal.keyIndex;
  for (const { piece, digest } of entries) {
    const value = cookies.values.get(piece)!;
    if (!valueDigest(value).equals(digest)) {
      const longer = history?.longerValueStartingWith(piece, value);
      if (longer && history!.entryThatSet(piece, value) === undefined) {
        return fail(
          'truncated',
          `${piece} was sent with ${value.length} characters, but the response to request #${longer.entry} set ${longer.value.length}: it was cut on the way`,
        );
      }
      // A piece that opens on its own is genuine, from another write; one that does not, changed.
      const alone = explainSeal(secrets, pieceSealName(name), value);
      if (!alone.ok) {
        const failure = sealFailure(alone, secrets.length, `piece ${piece}`);
        return fail(
          ...(failure ?? [
            'tampered',
            `piece ${piece} was changed: it neither has the digest the manifest names nor authenticates`,
          ]),
        );
      }
      const setBy = history?.entryThatSet(piece, value);
      const from =
        setBy !== undefined && manifestSetBy !== undefined
          ? `: ${piece} is from request #${setBy}, the manifest from request #${manifestSetBy}`
          : ': it is a piece of another write, in the same slot';
      return fail('mixed', `${piece} is not the piece the manifest names${from}`);
    }
    const pieceSeal = explainSeal(secrets, pieceSealName(name), value);
    if (!pieceSeal.ok) {
      const failure = sealFailure(pieceSeal, secrets.length, `piece ${piece}`);
      return fail(
        ...(failure ?? [
          'tampered',
          `piece ${piece} has the digest the manifest names, but it does not authenticate`,
        ]),
      );
    }
    keyIndex = Math.max(keyIndex, pieceSeal.keyIndex);
  }
  report.keyIndex = keyIndex;
  report.complete = true;

  const opened = openDeltaSet(
    name,
    cookies.values,
    createSealer(secrets, seal.protection),
    MAX_CHUNKS,
    Number.MAX_SAFE_INTEGER,
  );
  if (!opened)
    return fail(
      'tampered',
      'every piece checks out one by one, but the library does not open the set',
    );
  const unnamed = report.chunks.filter((c) => c.role === 'unnamed').map((c) => c.name);
  const extra =
    unnamed.length > 0
      ? `; ${list(unnamed)} not named (left from the previous write, deleted by the next)`
      : '';
  return judgeEnvelope(
    ins,
    opened.envelope,
    opened.keyIndex,
    `d1, ${count} ${count === 1 ? 'piece' : 'pieces'}, key id ${seal.keyId}${extra}`,
  );
}
