/**
 * The one conformance suite every `SessionStore` passes, each against a real server.
 * A spec file calls `describeStoreConformance` with a factory that makes a fresh, empty store
 * (its own prefix, folder or table) and a `close` that removes what it made.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';

import { SessionStoreUnavailableError } from '../../src/errors/errors.js';
import type { SessionStore } from '../../src/stores/session-store.js';

export interface StoreHandle {
  store: SessionStore;
  /** Releases what the factory made (keys, folder, table, client). */
  close(): Promise<void>;
}

export interface ConformanceOptions {
  /** Which optional methods the store has; the suite checks the store agrees. */
  touch: boolean;
  ids: boolean;
  prune: boolean;
  /** How long to wait for a 1-second TTL to pass. Default 1100 ms. */
  expiryWaitMs?: number;
  /** A value inside the data the store cannot write (a programming error). Default a BigInt. */
  unwritable?: unknown;
  /**
   * Makes the store pointed at a server that cannot be reached (nothing listens on the port,
   * the folder cannot be created), when the store has one.
   */
  unreachable?: () => Promise<StoreHandle>;
}

/** A fresh random id as the library makes them: 128 bits, base64url (22 characters). */
export function randomId(): string {
  return randomBytes(16).toString('base64url');
}

const NESTED = {
  user: { id: 42, name: 'Zoë Ångström', email: 'zoe@example.com', verified: true },
  roles: ['admin', 'editor'],
  cart: [
    { sku: 'A-1', qty: 2, price: 19.99, tags: ['sale', null] },
    { sku: 'B-2', qty: 1, price: 0, tags: [] },
  ],
  prefs: { theme: { dark: true, accent: '#ff00aa' }, lang: 'de-CH', nothing: null },
  unicode: '日本語 · Ελληνικά · עברית · 🍪🚀 · "quotes" \\ back\\slash \n new line \t tab',
  emoji: { '🔑': '🗝️', 'key with spaces': 'value' },
  numbers: [0, -1, 1.5, 1e-7, Number.MAX_SAFE_INTEGER],
  empty: {},
  emptyList: [],
  deep: { a: { b: { c: { d: { e: { f: 'deep' } } } } } },
};

/**
 * "1 MB" in these tests: a record whose JSON text is 1 000 000 bytes of UTF-8 (the SI megabyte,
 * below memcached's default item limit of 1 MiB = 1 048 576 bytes, key and item header
 * included, and below Firestore's largest field value of 1 MiB − 89 bytes), its string mixing
 * 1-, 2-, 3- and 4-byte characters.
 */
export function oneMegabyteRecord(): Record<string, string> {
  const frame = Buffer.byteLength('{"text":""}');
  const unit = 'aé€🍪'; // 1 + 2 + 3 + 4 bytes
  const units = Math.floor((1_000_000 - frame) / 10);
  const text = unit.repeat(units) + 'x'.repeat(1_000_000 - frame - units * 10);
  return { text };
}

/** Objects in arrays in objects, `depth` levels: deeper than any session needs. */
function deeplyNested(depth: number): Record<string, unknown> {
  let value: unknown = 'bottom';
  for (let level = 0; level < depth; level++) value = level % 2 ? [value, level] : { level: value };
  return { root: value };
}

/** Strings JSON carries that byte-oriented backends may refuse or mangle. */
const AWKWARD_STRINGS = {
  nul: 'before\u0000after',
  onlyNul: '\u0000',
  ['key\u0000with nul']: 'a NUL in a key',
  loneHigh: 'x\ud800y',
  loneLow: '\udc00',
  reversedPair: '\udc00\ud800',
  highAtEnd: 'tail\udbff',
  pairedStillFine: '\ud83c\udf6a',
  ['\ud800 key']: 'a lone surrogate in a key',
  controls: Array.from({ length: 32 }, (_, code) => String.fromCharCode(code)).join(''),
  del: '\u007f\u0080\u009f',
  separators: '\u2028\u2029\ufeff\ufffe\uffff',
  backslashU: '\\u0000 is six characters here',
  '': 'the empty key',
};

async function collect(iterable: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const id of iterable) out.push(id);
  return out.sort();
}

