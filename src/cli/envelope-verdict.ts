/**
 * The last steps for a partition whose cookies opened: the envelope inside (src/codec/envelope.ts)
 * and its times against the timeouts, as src/core/load-session.ts judges them.
 */
import { decodeEnvelope } from '../codec/envelope.js';
import type { PartitionInspection } from './partition-inspection.js';
import type { PartitionReport } from './report.js';

/** Allowed clock difference between servers, as the library allows it (src/core/load-session.ts). */
export const CLOCK_SKEW_SECONDS = 300;

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

/**
 * Judges the envelope `plaintext` that the partition's cookies opened to, with key `keyIndex`
 * (0: the first secret); `opened` describes the set for the reason ("2 chunks, key id …").
 */
export function judgeEnvelope(
  ins: PartitionInspection,
  plaintext: Buffer,
  keyIndex: number,
  opened: string,
): PartitionReport {
  const { report, ctx, fail } = ins;
  const envelope = decodeEnvelope(plaintext);
  if (!envelope) {
    return fail(
      'bad-envelope',
      `it opens (${opened}), but what is inside is not a session envelope`,
    );
  }
  report.createdAt = iso(envelope.createdAt);
  report.writtenAt = iso(envelope.writtenAt);
  // A remembered session ("keep me signed in", flag 0x04) has its own idle window.
  const idleTimeout = envelope.remembered ? ctx.rememberIdleTimeout : ctx.idleTimeout;
  const idleEnds = envelope.writtenAt + idleTimeout;
  const absoluteEnds = envelope.createdAt + ctx.absoluteTimeout;
  report.idleTimeout = {
    seconds: idleTimeout,
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
      `last written at ${report.writtenAt}: the idle timeout of ${idleTimeout} s ended at ${report.idleTimeout.endsAt}`,
    );
  }
  const older =
    keyIndex > 0
      ? `; opened with secret #${keyIndex + 1}, not the first: the next response re-seals it with the first`
      : '';
  const where =
    envelope.storeId !== undefined ? `; its data is in the store, record ${envelope.storeId}` : '';
  return Object.assign(report, {
    verdict: 'ok',
    ok: true,
    reason: `opens (${opened})${older}${where}`,
  });
}
