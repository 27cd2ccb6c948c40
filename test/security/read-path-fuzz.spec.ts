/**
 * Property-based fuzzing of the whole read path through a running application (issue 7,
 * "Hostile input"): arbitrary Cookie headers reach a real Nest application over HTTP, and every
 * request must answer 200 with, for each partition, either an empty session or the intact one
 * that the application wrote — never a mix, never a 500. The engine's sealer is wrapped to prove
 * the work is bounded: per request, `open()` runs at most once per partition and is never given
 * more than `maxTotalBytes` characters.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { deflateRawSync } from 'node:zlib';
import { chunkIndex } from '../../src/chunking/chunks.js';
import { decodeEnvelope } from '../../src/codec/envelope.js';
import { createSealer } from '../../src/codec/sealer.js';
import {
  GROUP_NAMES,
  GROUPS,
  MAX_TOTAL_BYTES,
  chunksOf,
  groupOf,
  makeSession,
  startFuzzApp,
  type FuzzApp,
  type GroupName,
  type KnownSession,
} from './fuzz-app.js';
import {
  DELETE_ATTRIBUTES,
  OLD_SECRET,
  OTHER_SECRET,
  SECRET,
  cookieHeader,
  mintCookies,
} from './harness.js';

const B64 = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'];
/** Every character Node lets a client put in a header value (HTAB, SP–~, obs-text). */
const headerChar = fc
  .oneof(
    fc.integer({ min: 0x20, max: 0x7e }),
    fc.integer({ min: 0x80, max: 0xff }),
    fc.constant(0x09),
  )
  .map((c) => String.fromCharCode(c));
const tokenChar = fc.constantFrom(
  ...[..."!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"],
);
const FIELDS = new Set<string>(Object.values(GROUPS).flat());
const b64String = (maxLength: number) => fc.string({ unit: fc.constantFrom(...B64), maxLength });

/** Figures for SECURITY.md, printed at the end. */
const figures = { inputs: 0, requests: 0, intactReads: 0, emptyReads: 0, maxOpenLength: 0 };

/** The names a request carries, as the library splits the header. */
function requestNames(cookie: string | string[] | undefined): Set<string> {
  const names = new Set<string>();
  const header = Array.isArray(cookie) ? cookie.join('; ') : (cookie ?? '');
  for (const raw of header.split(';')) {
    const pair = raw.trim();
    if (!pair) continue;
    const eq = pair.indexOf('=');
    names.add(eq === -1 ? '' : pair.slice(0, eq).trim());
  }
  return names;
}

type Expect = 'empty' | 'any' | KnownSession[];

/**
 * Sends `cookie` to GET /read and checks the answer: 200; each partition's fields empty or
 * exactly one known session's (as `expected` allows); Set-Cookie only deletions of chunk cookies
 * the request carried, with the default attributes; `open()` at most once per partition, never
 * given more than maxTotalBytes characters. Returns the session data read.
 */
