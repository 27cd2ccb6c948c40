/** Inspects a `Cookie` header, or every request of a HAR, into one report. */
import { keyIds } from '../codec/seal-explain.js';
import type { CapturedRequest } from './har.js';
import { SetCookieHistory } from './history.js';
import {
  cookiesOf,
  discoverPartitions,
  inspectRequest,
  type InspectSettings,
} from './inspect-request.js';
import { REPORT_FORMAT, type InspectReport, type RequestReport } from './report.js';

export type InspectInput =
  { source: 'stdin'; cookieHeader: string } | { source: 'har'; requests: CapturedRequest[] };

export function inspect(input: InspectInput, settings: InspectSettings): InspectReport {
  const requests: CapturedRequest[] =
    input.source === 'har'
      ? input.requests
      : [{ index: 1, cookieHeader: input.cookieHeader, userAgent: undefined, setCookies: [] }];

  let names = [...settings.cookieNames];
  if (names.length === 0) {
    const found = new Set<string>();
    for (const r of requests)
      for (const n of discoverPartitions(cookiesOf(r.cookieHeader))) found.add(n);
    names = [...found];
  }

  const history = input.source === 'har' ? new SetCookieHistory() : undefined;
  const reports: RequestReport[] = [];
  for (const request of requests) {
    reports.push(inspectRequest(request, settings, names, history));
    history?.apply(request.index, request.setCookies, request.startedAt ?? Date.now());
  }

  const problems: string[] = [];
  if (names.length === 0) {
    problems.push(
      input.source === 'har'
        ? 'no request of the HAR carries a chunked session cookie (name one with --cookie-name)'
        : 'the Cookie header carries no chunked session cookie (name one with --cookie-name)',
    );
  } else if (reports.every((r) => r.partitions.every((p) => p.verdict === 'absent'))) {
    problems.push(`no request carries a cookie of ${names.map((n) => `"${n}"`).join(', ')}`);
  }
  for (const r of reports) {
    const where = input.source === 'har' ? `request #${r.index}: ` : '';
    for (const p of r.partitions)
      if (!p.ok) problems.push(`${where}${p.cookieName}: ${p.verdict}: ${p.reason}`);
    for (const h of r.header.problems) problems.push(`${where}${h}`);
  }
  return {
    format: REPORT_FORMAT,
    source: input.source,
    keys: { encrypt: keyIds(settings.secrets, 'encrypt'), sign: keyIds(settings.secrets, 'sign') },
    settings: {
      idleTimeout: settings.idleTimeout,
      absoluteTimeout: settings.absoluteTimeout,
      maxTotalBytes: settings.maxTotalBytes,
    },
    requests: reports,
    ok: problems.length === 0,
    problems,
  };
}
