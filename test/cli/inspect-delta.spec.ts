/**
 * `inspect` on delta cookie sets (format d1: a sealed manifest in the first cookie, each piece
 * sealed on its own), written by the library's own delta-set writer (planDeltaSet and
 * sealDeltaSet, through test/support/delta-jar.ts) and read by the compiled bin: a set that
 * opens, one with a piece kept over from the previous write, a piece missing, another write's
 * piece in a slot, a changed piece, and a retired key — each with its exact verdict and exit.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pieceSealName } from '../../src/chunking/delta-set.js';
import type { InspectReport, PartitionReport } from '../../src/cli/report.js';
import { deriveKey } from '../../src/codec/keys.js';
import { DeltaJar, JAR_SECRET } from '../support/delta-jar.js';
import { buildCli, runCli, type BuiltCli } from '../support/inspect-cli.js';
import { expectValidReport } from './report-schema.js';

const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:153.0) Gecko/20100101 Firefox/153.0';
const KEY = deriveKey(JAR_SECRET, 'encrypt').id.toString('hex');
const now = () => Math.floor(Date.now() / 1000);

/** A session of about 6 KB whose `cart` can change in one place. */
function session(cartNote: string): string {
  const history = Array.from({ length: 60 }, (_, i) => ({
    page: i,
    note: `viewed product ${i} of the spring catalogue`,
  }));
  return JSON.stringify({ user: 'alice', history, cart: [{ id: 'p001', note: cartNote }] });
}

const headerOf = (cookies: ReadonlyMap<string, string>) =>
  [...cookies].map(([name, value]) => `${name}=${value}`).join('; ');

let cli: BuiltCli;
beforeAll(() => {
  cli = buildCli();
}, 120_000);
afterAll(() => cli?.remove());

async function inspect(
  cookies: ReadonlyMap<string, string>,
  secret = JAR_SECRET,
): Promise<{ status: number | null; report: InspectReport; session: PartitionReport }> {
  const run = await runCli(cli.bin, ['inspect', '--json', '--user-agent', FIREFOX], {
    env: { SESSION_SECRET: secret },
    stdin: headerOf(cookies),
  });
  expect(run.stderr).toBe('');
  const report = JSON.parse(run.stdout) as InspectReport;
  expectValidReport(report);
  const [only, ...others] = report.requests[0]!.partitions;
  expect(others).toEqual([]);
  return { status: run.status, report, session: only! };
}

/** A jar holding a fresh d1 set of `json`. */
function written(json: string): DeltaJar {
  const jar = new DeltaJar();
  const write = jar.write(json, now());
  expect(write).toBeDefined();
  jar.apply(write!);
  expect(jar.cookies.get('session')!.startsWith('d1.')).toBe(true);
  return jar;
}

describe('inspect a delta cookie set (d1)', () => {
  it('opens it: the manifest, its pieces, the data, exit 0', async () => {
    const jar = written(session('blue'));
    const pieces = jar.cookies.size - 1;
    expect(pieces).toBeGreaterThan(2);
    const { status, session: part } = await inspect(jar.cookies);
    expect(status).toBe(0);
    expect(part).toMatchObject({
      verdict: 'ok',
      format: 'd1',
      expectedChunks: pieces + 1,
      complete: true,
      protection: 'encrypt',
      keyId: KEY,
      keyIndex: 0,
      reason: `opens (d1, ${pieces} pieces, key id ${KEY})`,
    });
    expect(part.data).toEqual(JSON.parse(session('blue')));
    expect(part.chunks.map((c) => c.role)).toEqual(['manifest', ...Array(pieces).fill('piece')]);
  });

  it('a second write keeps most pieces; a dropped piece left for one more request is named, and it opens', async () => {
    const jar = written(session('blue'));
    const before = new Map(jar.cookies);
    const second = jar.write(
      session('green, with a longer note that changes one piece only'),
      now(),
    );
    jar.apply(second!);
    expect(second!.plan.deferred.length).toBeGreaterThan(0);
    const kept = second!.plan.pieces.filter((p) => p.kept !== undefined).length;
    expect(kept).toBeGreaterThan(0);
    const { status, session: part } = await inspect(jar.cookies);
    expect(status).toBe(0);
    const unnamed = second!.plan.deferred.map((d) => d.name);
    expect(part.chunks.filter((c) => c.role === 'unnamed').map((c) => c.name)).toEqual(unnamed);
    expect(part.reason).toBe(
      `opens (d1, ${second!.plan.pieces.length} pieces, key id ${KEY}; ${unnamed.join(', ')} not named (left from the previous write, deleted by the next))`,
    );
    expect((part.data as { cart: { note: string }[] }).cart[0]!.note).toMatch(/^green/);
    // The kept pieces are the browser's own, unchanged values.
    for (const p of second!.plan.pieces.filter((q) => q.kept !== undefined)) {
      expect(jar.cookies.get(`session.${p.slot}`)).toBe(before.get(`session.${p.slot}`));
    }
  });

  it('a piece the manifest names is missing: truncated, exit 1', async () => {
    const jar = written(session('blue'));
    const cookies = new Map(jar.cookies);
    cookies.delete('session.2');
    const { status, session: part } = await inspect(cookies);
    expect(status).toBe(1);
    expect(part).toMatchObject({
      verdict: 'truncated',
      complete: false,
      keyId: KEY,
      data: null,
      reason: `piece session.2 of the ${jar.cookies.size - 1} the manifest names is missing`,
    });
  });

  it('another write’s piece in a slot: mixed; a changed piece: tampered, exit 1', async () => {
    const one = written(session('blue'));
    const other = written(session('a different cart altogether, so piece 1 differs'));
    expect(other.cookies.get('session.1')).not.toBe(one.cookies.get('session.1'));
    const mixed = new Map(one.cookies);
    mixed.set('session.1', other.cookies.get('session.1')!);
    const m = await inspect(mixed);
    expect(m.status).toBe(1);
    expect(m.session).toMatchObject({
      verdict: 'mixed',
      reason:
        'session.1 is not the piece the manifest names: it is a piece of another write, in the same slot',
    });

    const changed = new Map(one.cookies);
    const value = changed.get('session.2')!;
    changed.set(
      'session.2',
      value.slice(0, 40) + (value[40] === 'A' ? 'B' : 'A') + value.slice(41),
    );
    const t = await inspect(changed);
    expect(t.status).toBe(1);
    expect(t.session).toMatchObject({
      verdict: 'tampered',
      reason:
        'piece session.2 was changed: it neither has the digest the manifest names nor authenticates',
    });
    // A piece is sealed under a name no cookie can have: it never opens as the first cookie.
    expect(pieceSealName('session')).toBe('session piece');
  });

  it('sealed with a retired key: unknown key on the manifest, exit 1', async () => {
    const jar = written(session('blue'));
    const current = 'the-application-rotated-to-this-secret-0003';
    const { status, session: part } = await inspect(jar.cookies, current);
    expect(status).toBe(1);
    expect(part).toMatchObject({
      verdict: 'unknown-key',
      format: 'd1',
      keyId: KEY,
      keyIndex: null,
      reason: `the manifest (the first cookie) is sealed with key id ${KEY}, which none of the 1 given secret(s) derives (encrypt): a retired secret, or another application's`,
    });
  });
});
