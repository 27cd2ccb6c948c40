/** The report as text for a person: one block per request, one per partition. */
import type { InspectReport, PartitionReport, RequestReport } from './report.js';

const LABEL: Record<PartitionReport['verdict'], string> = {
  ok: 'OPENS',
  absent: 'ABSENT',
  dropped: 'DROPPED',
  truncated: 'TRUNCATED',
  mixed: 'MIXED CHUNKS',
  malformed: 'MALFORMED',
  'unknown-key': 'UNKNOWN KEY',
  tampered: 'TAMPERED',
  'bad-envelope': 'BAD ENVELOPE',
  'expired-idle': 'EXPIRED (idle timeout)',
  'expired-absolute': 'EXPIRED (absolute timeout)',
  'clock-skew': 'CLOCK SKEW',
};

function indent(text: string, by: string): string {
  return text
    .split('\n')
    .map((line) => by + line)
    .join('\n');
}

function partition(p: PartitionReport, keyCount: number): string[] {
  const lines = [`  partition ${p.cookieName}: ${LABEL[p.verdict]}: ${p.reason}`];
  if (p.chunks.length > 0) {
    const chunks = p.chunks
      .map((c) => `${c.name} (${c.bytes} bytes${c.setBy !== null ? `, set by #${c.setBy}` : ''})`)
      .join(', ');
    const expected = p.expectedChunks === null ? '' : `, ${p.expectedChunks} announced`;
    lines.push(`    chunks: ${chunks}${expected}; ${p.complete ? 'complete' : 'incomplete'}`);
  }
  if (p.keyId !== null) {
    const which =
      p.keyIndex === null
        ? `none of the ${keyCount} given secret(s)`
        : p.keyIndex === 0
          ? 'secret #1, the one that seals'
          : `secret #${p.keyIndex + 1}, an older one`;
    lines.push(`    sealed: ${p.protection}, key id ${p.keyId} (${which})`);
  }
  if (p.createdAt !== null && p.idleTimeout && p.absoluteTimeout) {
    lines.push(`    created ${p.createdAt}, last written ${p.writtenAt}`);
    const state = (t: { passed: boolean; endsAt: string }) =>
      t.passed ? `passed at ${t.endsAt}` : `not passed (ends ${t.endsAt})`;
    lines.push(
      `    idle timeout ${p.idleTimeout.seconds} s: ${state(p.idleTimeout)}; absolute timeout ${p.absoluteTimeout.seconds} s: ${state(p.absoluteTimeout)}`,
    );
  }
  if (p.storeId !== null) lines.push(`    store record: ${p.storeId}`);
  if (p.data !== null) lines.push('    data:', indent(JSON.stringify(p.data, null, 2), '      '));
  return lines;
}

function request(r: RequestReport, source: InspectReport['source'], keyCount: number): string[] {
  const title =
    source === 'har'
      ? `Request #${r.index}: ${r.method ?? '?'} ${r.url ?? '?'}${r.status !== null ? ` → ${r.status}` : ''}${r.startedAt ? ` at ${r.startedAt}` : ''}`
      : 'Cookie header';
  const lines = [title];
  for (const p of r.partitions) lines.push(...partition(p, keyCount));
  const h = r.header;
  const largest = h.largestCookie
    ? `, largest ${h.largestCookie.name} with ${h.largestCookie.bytes}`
    : '';
  lines.push(`  Cookie header: ${h.bytes} bytes in ${h.cookies} cookies${largest}`);
  lines.push(
    `    limits of ${h.browser} (${h.userAgent === null ? 'no User-Agent' : `User-Agent "${h.userAgent}"`}): ` +
      `${h.limits.maxCookieBytes} bytes per cookie${h.limits.countsAttributes ? ' with attributes' : ''}, ` +
      `${h.limits.maxCookies} cookies, ${h.limits.maxTotalBytes} bytes; proxy budget ${h.maxTotalBytes} bytes`,
  );
  lines.push(h.fits ? '    fits' : `    does NOT fit: ${h.problems.join('; ')}`);
  return lines;
}

export function renderText(report: InspectReport): string {
  const keys = report.keys.encrypt.length;
  const lines = [
    `Secrets given: ${keys} (key ids: encrypt ${report.keys.encrypt.join(', ')}; sign ${report.keys.sign.join(', ')})`,
    `Timeouts: idle ${report.settings.idleTimeout} s, absolute ${report.settings.absoluteTimeout} s`,
    '',
  ];
  for (const r of report.requests) lines.push(...request(r, report.source, keys), '');
  if (report.ok) {
    lines.push('Verdict: OK — every partition present opens and every header fits.');
  } else {
    lines.push('Verdict: NOT OK', ...report.problems.map((p) => `  - ${p}`));
  }
  return lines.join('\n') + '\n';
}