async function readChecked(
  app: FuzzApp,
  cookie: string | string[] | undefined,
  known: KnownSession[],
  expected: Partial<Record<GroupName, Expect>> = {},
  opts: { allowWrites?: boolean; otherKeys?: boolean } = {},
): Promise<Record<string, unknown>> {
  figures.requests++;
  const res = await app.client.get('/read', cookie);
  const opens = app.opens.take();
  expect(res.status).toBe(200);
  const data = res.json.data as Record<string, unknown>;
  expect(Object.getPrototypeOf(data)).toBe(Object.prototype);

  for (const group of GROUP_NAMES) {
    const part = groupOf(data, group);
    const rule = expected[group] ?? 'any';
    const candidates = rule === 'any' ? known : rule === 'empty' ? [] : rule;
    const allowed = [{}, ...candidates.map((s) => groupOf(s.data, group))];
    if (rule !== 'any' && rule !== 'empty') allowed.shift(); // a list means: intact, one of these
    expect(allowed).toContainEqual(part);
  }
  if (!opts.otherKeys) {
    const fields = new Set<string>(Object.values(GROUPS).flat());
    expect(Object.keys(data).filter((k) => !fields.has(k))).toEqual([]);
  }
  const intact = GROUP_NAMES.some((g) => Object.keys(groupOf(data, g)).length > 0);
  if (intact) figures.intactReads++;
  else figures.emptyReads++;

  const names = requestNames(cookie);
  const deleted = new Set<string>();
  for (const line of res.setCookies) {
    const eq = line.indexOf('=');
    const name = line.slice(0, eq);
    const isChunk = GROUP_NAMES.some((g) => chunkIndex(g, name) >= 0);
    expect(isChunk).toBe(true);
    if (line.startsWith(`${name}=;`)) {
      expect(line).toBe(`${name}=; ${DELETE_ATTRIBUTES}`);
      expect(names.has(name)).toBe(true);
      expect(deleted.has(name)).toBe(false);
      deleted.add(name);
    } else {
      expect(opts.allowWrites).toBe(true);
    }
  }

  expect(opens.length).toBeLessThanOrEqual(GROUP_NAMES.length);
  expect(new Set(opens.map((o) => o.cookieName)).size).toBe(opens.length);
  for (const o of opens) {
    expect(o.length).toBeLessThanOrEqual(MAX_TOTAL_BYTES);
    figures.maxOpenLength = Math.max(figures.maxOpenLength, o.length);
  }
  return data;
}

/** The store id that a known session's `sid` cookie carries. */
function storeIdOf(s: KnownSession, protection: 'encrypt' | 'sign'): string {
  const opened = createSealer([SECRET], protection).open('sid', joinSet(chunksOf(s, 'sid')).sealed);
  const envelope = opened && decodeEnvelope(opened.plaintext);
  if (!envelope || envelope.storeId === undefined) throw new Error('no store id in sid');
  return envelope.storeId;
}

/** All cookies of a known session, in index order, partition by partition. */
function allCookies(s: KnownSession): [string, string][] {
  return GROUP_NAMES.flatMap((g) => chunksOf(s, g));
}

/** The joined sealed value of a chunk set, and the lengths to split it again. */
function joinSet(chunks: [string, string][]): {
  prefix: string;
  sealed: string;
  lengths: number[];
} {
  const first = chunks[0]![1];
  const dot = first.indexOf('.');
  const prefix = first.slice(0, dot + 1);
  const parts = [first.slice(dot + 1), ...chunks.slice(1).map(([, v]) => v)];
  return { prefix, sealed: parts.join(''), lengths: parts.map((p) => p.length) };
}

function splitSet(
  names: string[],
  prefix: string,
  sealed: string,
  lengths: number[],
): [string, string][] {
  let at = 0;
  return names.map((name, i) => {
    const part = sealed.slice(at, at + lengths[i]!);
    at += lengths[i]!;
    return [name, i === 0 ? prefix + part : part];
  });
}

/** Every ordered selection of 1..n items. */
function* orderedSelections<T>(items: T[]): Generator<T[]> {
  function* extend(prefix: T[], rest: T[]): Generator<T[]> {
    if (prefix.length > 0) yield prefix;
    for (let i = 0; i < rest.length; i++) {
      yield* extend([...prefix, rest[i]!], [...rest.slice(0, i), ...rest.slice(i + 1)]);
    }
  }
  yield* extend([], items);
}

const unhandled: unknown[] = [];
const onUnhandled = (error: unknown) => unhandled.push(error);