export function describeStoreConformance(
  name: string,
  makeStore: () => Promise<StoreHandle>,
  opts: ConformanceOptions,
): void {
  // A capability the store does not have gets no test at all (rather than a skipped one), so a
  // full run skips nothing; the first test checks the declared capabilities are the real ones.
  const noTest = (..._args: Parameters<typeof it>): void => undefined;
  const itIf = (condition: boolean) => (condition ? it : noTest);

  describe(`${name} — SessionStore conformance`, () => {
    describe('basics', () => {
      let handle: StoreHandle;
      let store: SessionStore;
      let written: string[];
      /** A fresh id, destroyed after the test. */
      const newId = (): string => {
        const id = randomId();
        written.push(id);
        return id;
      };

      beforeEach(async () => {
        handle = await makeStore();
        store = handle.store;
        written = [];
      });

      afterEach(async () => {
        await Promise.all(written.map((id) => store.destroy(id).catch(() => undefined)));
        await handle.close();
      });

      it('has exactly the optional methods declared for it', () => {
        expect({
          touch: typeof store.touch === 'function',
          ids: typeof store.ids === 'function',
          prune: typeof store.prune === 'function',
        }).toEqual({ touch: opts.touch, ids: opts.ids, prune: opts.prune });
      });

      it('get of a missing id resolves undefined', async () => {
        await expect(store.get(newId())).resolves.toBeUndefined();
      });

      it('set then get round-trips nested data and unicode', async () => {
        const id = newId();
        await expect(store.set(id, NESTED, 60)).resolves.toBeUndefined();
        expect(await store.get(id)).toEqual(NESTED);
      });

      it('an empty object round-trips as an empty object, not as undefined', async () => {
        const id = newId();
        await store.set(id, {}, 60);
        expect(await store.get(id)).toEqual({});
      });

      it('a large record (about 200 KB) round-trips', async () => {
        const id = newId();
        const data = { blob: 'x'.repeat(200_000), list: Array.from({ length: 500 }, (_, i) => i) };
        await store.set(id, data, 60);
        expect(await store.get(id)).toEqual(data);
      });

      it('set replaces the record; it does not merge', async () => {
        const id = newId();
        await store.set(id, { a: 1, b: { c: 2 } }, 60);
        await store.set(id, { b: { d: 3 } }, 60);
        expect(await store.get(id)).toEqual({ b: { d: 3 } });
      });

      it('destroy deletes the record and only that one', async () => {
        const gone = newId();
        const kept = newId();
        await store.set(gone, { n: 1 }, 60);
        await store.set(kept, { n: 2 }, 60);
        await expect(store.destroy(gone)).resolves.toBeUndefined();
        expect(await store.get(gone)).toBeUndefined();
        expect(await store.get(kept)).toEqual({ n: 2 });
      });

      it('destroy of a missing id resolves', async () => {
        await expect(store.destroy(newId())).resolves.toBeUndefined();
      });

      it('a destroyed id can be written again', async () => {
        const id = newId();
        await store.set(id, { v: 1 }, 60);
        await store.destroy(id);
        await store.set(id, { v: 2 }, 60);
        expect(await store.get(id)).toEqual({ v: 2 });
      });

      it('concurrent sets to different ids all land', async () => {
        const ids = Array.from({ length: 40 }, () => newId());
        await Promise.all(ids.map((id, i) => store.set(id, { i, name: `n${i}` }, 60)));
        const back = await Promise.all(ids.map((id) => store.get(id)));
        expect(back).toEqual(ids.map((_, i) => ({ i, name: `n${i}` })));
      });

      it('concurrent sets to one id leave one whole record', async () => {
        const id = newId();
        const values = Array.from({ length: 20 }, (_, i) => ({ i, pad: String(i).repeat(1000) }));
        await Promise.all(values.map((value) => store.set(id, value, 60)));
        const back = await store.get(id);
        expect(values).toContainEqual(back);
      });

      it('the data is copied: changing it after set, or changing what get returns, changes nothing stored', async () => {
        const id = newId();
        const data = { list: [1, 2], nested: { x: 'a' } };
        await store.set(id, data, 60);
        data.list.push(3);
        data.nested.x = 'changed';
        const first = (await store.get(id)) as typeof data;
        expect(first).toEqual({ list: [1, 2], nested: { x: 'a' } });
        first.list.push(99);
        first.nested.x = 'mutated';
        const second = await store.get(id);
        expect(second).toEqual({ list: [1, 2], nested: { x: 'a' } });
        expect(second).not.toBe(first);
      });

      it('a record read back, changed and written again, is stored as changed', async () => {
        const id = newId();
        await store.set(id, { user: 'ada', visits: 1 }, 60);
        const read = (await store.get(id))!;
        read.visits = 2;
        read.role = 'admin';
        await store.set(id, read, 60);
        expect(await store.get(id)).toEqual({ user: 'ada', visits: 2, role: 'admin' });
      });

      it('a NUL, a lone surrogate or a control character in a string or a key round-trips exactly (issue 14)', async () => {
        const id = newId();
        await expect(store.set(id, AWKWARD_STRINGS, 60)).resolves.toBeUndefined();
        const back = await store.get(id);
        expect(back).toEqual(AWKWARD_STRINGS);
        // toEqual compares strings exactly; say so for the ones a backend would replace by U+FFFD.
        expect((back as typeof AWKWARD_STRINGS).loneHigh).toBe('x\ud800y');
        expect((back as typeof AWKWARD_STRINGS).nul).toHaveLength(12);
      });

      it('a record holding a NUL replaces a plain one, and a plain one replaces it (issue 14)', async () => {
        const id = newId();
        await store.set(id, { plain: 'text' }, 60);
        await store.set(id, { form: 'typed\u0000in' }, 60);
        expect(await store.get(id)).toEqual({ form: 'typed\u0000in' });
        await store.set(id, { plain: 'again' }, 60);
        expect(await store.get(id)).toEqual({ plain: 'again' });
      });

      it('nesting 1000 levels deep (objects in arrays in objects) round-trips (issue 14)', async () => {
        const id = newId();
        const data = deeplyNested(1000);
        await store.set(id, data, 60);
        expect(await store.get(id)).toEqual(data);
      });

      it('a 1 MB record (1 000 000 bytes of JSON, 1- to 4-byte characters) round-trips (issue 14)', async () => {
        const id = newId();
        const data = oneMegabyteRecord();
        expect(Buffer.byteLength(JSON.stringify(data))).toBe(1_000_000);
        await store.set(id, data, 60);
        const back = (await store.get(id)) as typeof data | undefined;
        expect(back?.text.length).toBe(data.text.length);
        expect(back?.text === data.text).toBe(true);
      });

      it('numbers at the edges of what JSON writes round-trip (issue 14)', async () => {
        const id = newId();
        const data = {
          numbers: [
            Number.MAX_VALUE,
            Number.MIN_VALUE,
            -Number.MAX_SAFE_INTEGER,
            1e21,
            0.1,
            -1e-300,
          ],
          truth: [true, false, null],
        };
        await store.set(id, data, 60);
        expect(await store.get(id)).toEqual(data);
      });

      it('a programming error rejects with a TypeError, and writes nothing (issue 14)', async () => {
        const id = newId();
        await store.set(id, { kept: true }, 60);
        const misuses: [string, () => Promise<unknown>][] = [
          ['set: data a string', () => store.set(id, 'text' as never, 60)],
          ['set: data null', () => store.set(id, null as never, 60)],
          ['set: data an array', () => store.set(id, [1, 2] as never, 60)],
          ['set: ttl NaN', () => store.set(id, { n: 1 }, Number.NaN)],
          ['set: ttl a string', () => store.set(id, { n: 1 }, '60' as never)],
          [
            'set: a value it cannot write',
            () => store.set(id, { bad: opts.unwritable ?? 10n }, 60),
          ],
          ['set: id a number', () => store.set(42 as never, { n: 1 }, 60)],
          ['get: id a number', () => store.get(42 as never)],
          ['get: id empty', () => store.get('')],
          ['destroy: id undefined', () => store.destroy(undefined as never)],
        ];
        if (opts.touch) misuses.push(['touch: ttl NaN', () => store.touch!(id, Number.NaN)]);
        for (const [what, misuse] of misuses) {
          const error = await misuse().then(
            () => new Error(`${what}: resolved`),
            (rejection: unknown) => rejection,
          );
          expect({ what, isTypeError: error instanceof TypeError }).toEqual({
            what,
            isTypeError: true,
          });
          expect(error).not.toBeInstanceOf(SessionStoreUnavailableError);
        }
        expect(await store.get(id)).toEqual({ kept: true });
      });

      itIf(opts.touch)('touch of a live record keeps its data', async () => {
        const id = newId();
        await store.set(id, { keep: 'me' }, 60);
        await expect(store.touch!(id, 120)).resolves.toBeUndefined();
        expect(await store.get(id)).toEqual({ keep: 'me' });
      });

      itIf(opts.touch)('touch of a missing id resolves and creates nothing', async () => {
        const id = newId();
        await expect(store.touch!(id, 60)).resolves.toBeUndefined();
        expect(await store.get(id)).toBeUndefined();
      });

      itIf(opts.ids)('ids of an empty store yields nothing', async () => {
        expect(await collect(store.ids!())).toEqual([]);
      });

      itIf(opts.ids)('ids lists every id written and not destroyed, once each', async () => {
        const ids = Array.from({ length: 25 }, () => newId());
        await Promise.all(ids.map((id) => store.set(id, { id }, 60)));
        await store.destroy(ids[0]!);
        expect(await collect(store.ids!())).toEqual(ids.slice(1).sort());
      });

      itIf(opts.prune)('prune with nothing expired deletes nothing', async () => {
        const id = newId();
        await store.set(id, { live: true }, 60);
        await expect(store.prune!()).resolves.toBe(0);
        expect(await store.get(id)).toEqual({ live: true });
      });
    });

    // Everything that needs a TTL to pass shares one wait.
    describe('expiry (one wait for a 1-second TTL)', () => {
      let main: StoreHandle;
      let pruned: StoreHandle;
      const expired = randomId();
      const touched = randomId();
      const touchedMissing = randomId();
      const live = randomId();
      const pruneExpired = [randomId(), randomId(), randomId()];
      const pruneLive = randomId();

      beforeAll(async () => {
        main = await makeStore();
        pruned = await makeStore();
        await main.store.set(expired, { gone: 'soon' }, 1);
        await main.store.set(touched, { kept: 'by touch' }, 1);
        await main.store.set(live, { kept: 'by ttl' }, 3600);
        await Promise.all(pruneExpired.map((id) => pruned.store.set(id, { gone: id }, 1)));
        await pruned.store.set(pruneLive, { kept: true }, 3600);
        if (opts.touch) {
          await main.store.touch!(touched, 3600);
          await main.store.touch!(touchedMissing, 3600);
        }
        await sleep(opts.expiryWaitMs ?? 1100);
      });

      afterAll(async () => {
        for (const [handle, ids] of [
          [main, [expired, touched, touchedMissing, live]],
          [pruned, [...pruneExpired, pruneLive]],
        ] as const) {
          if (!handle) continue;
          await Promise.all(ids.map((id) => handle.store.destroy(id).catch(() => undefined)));
          await handle.close();
        }
      });

      it('a record whose TTL has passed reads as undefined', async () => {
        await expect(main.store.get(expired)).resolves.toBeUndefined();
      });

      it('a record whose TTL has not passed is still there', async () => {
        await expect(main.store.get(live)).resolves.toEqual({ kept: 'by ttl' });
      });

      itIf(opts.touch)('touch extends the lifetime past the original TTL', async () => {
        await expect(main.store.get(touched)).resolves.toEqual({ kept: 'by touch' });
      });

      itIf(opts.touch)('touch of a missing id did not create it', async () => {
        await expect(main.store.get(touchedMissing)).resolves.toBeUndefined();
      });

      itIf(opts.ids)('ids lists the live ids only', async () => {
        const expected = opts.touch ? [live, touched] : [live];
        expect(await collect(main.store.ids!())).toEqual(expected.sort());
      });

      itIf(opts.prune)('prune deletes exactly the expired records and counts them', async () => {
        await expect(pruned.store.prune!()).resolves.toBe(pruneExpired.length);
        await expect(pruned.store.prune!()).resolves.toBe(0);
        await expect(pruned.store.get(pruneLive)).resolves.toEqual({ kept: true });
        if (opts.ids) expect(await collect(pruned.store.ids!())).toEqual([pruneLive]);
      });
    });

    if (opts.unreachable) {
      const makeUnreachable = opts.unreachable;
      describe('a server that cannot be reached', () => {
        let handle: StoreHandle;
        beforeAll(async () => {
          handle = await makeUnreachable();
        });
        afterAll(async () => {
          await handle?.close();
        });

        it('every call rejects with SessionStoreUnavailableError, the cause attached (issue 14)', async () => {
          const { store } = handle;
          const id = randomId();
          const calls: [string, () => Promise<unknown>][] = [
            ['get', () => store.get(id)],
            ['set', () => store.set(id, { n: 1 }, 60)],
            ['destroy', () => store.destroy(id)],
          ];
          if (store.touch) calls.push(['touch', () => store.touch!(id, 60)]);
          if (store.ids) calls.push(['ids', () => collect(store.ids!())]);
          if (store.prune) calls.push(['prune', () => store.prune!()]);
          for (const [what, call] of calls) {
            const error = await call().then(
              () => new Error(`${what}: resolved`),
              (rejection: unknown) => rejection,
            );
            expect({ what, isUnavailable: error instanceof SessionStoreUnavailableError }).toEqual({
              what,
              isUnavailable: true,
            });
            expect(error).toMatchObject({ code: 'ERR_SESSION_STORE_UNAVAILABLE', status: 503 });
            expect((error as Error).message).toMatch(
              new RegExp(`^(nestjs-chunked-session: )?${name}`),
            );
            expect((error as Error).cause).toBeDefined();
          }
        });
      });
    }
  });
}
