/**
 * `nestjs-chunked-session inspect --har` on HARs recorded in Debian's Chromium from the sample
 * shop (playwright-core's recordHar), run as a user runs it: the compiled bin in a child process,
 * the secret in the environment or a file. Each captured case gets its exact verdict and exit
 * status: a session grown past the budget (opens, fits), the same HAR read after the key was
 * retired, through a stricter proxy, and with one request's chunks mixed from two writes; a chunk
 * the browser lost; a session that passed its idle and its absolute timeout. Every `--json`
 * document is checked against the report's JSON schema.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { startSample, type RunningSample } from '../../sample/bootstrap.js';
import { deriveKey } from '../../src/codec/keys.js';
import { describeWithChromium } from '../support/chromium.js';
import { recordHar, type RecordedHar } from '../support/har-recorder.js';
import { buildCli, runCli, type BuiltCli, type CliRun } from '../support/inspect-cli.js';
import { expectValidReport } from './report-schema.js';
import type { InspectReport, RequestReport } from '../../src/cli/report.js';

const OLD_SECRET = 'the-inspector-har-test-secret-retired-0001';
const NEW_SECRET = 'the-inspector-har-test-secret-current-0002';
const SLOW = 180_000;
/** Rounds of "View 10" + "Add 10" before giving up on a shrink (the sample shrinks at about 5). */
const MAX_ROUNDS = 12;

const keyId = (secret: string) => deriveKey(secret, 'encrypt').id.toString('hex');

type HarEntry = {
  startedDateTime: string;
  request: { method: string; url: string; headers: { name: string; value: string }[] };
  response: { headers: { name: string; value: string }[] };
};
const entriesOf = (har: RecordedHar): HarEntry[] =>
  (JSON.parse(har.text) as { log: { entries: HarEntry[] } }).log.entries;
const header = (headers: { name: string; value: string }[], name: string) =>
  headers.filter((h) => h.name.toLowerCase() === name).map((h) => h.value);
/** Name → value of the Set-Cookie lines of one entry. */
const setCookies = (entry: HarEntry) =>
  new Map(
    header(entry.response.headers, 'set-cookie')
      .flatMap((v) => v.split('\n'))
      .map((line) => line.split(';')[0]!.split('='))
      .map(([name, ...value]) => [name!.trim(), value.join('=')] as const),
  );

/** Clicks a form's button and waits for the page its redirect leads back to. */
async function press(page: Page, name: string): Promise<void> {
  const back = page.waitForResponse(
    (r) => r.request().method() === 'GET' && r.request().isNavigationRequest(),
  );
  await page.getByRole('button', { name, exact: true }).click();
  expect((await back).status()).toBe(200);
  await page.waitForLoadState('load');
}

/** Signs in, then views and adds products until `until` says stop (at most MAX_ROUNDS). */
async function shop(page: Page, url: string, until: () => Promise<boolean>): Promise<void> {
  await page.goto(url);
  await page.getByPlaceholder('any name, e.g. alice').fill('alice');
  await press(page, 'Sign in');
  for (let round = 1; round <= MAX_ROUNDS && !(await until()); round++) {
    await press(page, 'View 10 products');
    await press(page, 'Add 10 products to the cart');
  }
  expect(await until()).toBe(true);
}

function parse(run: CliRun): InspectReport {
  const report = JSON.parse(run.stdout) as InspectReport;
  expectValidReport(report);
  return report;
}

/** The requests of a report that carried the sample's session, by HAR entry. */
const withSession = (report: InspectReport): RequestReport[] =>
  report.requests.filter((r) => r.partitions.some((p) => p.verdict !== 'absent'));
const partition = (r: RequestReport, name: string) =>
  r.partitions.find((p) => p.cookieName === name)!;
/** The last GET of the page itself (favicon requests and redirects aside). */
const lastPageLoad = (report: InspectReport, url: string): RequestReport =>
  report.requests.filter((r) => r.method === 'GET' && r.url === `${url}/`).at(-1)!;

