/**
 * `nestjs-chunked-session inspect` on a Cookie header from standard input, run as a user runs
 * it (the compiled bin in a child process). The cookies come from a real Express application
 * with `chunkedSession()` through a tough-cookie jar; each case changes the header the way a
 * browser, a proxy or a person would, and gets its exact verdict, reason and exit status.
 * Usage mistakes exit 2 with a message; a secret on the command line is refused.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  DEFAULT_ABSOLUTE_TIMEOUT,
  DEFAULT_IDLE_TIMEOUT,
  DEFAULT_MAX_TOTAL_BYTES,
} from '../../src/cli/args.js';
import type { InspectReport, PartitionReport } from '../../src/cli/report.js';
import { planChunks, splitChunks } from '../../src/chunking/chunks.js';
import { encodeEnvelope } from '../../src/codec/envelope.js';
import { deriveKey } from '../../src/codec/keys.js';
import { createSealer } from '../../src/codec/sealer.js';
import { resolveOptions } from '../../src/options/resolve-options.js';
import { TestBrowser } from '../support/browser.js';
import { buildCli, runCli, type BuiltCli } from '../support/inspect-cli.js';
import { startExpressApp, type RunningExpress } from '../e2e/fixtures/express-app.js';
import { expectValidReport } from './report-schema.js';
import { cookieHeaderOf, craftCookies } from '../e2e/fixtures/craft-cookie.js';

const SECRET = 'the-inspector-header-test-secret-000001';
const SAFARI =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15';
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:153.0) Gecko/20100101 Firefox/153.0';
const KEY = deriveKey(SECRET, 'encrypt').id.toString('hex');
const SIGN_KEY = deriveKey(SECRET, 'sign').id.toString('hex');

let cli: BuiltCli;
let app: RunningExpress;
let signed: RunningExpress;
let work: string;
/** A session of two chunks (`session`, `session.1`) and one of one chunk, as the jar sends them. */
let twoChunks: string;
let oneChunk: string;
let signedHeader: string;

/**
 * A session of two chunks in the single-value format, sealed and split by the library's own
 * writer (src/codec, src/chunking) for Firefox's limits: one response of the application can
 * no longer carry it within the default 4096-byte response budget, and a larger one may be
 * written as a delta set (see inspect-delta.spec.ts), so it is made here as the format defines it.
 */
function singleValueSet(data: Record<string, unknown>): string {
  const now = Math.floor(Date.now() / 1000);
  const sealer = createSealer([SECRET], 'encrypt');
  const sealed = sealer.seal(
    'session',
    encodeEnvelope(now, now, JSON.stringify(data), false, false),
  );
  const plan = planChunks('session', sealed.length, {
    maxCookieBytes: 4096,
    countsAttributes: false,
    attributesBytes: 0,
  })!;
  return splitChunks('session', sealed, plan)
    .map((c) => `${c.name}=${c.value}`)
    .join('; ');
}

async function headerFrom(server: RunningExpress, body: unknown): Promise<string> {
  const browser = new TestBrowser(server.url, FIREFOX);
  expect((await browser.post('/session', body)).status).toBe(200);
  return browser.cookieHeader();
}

const inspect = (
  stdin: string,
  args: string[] = [],
  env: Record<string, string> = { SESSION_SECRET: SECRET },
) => runCli(cli.bin, ['inspect', ...args], { env, stdin });

/** `--json`, judged by Firefox's limits (the browser the cookies were made for) unless told. */
async function inspectJson(stdin: string, args: string[] = [], userAgent: string | null = FIREFOX) {
  const ua = userAgent === null || args.includes('--user-agent') ? [] : ['--user-agent', userAgent];
  const run = await inspect(stdin, ['--json', ...ua, ...args]);
  const report = JSON.parse(run.stdout) as InspectReport;
  expectValidReport(report);
  return { status: run.status, report, partitions: report.requests[0]!.partitions };
}