describe.each(['encrypt', 'sign'] as const)(
  'the read path under hostile Cookie headers (%s)',
  (protection) => {
    let app: FuzzApp;
    let A: KnownSession;
    let B: KnownSession;
    let realValues: string[];

    beforeAll(async () => {
      process.on('unhandledRejection', onUnhandled);
      app = await startFuzzApp(protection);
      A = await makeSession(app, 'A');
      B = await makeSession(app, 'B');
      realValues = [...allCookies(A), ...allCookies(B)].map(([, v]) => v);
    });

    afterAll(async () => {
      process.off('unhandledRejection', onUnhandled);
      await app.close();
      console.log(`read-path fuzz (${protection}) figures: ${JSON.stringify(figures)}`);
    });

    it('sets up sessions whose catch-all partition spans several chunks, and reads them back', async () => {
      expect(chunksOf(A, 'session').length).toBeGreaterThanOrEqual(4);
      expect(chunksOf(A, 'csrf')).toHaveLength(1);
      expect(chunksOf(A, 'sid')).toHaveLength(1);
      expect(app.store.size).toBe(2);
      const data = await readChecked(app, cookieHeader(allCookies(A)), [A], {
        csrf: [A],
        sid: [A],
        session: [A],
      });
      expect(data).toEqual(A.data);
      const opens = await app.client.get('/read', cookieHeader(allCookies(B)));
      expect(opens.json.data).toEqual(B.data);
      app.opens.take();
    });

    it('answers arbitrary Cookie headers with an empty or intact session (random names and values)', async () => {
      const name = fc.oneof(
        fc.constantFrom(
          'session',
          'session.1',
          'session.2',
          'session.3',
          'session.4',
          'session.0',
          'session.01',
          'session.999',
          'session.1000',
          'csrf',
          'csrf.1',
          'sid',
          'sid.1',
          'Session',
          '.session',
          '__proto__',
          'constructor',
          'toString',
          '',
          ' session',
          'session ',
        ),
        fc.integer({ min: 1, max: 999 }).map((i) => `session.${i}`),
        fc.string({ unit: tokenChar, minLength: 1, maxLength: 12 }),
      );
      const value = fc.oneof(
        fc.constantFrom(...realValues),
        fc
          .tuple(
            fc.constantFrom(...realValues),
            fc.nat(),
            fc.constantFrom(...B64, '.', '=', '"', '%'),
          )
          .map(([v, at, c]) => v.slice(0, at % v.length) + c + v.slice((at % v.length) + 1)),
        fc.tuple(fc.integer({ min: 0, max: 1000 }), b64String(400)).map(([n, s]) => `${n}.${s}`),
        b64String(200),
        fc.string({ unit: headerChar, maxLength: 60 }),
        b64String(60).map((s) => `"${s}"`),
        fc.constant(''),
      );
      const pair = fc.oneof(
        fc.tuple(name, value).map(([n, v]) => `${n}=${v}`),
        fc.string({ unit: headerChar, maxLength: 30 }),
      );
      const header = fc.tuple(
        fc.array(pair, { maxLength: 30 }),
        fc.constantFrom('; ', ';', ' ;  '),
        fc.boolean(),
      );
      await fc.assert(
        fc.asyncProperty(header, async ([pairs, separator, twoLines]) => {
          figures.inputs++;
          const joined = pairs.join(separator);
          const cookie =
            twoLines && pairs.length > 1
              ? [pairs.slice(0, 1).join(separator), pairs.slice(1).join(separator)]
              : joined;
          await readChecked(app, cookie, [A, B]);
        }),
        { numRuns: 400 },
      );
    });

    it('reads a real session mixed with junk, duplicates and reordering: intact or empty, never mixed', async () => {
      const junk = fc.tuple(
        fc.oneof(
          fc.constantFrom('session', 'session.1', 'session.2', 'csrf', 'sid', 'other'),
          fc.string({ unit: tokenChar, minLength: 1, maxLength: 8 }),
        ),
        fc.oneof(b64String(80), fc.constantFrom(...realValues)),
      );
      const scenario = fc.record({
        base: fc.constantFrom('A', 'B'),
        order: fc.shuffledSubarray([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], { minLength: 0, maxLength: 10 }),
        keepAll: fc.boolean(),
        before: fc.array(junk, { maxLength: 4 }),
        after: fc.array(junk, { maxLength: 4 }),
        fromOther: fc.array(fc.nat(), { maxLength: 2 }),
      });
      await fc.assert(
        fc.asyncProperty(scenario, async (s) => {
          figures.inputs++;
          const mine = allCookies(s.base === 'A' ? A : B);
          const other = allCookies(s.base === 'A' ? B : A);
          let pairs: [string, string][] = s.keepAll
            ? [...mine]
            : s.order.filter((i) => i < mine.length).map((i) => mine[i]!);
          for (const n of s.fromOther) {
            // A chunk of the other session under the same name: the set becomes a mix.
            const [name, value] = other[n % other.length]!;
            pairs = pairs.map(([pn, pv]) => (pn === name ? [pn, value] : [pn, pv]));
          }
          await readChecked(app, cookieHeader([...s.before, ...pairs, ...s.after]), [A, B]);
        }),
        { numRuns: 300 },
      );
    });

    it('reads every ordering of every subset of the chunks: intact only when all are present', async () => {
      const chunks = chunksOf(A, 'session');
      const others = [...chunksOf(A, 'csrf'), ...chunksOf(A, 'sid')];
      let runs = 0;
      for (const selection of orderedSelections(chunks.map((_, i) => i))) {
        const complete = selection.length === chunks.length;
        const pairs = selection.map((i) => chunks[i]!);
        runs++;
        const data = await readChecked(app, cookieHeader([...pairs, ...others]), [A], {
          csrf: [A],
          sid: [A],
          session: complete ? [A] : 'empty',
        });
        if (complete) {
          expect(data).toEqual(A.data);
          // The first of duplicate names wins: junk after each chunk changes nothing, junk before breaks it.
          for (const [name] of pairs) {
            runs += 2;
            const after = pairs.flatMap((p) =>
              p[0] === name ? [p, [name, 'junk'] as [string, string]] : [p],
            );
            await readChecked(app, cookieHeader([...after, ...others]), [A], { session: [A] });
            const before = pairs.flatMap((p) =>
              p[0] === name ? [[name, 'junk'] as [string, string], p] : [p],
            );
            await readChecked(app, cookieHeader([...before, ...others]), [A], { session: 'empty' });
          }
        }
      }
      // A chunk from B in place of each chunk of A, and every mix of the two sets.
      let mixes = 0;
      for (let mask = 1; mask < (1 << chunks.length) - 1; mask++) {
        runs++;
        const fromB = chunksOf(B, 'session');
        const mixed = chunks.map((c, i) => ((mask >> i) & 1 ? fromB[i]! : c));
        // Signed chunks are readable: a middle chunk of B can be byte for byte A's (both 'nnn…'),
        // so a "mix" may be exactly A's set or exactly B's.
        const joined = joinSet(mixed).sealed;
        const same = [A, B].filter((s) => joinSet(chunksOf(s, 'session')).sealed === joined);
        if (same.length === 0) mixes++;
        await readChecked(app, cookieHeader([...mixed, ...others]), [A, B], {
          session: same.length > 0 ? same : 'empty',
        });
      }
      figures.inputs += runs;
      // n chunks: every ordered selection, 2n duplicate variants of each of the n! complete
      // orderings, and the 2^n - 2 mixes with B.
      const n = chunks.length;
      const factorial = (k: number): number => (k <= 1 ? 1 : k * factorial(k - 1));
      let selections = 0;
      for (let k = 1; k <= n; k++) selections += factorial(n) / factorial(n - k);
      expect(runs).toBe(selections + factorial(n) * 2 * n + 2 ** n - 2);
      expect(mixes).toBeGreaterThan(0);
    });

    it('reads a sealed value with any byte flipped as empty (every partition)', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...GROUP_NAMES),
          fc.nat(),
          fc.integer({ min: 1, max: 255 }),
          async (group, at, mask) => {
            figures.inputs++;
            const set = chunksOf(A, group);
            const { prefix, sealed, lengths } = joinSet(set);
            const bytes = Buffer.from(sealed, 'base64url');
            bytes[at % bytes.length]! ^= mask;
            const flipped = bytes.toString('base64url');
            expect(flipped.length).toBe(sealed.length);
            const pairs = splitSet(
              set.map(([n]) => n),
              prefix,
              flipped,
              lengths,
            );
            const rest = GROUP_NAMES.filter((g) => g !== group).flatMap((g) => chunksOf(A, g));
            await readChecked(app, cookieHeader([...rest, ...pairs]), [A], {
              ...Object.fromEntries(GROUP_NAMES.map((g) => [g, [A]])),
              [group]: 'empty',
            });
          },
        ),
        { numRuns: 300 },
      );
    });

    it('reads a chunk with any character replaced as empty (non-canonical base64url included)', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...GROUP_NAMES),
          fc.nat(),
          fc.oneof(fc.nat(), fc.constant(-1)), // -1: the last character, whose low bits may be unused
          fc.constantFrom(...B64, '.', '=', '+', '/', '%', '"', '!', '~'),
          async (group, chunkAt, at, c) => {
            figures.inputs++;
            const set = chunksOf(A, group);
            const index = at === -1 ? set.length - 1 : chunkAt % set.length;
            const [name, value] = set[index]!;
            const pos = at === -1 ? value.length - 1 : at % value.length;
            const changed = value.slice(0, pos) + c + value.slice(pos + 1);
            const pairs = set.map(([n, v], i): [string, string] => [n, i === index ? changed : v]);
            const rest = GROUP_NAMES.filter((g) => g !== group).flatMap((g) => chunksOf(A, g));
            expect(name).toBe(index === 0 ? group : `${group}.${index}`);
            await readChecked(app, cookieHeader([...rest, ...pairs]), [A], {
              ...Object.fromEntries(GROUP_NAMES.map((g) => [g, [A]])),
              [group]: changed === value ? [A] : 'empty',
            });
          },
        ),
        { numRuns: 300 },
      );
    });

    it('reads values sealed for another cookie name, another secret or the other protection as empty', async () => {
      const other = protection === 'encrypt' ? 'sign' : 'encrypt';
      const jsonFor = (group: GroupName) =>
        group === 'sid'
          ? JSON.stringify(storeIdOf(A, protection))
          : JSON.stringify(groupOf(A.data, group));
      // Control: minted with the right name, secret and protection, each partition reads intact.
      for (const group of GROUP_NAMES) {
        const cookies = mintCookies({
          cookieName: group,
          protection,
          json: jsonFor(group),
          isStoreId: group === 'sid',
        });
        await readChecked(app, cookieHeader(cookies), [A], { [group]: [A] });
      }
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...GROUP_NAMES),
          fc.oneof(
            fc.record({
              sealedFor: fc.constantFrom(
                'csrf',
                'sid',
                'session',
                'session.1',
                'Session',
                'session ',
                'other',
                '',
              ),
            }),
            fc.record({
              secret: fc.constantFrom(OTHER_SECRET, SECRET.toUpperCase(), `${SECRET}x`),
            }),
            fc.record({ protection: fc.constant(other) }),
          ),
          async (group, foreign) => {
            const sealedFor = 'sealedFor' in foreign ? foreign.sealedFor : group;
            if (sealedFor === group && !('secret' in foreign) && !('protection' in foreign)) return;
            figures.inputs++;
            const cookies = mintCookies({
              cookieName: group,
              sealedFor,
              secrets: ['secret' in foreign ? foreign.secret : SECRET],
              protection: 'protection' in foreign ? foreign.protection : protection,
              json: jsonFor(group),
              isStoreId: group === 'sid',
            });
            await readChecked(app, cookieHeader(cookies), [A], { [group]: 'empty' });
          },
        ),
        { numRuns: 150 },
      );
    });

    it('reads sealed values whose timestamps or kind are wrong as empty, and an old secret as intact', async () => {
      const now = Math.floor(Date.now() / 1000);
      const json = JSON.stringify(groupOf(A.data, 'session'));
      const cases: {
        createdAt?: number;
        writtenAt?: number;
        isStoreId?: boolean;
        json?: string;
      }[] = [
        { writtenAt: now - 86401 }, // idle timeout (default 86400 s)
        { createdAt: now - 2592001, writtenAt: now }, // absolute timeout (default 30 days)
        { writtenAt: now + 301 }, // written in the future, past the 300 s allowed clock skew
        { createdAt: now, writtenAt: now - 10 }, // written before it was created
        { isStoreId: true, json: JSON.stringify('abcdefghijklmnopqrstuvwxyzABCDEF') }, // an id in a cookie partition
        { json: '[1,2,3]' },
        { json: '"text"' },
        { json: 'null' },
      ];
      for (const c of cases) {
        figures.inputs++;
        const cookies = mintCookies({ cookieName: 'session', protection, json, ...c });
        await readChecked(app, cookieHeader(cookies), [A], { session: 'empty' });
      }
      // The store partition: data where an id belongs, an id that is not in the store.
      for (const c of [
        { json, isStoreId: false },
        { json: JSON.stringify('x'.repeat(32)), isStoreId: true },
      ]) {
        figures.inputs++;
        const cookies = mintCookies({ cookieName: 'sid', protection, ...c });
        const res = await app.client.get('/read', cookieHeader(cookies));
        expect(res.status).toBe(200);
        expect(res.json.data).toEqual({});
        expect(res.setCookies).toEqual([`sid=; ${DELETE_ATTRIBUTES}`]);
        app.opens.take();
      }
      // Positive control: sealed with a secret that is still accepted (not the first) → intact, re-sealed.
      figures.inputs++;
      const old = mintCookies({ cookieName: 'session', secrets: [OLD_SECRET], protection, json });
      const data = await readChecked(
        app,
        cookieHeader(old),
        [A],
        { session: [A] },
        { allowWrites: true },
      );
      expect(groupOf(data, 'session')).toEqual(groupOf(A.data, 'session'));
    });

    it('opens a sealed body of any bytes safely: empty, or exactly the JSON object it holds', async () => {
      const now = Math.floor(Date.now() / 1000);
      const jsonObject = fc
        .dictionary(
          fc.oneof(
            fc.string({ maxLength: 8 }),
            fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString'),
          ),
          fc.jsonValue({ maxDepth: 3 }),
          { maxKeys: 6 },
        )
        .filter((o) => !Object.keys(o).some((k) => FIELDS.has(k)));
      const body = fc.oneof(
        fc
          .uint8Array({ maxLength: 200 })
          .map((b) => ({ bytes: Buffer.from(b), expect: undefined as unknown })),
        fc
          .tuple(jsonObject, fc.boolean(), fc.integer({ min: 0, max: 3 }))
          .map(([o, deflate, flagBits]) => {
            const text = JSON.stringify(o);
            const raw = deflate ? deflateRawSync(Buffer.from(text)) : Buffer.from(text);
            const flags = (deflate ? 1 : 0) | (flagBits & 2);
            const head = Buffer.alloc(9);
            head[0] = flags;
            head.writeUInt32BE(now, 1);
            head.writeUInt32BE(now, 5);
            // A store id flag on a cookie partition, or a header whose flags lie, reads as empty.
            const expectObject = (flags & 2) === 0 ? (JSON.parse(text) as unknown) : undefined;
            return { bytes: Buffer.concat([head, raw]), expect: expectObject };
          }),
      );
      await fc.assert(
        fc.asyncProperty(body, async ({ bytes, expect: expected }) => {
          figures.inputs++;
          const cookies = mintCookies({ cookieName: 'session', protection, body: bytes });
          const data = await readChecked(
            app,
            cookieHeader(cookies),
            [],
            { session: 'any' },
            { otherKeys: true },
          );
          const read: Record<string, unknown> = {};
          for (const key of Object.keys(data)) {
            Object.defineProperty(read, key, {
              value: data[key],
              enumerable: true,
              writable: true,
              configurable: true,
            });
          }
          if (expected === undefined) {
            // Random bytes: the header almost never holds a live timestamp, so this is empty.
            if (Object.keys(read).length > 0)
              expect(bytes.readUInt32BE(5)).toBeGreaterThan(now - 86400);
          } else {
            expect(read).toEqual(expected);
          }
        }),
        { numRuns: 200 },
      );
    });

    it('reads a sealed compression bomb as empty', async () => {
      figures.inputs++;
      const now = Math.floor(Date.now() / 1000);
      const head = Buffer.alloc(9);
      head[0] = 1;
      head.writeUInt32BE(now, 1);
      head.writeUInt32BE(now, 5);
      const bomb = deflateRawSync(Buffer.alloc(4 * 1024 * 1024, 0x5b)); // 4 MiB of '[' in ~4 KB
      const cookies = mintCookies({
        cookieName: 'session',
        protection,
        body: Buffer.concat([head, bomb]),
      });
      expect(cookieHeader(cookies).length).toBeLessThan(MAX_TOTAL_BYTES);
      await readChecked(app, cookieHeader(cookies), [], { session: 'empty' });
    });

    it('bounds the work for thousands of cookies and megabyte values', async () => {
      const scenario = fc.oneof(
        fc.record({
          kind: fc.constant('many' as const),
          count: fc.integer({ min: 1000, max: 20000 }),
          names: fc.constantFrom('junk', 'chunks', 'same', 'mixed'),
          valueLength: fc.integer({ min: 0, max: 40 }),
          first: fc.integer({ min: 0, max: 999 }),
          withReal: fc.boolean(),
        }),
        fc.record({
          kind: fc.constant('huge' as const),
          length: fc.integer({ min: 100_000, max: 3_000_000 }),
          name: fc.constantFrom('session', 'csrf', 'sid', 'session.1', 'junk'),
          prefix: fc.constantFrom('1.', '2.', '999.', '', '4.'),
          pattern: b64String(16).filter((s) => s.length > 0),
          withReal: fc.boolean(),
        }),
      );
      await fc.assert(
        fc.asyncProperty(scenario, async (s) => {
          figures.inputs++;
          const pairs: string[] = [];
          if (s.kind === 'many') {
            const value = 'v'.repeat(s.valueLength);
            for (let i = 0; i < s.count; i++) {
              const name =
                s.names === 'junk'
                  ? `c${i}`
                  : s.names === 'chunks'
                    ? i === 0
                      ? 'session'
                      : `session.${(i % 999) + 1}`
                    : s.names === 'same'
                      ? 'session'
                      : ['session', 'csrf', 'sid', `session.${(i % 999) + 1}`, `x${i}`][i % 5]!;
              pairs.push(`${name}=${i === 0 && s.names !== 'junk' ? `${s.first}.` : ''}${value}`);
            }
          } else {
            const value =
              s.prefix +
              s.pattern.repeat(Math.ceil(s.length / s.pattern.length)).slice(0, s.length);
            pairs.push(`${s.name}=${value}`);
            if (s.name === 'session' && s.prefix !== '1.') {
              for (let i = 1; i < 4; i++) pairs.push(`session.${i}=${s.pattern.repeat(2000)}`);
            }
          }
          const real = s.withReal ? cookieHeader(allCookies(A)) : '';
          const header = s.withReal ? `${real}; ${pairs.join('; ')}` : pairs.join('; ');
          await readChecked(app, header, [A]);
        }),
        { numRuns: 40 },
      );
    });

    it('lets nothing escape: no error logged, no unhandled rejection', () => {
      expect(app.logger.errors).toEqual([]);
      expect(unhandled).toEqual([]);
    });
  },
);