function scenario(): void {
  let cli: BuiltCli;
  let sample: RunningSample;
  let sessionDir: string;
  let work: string;
  /** A session grown past the budget and shrunk. */
  let grown: RecordedHar & { remove(): Promise<void> };
  /** A session whose second shop chunk the browser lost. */
  let lost: RecordedHar & { remove(): Promise<void> };
  /** A session left alone for four seconds. */
  let idle: RecordedHar & { remove(): Promise<void>; waitedAt: number };

  beforeAll(async () => {
    cli = buildCli();
    work = mkdtempSync(join(tmpdir(), 'chunked-session-inspect-'));
    sessionDir = join(work, 'sessions');
    sample = await startSample({ port: 0, secret: OLD_SECRET, sessionDir, logger: false });

    grown = await recordHar(async (page) => {
      await shop(
        page,
        sample.url,
        async () => (await page.locator('[data-test="shrink-event"]').count()) > 0,
      );
      await page.reload();
    });
    lost = await recordHar(async (page, context) => {
      const split = async () =>
        (await context.cookies(sample.url)).some((c) => c.name === 'shop.1');
      await shop(page, sample.url, split);
      await context.clearCookies({ name: 'shop.1' });
      await page.reload();
    });
    let waitedAt = 0;
    const recorded = await recordHar(async (page) => {
      await page.goto(sample.url);
      await press(page, 'View 10 products');
      waitedAt = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 4000));
      await page.reload();
    });
    idle = Object.assign(recorded, { waitedAt });
  }, SLOW);

  afterAll(async () => {
    await grown?.remove();
    await lost?.remove();
    await idle?.remove();
    await sample?.close();
    cli?.remove();
    if (work) rmSync(work, { recursive: true, force: true });
  }, SLOW);

  const inspect = (har: RecordedHar, args: string[] = [], secret = OLD_SECRET) =>
    runCli(cli.bin, ['inspect', '--har', har.path, '--json', ...args], {
      env: { SESSION_SECRET: secret },
    });

  it('a session grown past the budget: every request opens and fits, exit 0', async () => {
    const run = await inspect(grown);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const report = parse(run);
    expect(report).toMatchObject({ source: 'har', ok: true, problems: [] });
    expect(report.keys.encrypt).toEqual([keyId(OLD_SECRET)]);
    expect(report.requests).toHaveLength(entriesOf(grown).length);

    const last = lastPageLoad(report, sample.url);
    expect(last.ok).toBe(true);
    expect(last.partitions.map((p) => [p.cookieName, p.verdict])).toEqual([
      ['sid', 'ok'],
      ['shop', 'ok'],
    ]);
    const shopPart = partition(last, 'shop');
    expect(shopPart.chunks.map((c) => c.name)).toEqual(['shop', 'shop.1']);
    expect(shopPart).toMatchObject({
      expectedChunks: 2,
      complete: true,
      format: 1,
      protection: 'encrypt',
      keyId: keyId(OLD_SECRET),
      keyIndex: 0,
      storeId: null,
    });
    expect(shopPart.reason).toBe(`opens (2 chunks, key id ${keyId(OLD_SECRET)})`);
    const data = shopPart.data as { cart: unknown[]; recentlyViewed: unknown[] };
    expect(data.cart.length).toBeGreaterThan(0);
    expect(data.recentlyViewed.length).toBeGreaterThan(3);
    // The store partition: a sealed record id, its data on the server.
    const sid = partition(last, 'sid');
    expect(sid.storeId).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(sid.data).toBeNull();
    expect(sid.reason).toBe(
      `opens (1 chunk, key id ${keyId(OLD_SECRET)}); its data is in the store, record ${sid.storeId}`,
    );
    // The header, judged by the Chromium row (the HAR's own User-Agent).
    expect(last.header).toMatchObject({
      browser: 'chromium',
      limits: { maxCookieBytes: 4096, maxCookies: 180, maxTotalBytes: 8000 },
      maxTotalBytes: 8000,
      cookies: 3,
      problems: [],
      fits: true,
    });
    expect(last.header.userAgent).toMatch(/HeadlessChrome\/\d+/);
    expect(last.header.bytes).toBeGreaterThan(5000);
    expect(last.header.bytes).toBeLessThanOrEqual(8000);
    // The request's time is when the timeouts were judged.
    expect(last.checkedAt).toBe(last.startedAt);
    expect(shopPart.idleTimeout).toEqual({
      seconds: 86400,
      endsAt: new Date(Date.parse(shopPart.writtenAt!) + 86400_000).toISOString(),
      passed: false,
    });

    // The text output says the same, for a person.
    const text = await runCli(cli.bin, ['inspect', '--har', grown.path], {
      env: { SESSION_SECRET: OLD_SECRET },
    });
    expect(text.status).toBe(0);
    expect(text.stdout).toContain(
      `  partition shop: OPENS: opens (2 chunks, key id ${keyId(OLD_SECRET)})`,
    );
    expect(text.stdout.trimEnd().split('\n').at(-1)).toBe(
      'Verdict: OK — every partition present opens and every header fits.',
    );
  });

  it('the same HAR after the key was retired: unknown key on every request, exit 1; with the old key listed second it opens', async () => {
    const run = await inspect(grown, [], NEW_SECRET);
    expect(run.status).toBe(1);
    const report = parse(run);
    expect(report.ok).toBe(false);
    const sessions = withSession(report);
    expect(sessions.length).toBeGreaterThan(5);
    const reason = `sealed with key id ${keyId(OLD_SECRET)}, which none of the 1 given secret(s) derives (encrypt): a retired secret, or another application's`;
    for (const r of sessions) {
      for (const p of r.partitions.filter((q) => q.verdict !== 'absent')) {
        expect(p).toMatchObject({
          verdict: 'unknown-key',
          ok: false,
          keyId: keyId(OLD_SECRET),
          keyIndex: null,
          reason,
          data: null,
        });
      }
    }
    expect(report.problems).toContain(
      `request #${lastPageLoad(report, sample.url).index}: shop: unknown-key: ${reason}`,
    );

    // Rotation done right: the new secret first, the old one still accepted.
    const file = join(work, 'secrets');
    writeFileSync(file, `${NEW_SECRET}\n${OLD_SECRET}\n`, { mode: 0o600 });
    const rotated = await runCli(cli.bin, [
      'inspect',
      '--har',
      grown.path,
      '--json',
      '--secret-file',
      file,
    ]);
    expect(rotated.status).toBe(0);
    const opened = parse(rotated);
    expect(opened.keys.encrypt).toEqual([keyId(NEW_SECRET), keyId(OLD_SECRET)]);
    const shopPart = partition(lastPageLoad(opened, sample.url), 'shop');
    expect(shopPart).toMatchObject({ verdict: 'ok', keyIndex: 1, keyId: keyId(OLD_SECRET) });
    expect(shopPart.reason).toBe(
      `opens (2 chunks, key id ${keyId(OLD_SECRET)}); opened with secret #2, not the first: the next response re-seals it with the first`,
    );
  });

  it('the same HAR through a proxy with a 4096-byte budget: every partition opens, the header does not fit, exit 1', async () => {
    const run = await inspect(grown, ['--max-total-bytes', '4096']);
    expect(run.status).toBe(1);
    const report = parse(run);
    const last = lastPageLoad(report, sample.url);
    expect(last.partitions.every((p) => p.ok)).toBe(true);
    expect(last.header.fits).toBe(false);
    expect(last.header.problems).toEqual([
      `the Cookie header has ${last.header.bytes} bytes, over the proxy budget of 4096`,
    ]);
    expect(report.problems).toContain(
      `request #${last.index}: the Cookie header has ${last.header.bytes} bytes, over the proxy budget of 4096`,
    );
    // Only the headers over 4096 bytes are reported.
    for (const r of report.requests) expect(r.header.fits).toBe(r.header.bytes <= 4096);
  });

  it('one request of that HAR with the shop chunks of two different writes: mixed, exit 1', async () => {
    const entries = entriesOf(grown);
    const lastIndex = entries.findLastIndex(
      (e) => e.request.method === 'GET' && e.request.url === `${sample.url}/`,
    );
    // Which responses set the shop chunks: the latest pair, and an older shop.1.
    const writes = entries
      .map((e, i) => ({ entry: i + 1, set: setCookies(e) }))
      .filter((w) => w.entry <= lastIndex && w.set.has('shop.1'));
    expect(writes.length).toBeGreaterThan(1);
    const older = writes.at(-2)!;
    const latest = writes.at(-1)!;
    const request = entries[lastIndex]!.request;
    const cookie = request.headers.find((h) => h.name.toLowerCase() === 'cookie')!;
    const current = cookie.value.split('; ').find((p) => p.startsWith('shop.1='))!;
    expect(current).toBe(`shop.1=${latest.set.get('shop.1')}`);
    cookie.value = cookie.value.replace(current, `shop.1=${older.set.get('shop.1')}`);
    const edited = join(work, 'mixed.har');
    writeFileSync(edited, JSON.stringify({ log: { entries: entries.slice(0, lastIndex + 1) } }));

    const run = await runCli(cli.bin, ['inspect', '--har', edited, '--json'], {
      env: { SESSION_SECRET: OLD_SECRET },
    });
    expect(run.status).toBe(1);
    const report = parse(run);
    const shopPart = partition(report.requests.at(-1)!, 'shop');
    expect(shopPart.verdict).toBe('mixed');
    const shopSetBy = writes.filter((w) => w.set.has('shop')).at(-1)!.entry;
    expect(shopPart.reason).toBe(
      `the chunks come from different writes: shop from request #${shopSetBy}, shop.1 from request #${older.entry}`,
    );
    expect(shopPart.chunks.map((c) => c.setBy)).toEqual([shopSetBy, older.entry]);
    expect(report.problems).toEqual([`request #${lastIndex + 1}: shop: mixed: ${shopPart.reason}`]);
  });

  it('a chunk the browser lost: truncated, naming the response that set it, exit 1', async () => {
    const run = await inspect(lost);
    expect(run.status).toBe(1);
    const report = parse(run);
    const entries = entriesOf(lost);
    const last = lastPageLoad(report, sample.url);
    const setBy = entries
      .map((e, i) => ({ entry: i + 1, set: setCookies(e) }))
      .filter((w) => w.entry < last.index && w.set.has('shop.1'))
      .at(-1)!.entry;
    const shopPart = partition(last, 'shop');
    expect(shopPart).toMatchObject({
      verdict: 'truncated',
      ok: false,
      expectedChunks: 2,
      complete: false,
      keyId: null,
      data: null,
      reason: `chunk shop.1 of 2 is missing; the browser dropped shop.1 (set by the response to request #${setBy})`,
    });
    expect(shopPart.chunks.map((c) => c.name)).toEqual(['shop']);
    expect(partition(last, 'sid').verdict).toBe('ok');
    // Every request before the loss opened.
    for (const r of report.requests.filter(
      (q) => q.index < last.index && q.url !== `${sample.url}/favicon.ico`,
    )) {
      expect(r.partitions.every((p) => p.ok)).toBe(true);
    }
  });

  it('a session left idle past its idle timeout, then past its absolute timeout: expired, exit 1', async () => {
    const run = await inspect(idle, ['--idle-timeout', '2']);
    expect(run.status).toBe(1);
    const report = parse(run);
    const before = report.requests.filter((r) => Date.parse(r.startedAt!) < idle.waitedAt);
    const after = report.requests.filter((r) => Date.parse(r.startedAt!) >= idle.waitedAt + 4000);
    expect(after.length).toBeGreaterThan(0);
    for (const r of before) expect(r.partitions.every((p) => p.ok)).toBe(true);
    for (const r of after) {
      const shopPart = partition(r, 'shop');
      expect(shopPart.verdict).toBe('expired-idle');
      expect(shopPart.idleTimeout?.passed).toBe(true);
      expect(shopPart.absoluteTimeout?.passed).toBe(false);
      expect(shopPart.reason).toBe(
        `last written at ${shopPart.writtenAt}: the idle timeout of 2 s ended at ${new Date(Date.parse(shopPart.writtenAt!) + 2000).toISOString()}`,
      );
      expect(shopPart.data).toMatchObject({ recentlyViewed: expect.any(Array) });
    }

    const absolute = parse(await inspect(idle, ['--absolute-timeout', '2']));
    expect(absolute.ok).toBe(false);
    const last = lastPageLoad(absolute, sample.url);
    const shopPart = partition(last, 'shop');
    expect(shopPart.verdict).toBe('expired-absolute');
    expect(shopPart.reason).toBe(
      `created at ${shopPart.createdAt}: the absolute timeout of 2 s ended at ${new Date(Date.parse(shopPart.createdAt!) + 2000).toISOString()}`,
    );
    // With the library's defaults it is still fine.
    expect((await inspect(idle)).status).toBe(0);
  });
}

describeWithChromium('inspect --har on HARs recorded in Chromium from the sample shop', scenario);