const only = (partitions: PartitionReport[], name: string) =>
  partitions.find((p) => p.cookieName === name)!;
const pairs = (header: string) => header.split('; ');
const valueOf = (header: string, name: string) =>
  pairs(header)
    .find((p) => p.startsWith(`${name}=`))!
    .slice(name.length + 1);

beforeAll(async () => {
  cli = buildCli();
  work = mkdtempSync(join(tmpdir(), 'chunked-session-inspect-'));
  app = await startExpressApp({ secret: SECRET });
  signed = await startExpressApp({ secret: SECRET, protection: 'sign' });
  twoChunks = singleValueSet({ user: 'alice', notes: 'x'.repeat(5000) });
  oneChunk = await headerFrom(app, { user: 'bob' });
  signedHeader = await headerFrom(signed, { user: 'carol' });
}, 120_000);

afterAll(async () => {
  await app?.close();
  await signed?.close();
  cli?.remove();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('inspect a Cookie header', () => {
  it('opens a session of two chunks and prints it for a person, exit 0', async () => {
    expect(pairs(twoChunks).map((p) => p.split('=')[0])).toEqual(['session', 'session.1']);
    const run = await inspect(`Cookie: ${twoChunks}\n`, ['--user-agent', FIREFOX]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe(`Secrets given: 1 (key ids: encrypt ${KEY}; sign ${SIGN_KEY})`);
    expect(lines).toContain(`  partition session: OPENS: opens (2 chunks, key id ${KEY})`);
    const [first, second] = pairs(twoChunks);
    expect(lines).toContain(
      `    chunks: session (${first!.length - 1} bytes), session.1 (${second!.length - 1} bytes), 2 announced; complete`,
    );
    expect(lines).toContain(`    sealed: encrypt, key id ${KEY} (secret #1, the one that seals)`);
    expect(lines).toContain(`        "user": "alice",`);
    expect(lines).toContain(
      `  Cookie header: ${twoChunks.length} bytes in 2 cookies, largest session with ${first!.length - 1}`,
    );
    expect(lines).toContain(
      `    limits of firefox (User-Agent "${FIREFOX}"): 4096 bytes per cookie, 180 cookies, 8000 bytes; proxy budget 8000 bytes`,
    );
    expect(lines.at(-2)).toBe('Verdict: OK — every partition present opens and every header fits.');
  });

  it('reports the times and the data in --json, judged now by default', async () => {
    const before = Date.now();
    const { status, report, partitions } = await inspectJson(twoChunks, [], null);
    // No User-Agent: the row for unknown browsers, which count the attributes too.
    expect(report.requests[0]!.header).toMatchObject({
      browser: 'unknown',
      userAgent: null,
      limits: { maxCookieBytes: 4093, countsAttributes: true, maxCookies: 50, maxTotalBytes: 8000 },
      problems: [
        'cookie session has 4096 bytes of name and value, over the 4093 per cookie of the unknown limits (which count the attributes too)',
      ],
    });
    expect(status).toBe(1);
    expect(report.settings).toEqual({
      idleTimeout: DEFAULT_IDLE_TIMEOUT,
      absoluteTimeout: DEFAULT_ABSOLUTE_TIMEOUT,
      maxTotalBytes: DEFAULT_MAX_TOTAL_BYTES,
    });
    expect(report.requests[0]).toMatchObject({
      index: 1,
      method: null,
      url: null,
      startedAt: null,
      ok: false,
    });
    expect(only(partitions, 'session').ok).toBe(true);
    expect(Date.parse(report.requests[0]!.checkedAt)).toBeGreaterThanOrEqual(before - 1000);
    const session = only(partitions, 'session');
    expect(session.data).toEqual({ user: 'alice', notes: 'x'.repeat(5000) });
    expect(Date.parse(session.createdAt!)).toBeLessThanOrEqual(Date.parse(session.writtenAt!));
    expect(Date.parse(session.writtenAt!)).toBeGreaterThan(before - 120_000);
    expect(session.absoluteTimeout).toEqual({
      seconds: DEFAULT_ABSOLUTE_TIMEOUT,
      endsAt: new Date(
        Date.parse(session.createdAt!) + DEFAULT_ABSOLUTE_TIMEOUT * 1000,
      ).toISOString(),
      passed: false,
    });
  });

  it('uses the library defaults for the timeouts', () => {
    const resolved = resolveOptions(
      { secret: SECRET },
      { warn: () => undefined, error: () => undefined },
    );
    expect(resolved.partitions[0]).toMatchObject({
      idleTimeout: DEFAULT_IDLE_TIMEOUT,
      absoluteTimeout: DEFAULT_ABSOLUTE_TIMEOUT,
    });
  });

  it('a chunk changed on the way: tampered, exit 1', async () => {
    const value = valueOf(twoChunks, 'session.1');
    const flipped = value.slice(0, 100) + (value[100] === 'A' ? 'B' : 'A') + value.slice(101);
    const { status, report, partitions } = await inspectJson(twoChunks.replace(value, flipped));
    expect(status).toBe(1);
    const reason = `key id ${KEY} is known, but the value does not authenticate: it was changed or cut, or its chunks come from different writes`;
    expect(only(partitions, 'session')).toMatchObject({
      verdict: 'tampered',
      ok: false,
      keyId: KEY,
      keyIndex: 0,
      complete: true,
      data: null,
      reason,
    });
    expect(report.problems).toEqual([`session: tampered: ${reason}`]);
  });

  it('a chunk missing: truncated; the first one missing: truncated, exit 1', async () => {
    const [first, second] = pairs(twoChunks);
    const noSecond = await inspectJson(first!);
    expect(noSecond.status).toBe(1);
    expect(only(noSecond.partitions, 'session')).toMatchObject({
      verdict: 'truncated',
      expectedChunks: 2,
      complete: false,
      reason: 'chunk session.1 of 2 is missing',
    });
    const noFirst = await inspectJson(second!);
    expect(noFirst.status).toBe(1);
    expect(only(noFirst.partitions, 'session')).toMatchObject({
      verdict: 'truncated',
      expectedChunks: null,
      reason: 'the first cookie "session" is missing, only session.1 were sent',
    });
    // The last characters cut off: no base64 text has that length, or it no longer authenticates.
    const cut = await inspectJson(twoChunks.slice(0, -1));
    expect(cut.status).toBe(1);
    expect(['truncated', 'tampered']).toContain(only(cut.partitions, 'session').verdict);
  });

  it('a chunk left over from a larger set, and a name sent twice: mixed, exit 1', async () => {
    const leftOver = await inspectJson(`${oneChunk}; ${pairs(twoChunks)[1]}`);
    expect(leftOver.status).toBe(1);
    expect(only(leftOver.partitions, 'session')).toMatchObject({
      verdict: 'mixed',
      expectedChunks: 1,
      complete: false,
      reason:
        'session.1 is not part of the set of 1 that "session" announces (left over from an older, larger set)',
    });
    const twice = await inspectJson(`${oneChunk}; ${pairs(twoChunks)[0]}; ${pairs(twoChunks)[1]}`);
    expect(only(twice.partitions, 'session')).toMatchObject({
      verdict: 'mixed',
      reason:
        'the browser sent session more than once (cookies of the same name with another Path or Domain); the library reads the first of each',
    });
  });

  it('a value copied under another name: tampered, naming the cookie it was sealed for', async () => {
    const { status, partitions } = await inspectJson(
      `${oneChunk}; copy=${valueOf(oneChunk, 'session')}`,
    );
    expect(status).toBe(1);
    expect(partitions.map((p) => [p.cookieName, p.verdict])).toEqual([
      ['session', 'ok'],
      ['copy', 'tampered'],
    ]);
    expect(only(partitions, 'copy').reason).toBe(
      'the value was sealed for the cookie "session", not "copy": it was copied or renamed',
    );
  });

  it('a value a proxy percent-encoded: malformed; a cookie that is no chunked set: malformed', async () => {
    const value = valueOf(oneChunk, 'session');
    const encoded = await inspectJson(`session=${value.slice(0, 10)}%2D${value.slice(10)}`);
    expect(only(encoded.partitions, 'session')).toMatchObject({
      verdict: 'malformed',
      reason:
        'the value is not unpadded base64url: a proxy or script changed, quoted or encoded it',
    });
    const plain = await inspectJson('session=hello', ['--cookie-name', 'session']);
    expect(plain.status).toBe(1);
    expect(only(plain.partitions, 'session')).toMatchObject({
      verdict: 'malformed',
      reason:
        'the first cookie "session" does not start with the chunk count and a dot ("2.…") nor "d1.": not a chunked cookie of this library',
    });
  });

  it('opens a signed session (protection sign) with the same secret', async () => {
    const { status, partitions } = await inspectJson(signedHeader);
    expect(status).toBe(0);
    expect(only(partitions, 'session')).toMatchObject({
      verdict: 'ok',
      protection: 'sign',
      keyId: SIGN_KEY,
      data: { user: 'carol' },
    });
  });

  it('a last write in the future: clock skew; past timeouts: expired, exit 1', async () => {
    const { partitions } = await inspectJson(oneChunk);
    const writtenAt = Date.parse(only(partitions, 'session').writtenAt!);
    const earlier = new Date(writtenAt - 301_000).toISOString();
    const skew = await inspectJson(oneChunk, ['--now', earlier]);
    expect(skew.status).toBe(1);
    expect(only(skew.partitions, 'session')).toMatchObject({
      verdict: 'clock-skew',
      reason: `last written at ${new Date(writtenAt).toISOString()}, more than 300 s after ${earlier}: the clocks of the servers differ`,
    });
    const tomorrow = String(Math.floor(writtenAt / 1000) + DEFAULT_IDLE_TIMEOUT + 1);
    const idle = await inspectJson(oneChunk, ['--now', tomorrow]);
    expect(idle.status).toBe(1);
    expect(only(idle.partitions, 'session').verdict).toBe('expired-idle');
    expect(
      (await inspectJson(oneChunk, ['--now', tomorrow, '--idle-timeout', '172800'])).status,
    ).toBe(0);
  });

  it('judges a remembered session ("keep me signed in") by its own idle window', async () => {
    const now = Math.floor(Date.now() / 1000);
    const threeDaysAgo = now - 3 * 86400;
    const header = (remembered: boolean) =>
      cookieHeaderOf(
        craftCookies({
          secret: SECRET,
          data: { user: 'ada' },
          createdAt: threeDaysAgo,
          writtenAt: threeDaysAgo,
          remembered,
        }),
      );
    // Idle for three days: past the default idleTimeout (1 day), within the remembered window,
    // which defaults to the absolute timeout (30 days) as `remember.idleTimeout` does.
    const plain = await inspectJson(header(false), [], null);
    expect(only(plain.partitions, 'session').verdict).toBe('expired-idle');
    const kept = await inspectJson(header(true), [], null);
    expect(only(kept.partitions, 'session').verdict).toBe('ok');
    expect(only(kept.partitions, 'session').idleTimeout?.seconds).toBe(DEFAULT_ABSOLUTE_TIMEOUT);
    const short = await inspectJson(header(true), ['--remember-idle-timeout', '86400'], null);
    expect(only(short.partitions, 'session').verdict).toBe('expired-idle');
    expect(only(short.partitions, 'session').idleTimeout?.seconds).toBe(86400);
  });

  it('judges the header by the User-Agent given and the proxy budget', async () => {
    const many = [oneChunk, ...Array.from({ length: 50 }, (_, i) => `c${i}=1`)].join('; ');
    const { status, report } = await inspectJson(many, ['--user-agent', SAFARI]);
    expect(status).toBe(1);
    expect(report.requests[0]!.header).toMatchObject({
      browser: 'webkit',
      cookies: 51,
      problems: ['51 cookies, over the 50 per site of the webkit limits'],
      fits: false,
    });
    const firefox = await inspectJson(many, ['--user-agent', FIREFOX]);
    expect(firefox.status).toBe(0);
    const budget = await inspectJson(twoChunks, ['--max-total-bytes', '6000']);
    expect(budget.status).toBe(1);
    expect(budget.report.problems).toEqual([
      `the Cookie header has ${twoChunks.length} bytes, over the proxy budget of 6000`,
    ]);
  });

  it('no session cookie, or none of the one named: exit 1 with the reason', async () => {
    const none = await inspectJson('theme=dark');
    expect(none.status).toBe(1);
    expect(none.report.problems).toEqual([
      'the Cookie header carries no chunked session cookie (name one with --cookie-name)',
    ]);
    const named = await inspectJson('theme=dark', ['--cookie-name', 'session']);
    expect(named.status).toBe(1);
    expect(named.partitions).toEqual([
      expect.objectContaining({ cookieName: 'session', verdict: 'absent', ok: true }),
    ]);
    expect(named.report.problems).toEqual(['no request carries a cookie of "session"']);
  });
});

describe('inspect a HAR written by hand from real responses', () => {
  /** A HAR of two entries: the first response's Set-Cookie lines, then a request `later` ms on. */
  function har(setCookies: string[], cookieHeader: string | undefined, later: number): string {
    const t0 = Date.now() - 60_000;
    const entry = (at: number, cookie: string | undefined, lines: string[]) => ({
      startedDateTime: new Date(at).toISOString(),
      request: {
        method: 'GET',
        url: `${app.url}/session`,
        headers: [
          { name: 'User-Agent', value: FIREFOX },
          ...(cookie === undefined ? [] : [{ name: 'Cookie', value: cookie }]),
        ],
      },
      response: { status: 200, headers: lines.map((value) => ({ name: 'Set-Cookie', value })) },
    });
    const file = join(work, `hand-${Math.random().toString(36).slice(2)}.har`);
    writeFileSync(
      file,
      JSON.stringify({
        log: { entries: [entry(t0, undefined, setCookies), entry(t0 + later, cookieHeader, [])] },
      }),
    );
    return file;
  }

  it('a whole set the browser was told to keep and did not send: dropped, exit 1', async () => {
    const browser = new TestBrowser(app.url, FIREFOX);
    const { setCookies } = await browser.post('/session', { user: 'dora' });
    expect(setCookies).toHaveLength(1);
    const run = await runCli(
      cli.bin,
      ['inspect', '--json', '--har', har(setCookies, 'theme=dark', 1000)],
      {
        env: { SESSION_SECRET: SECRET },
      },
    );
    expect(run.status).toBe(1);
    const report = JSON.parse(run.stdout) as InspectReport;
    expectValidReport(report);
    expect(report.requests[1]!.partitions[0]).toMatchObject({
      cookieName: 'session',
      verdict: 'dropped',
      reason:
        'no cookie of "session" was sent, although the browser had been told to keep session (set by the response to request #1), which was neither deleted nor expired since',
    });
  });

  it('a set whose Max-Age had run out is absent, not dropped', async () => {
    const short = await startExpressApp({ secret: SECRET, cookie: { maxAge: 1 } });
    try {
      const browser = new TestBrowser(short.url, FIREFOX);
      const { setCookies } = await browser.post('/session', { user: 'erin' });
      expect(setCookies[0]).toMatch(/; Max-Age=1;/);
      const run = await runCli(
        cli.bin,
        ['inspect', '--json', '--har', har(setCookies, 'theme=dark', 5000)],
        {
          env: { SESSION_SECRET: SECRET },
        },
      );
      const report = JSON.parse(run.stdout) as InspectReport;
      expect(report.requests[1]!.partitions[0]).toMatchObject({ verdict: 'absent', ok: true });
      // Nothing opened in the whole HAR, so it is not a success either.
      expect(run.status).toBe(1);
      expect(report.problems).toEqual(['no request carries a cookie of "session"']);
    } finally {
      await short.close();
    }
  });

  it('a HAR exported without its cookies says so', async () => {
    const run = await runCli(cli.bin, ['inspect', '--har', har([], undefined, 1000)], {
      env: { SESSION_SECRET: SECRET },
    });
    expect(run.status).toBe(1);
    expect(run.stdout).toContain(
      '  - no request of the HAR has a Cookie header: export the HAR with its sensitive data (cookies) included\n',
    );
  });
});

describe('secrets and usage', () => {
  it('reads several secrets from a file or from the variable --secret-env names', async () => {
    const older = 'an-older-secret-of-this-application-0002';
    const file = join(work, 'secrets.json');
    writeFileSync(file, JSON.stringify([older, SECRET]));
    const fromFile = await runCli(cli.bin, ['inspect', '--json', '--secret-file', file], {
      stdin: oneChunk,
    });
    expect(fromFile.status).toBe(0);
    const report = JSON.parse(fromFile.stdout) as InspectReport;
    expect(report.keys.encrypt).toEqual([deriveKey(older, 'encrypt').id.toString('hex'), KEY]);
    expect(report.requests[0]!.partitions[0]!.keyIndex).toBe(1);
    const fromEnv = await runCli(cli.bin, ['inspect', '--secret-env', 'APP_SECRETS'], {
      stdin: oneChunk,
      env: { APP_SECRETS: `${SECRET}\n` },
    });
    expect(fromEnv.status).toBe(0);
  });

  const withSecret = { SESSION_SECRET: SECRET };
  it.each([
    [
      ['inspect', '--secret', SECRET],
      withSecret,
      '--secret is not accepted: a secret on the command line stays in shell history and in the process list. Set SESSION_SECRET, or use --secret-env NAME or --secret-file PATH',
    ],
    [['inspect', `--secret=${SECRET}`], withSecret, '--secret is not accepted'],
    [
      ['inspect'],
      {},
      'no secret: set SESSION_SECRET in the environment, or use --secret-env NAME or --secret-file PATH',
    ],
    [['inspect', '--secret-env', 'NOPE'], withSecret, 'no secret: set NOPE in the environment\n'],
    [
      ['inspect', '--idle-timeout', 'soon'],
      withSecret,
      '--idle-timeout must be a whole number of at least 1 (got "soon")',
    ],
    [
      ['inspect', '--har', '/nonexistent/x.har'],
      withSecret,
      'cannot read --har /nonexistent/x.har: ENOENT',
    ],
    [['inspect', '--bogus'], withSecret, "Unknown option '--bogus'"],
    [['inspekt'], withSecret, 'unknown command "inspekt"; the one command is inspect'],
  ])('%j exits 2 and says why', async (args, env, message) => {
    const run = await runCli(cli.bin, args, { env, stdin: oneChunk });
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`nestjs-chunked-session: ${message}`);
    expect(run.stderr).not.toContain(SECRET);
  });

  it('--help prints the usage, exit 0', async () => {
    const run = await runCli(cli.bin, ['inspect', '--help']);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(
      /^Usage: nestjs-chunked-session inspect \[options\] < cookie-header.txt\n/,
    );
    expect(run.stdout).toContain('--secret-file PATH');
  });

  it('a HAR that is not one: exit 2', async () => {
    const file = join(work, 'not.har');
    writeFileSync(file, '{"log":{}}');
    const run = await runCli(cli.bin, ['inspect', '--har', file], {
      env: { SESSION_SECRET: SECRET },
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('nestjs-chunked-session: the HAR file has no log.entries list');
  });
});
