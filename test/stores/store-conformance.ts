/**
 * The one conformance suite every `SessionStore` passes, each against a real server.
 * A spec file calls `describeStoreConformance` with a factory that makes a fresh, empty store
 * (its own prefix, folder or table) and a `close` that removes what it made.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';

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
  });
}
