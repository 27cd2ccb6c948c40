import { describe, expect, it } from '@jest/globals';

import { ChunkedSessionOptionsError } from '../../src/errors/errors.js';
import { MemoryStore } from '../../src/stores/memory-store.js';
import { describeStoreConformance, randomId } from './store-conformance.js';

describeStoreConformance(
  'MemoryStore',
  async () => ({ store: new MemoryStore(), close: async () => undefined }),
  // structuredClone keeps what JSON cannot (a Date, a BigInt); a function it cannot copy.
  { touch: true, ids: true, prune: true, unwritable: () => 1 },
);

describe('MemoryStore', () => {
  it('defaults maxEntries to 10000', () => {
    expect(new MemoryStore().maxEntries).toBe(10000);
  });

  it.each([0, -1, 1.5, Number.NaN, Infinity, '10'])('refuses maxEntries %p', (maxEntries) => {
    let error: unknown;
    try {
      new MemoryStore({ maxEntries: maxEntries as number });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ChunkedSessionOptionsError);
    expect(error).toMatchObject({ code: 'ERR_SESSION_OPTIONS', option: 'MemoryStore.maxEntries' });
    expect((error as Error).message).toBe(
      `nestjs-chunked-session: option \`MemoryStore.maxEntries\` must be a positive integer (got ${String(maxEntries)}). ` +
        'Pass a whole number of records such as 10000, or leave it out for the default.',
    );
  });

  it('evicts the least recently used record beyond maxEntries; get refreshes recency', async () => {
    const store = new MemoryStore({ maxEntries: 3 });
    const [a, b, c, d] = [randomId(), randomId(), randomId(), randomId()];
    await store.set(a, { n: 'a' }, 60);
    await store.set(b, { n: 'b' }, 60);
    await store.set(c, { n: 'c' }, 60);
    await store.get(a); // a is now the most recent: b is the least recently used
    await store.set(d, { n: 'd' }, 60);
    expect(store.size).toBe(3);
    expect(await store.get(b)).toBeUndefined();
    expect(await store.get(a)).toEqual({ n: 'a' });
    expect(await store.get(c)).toEqual({ n: 'c' });
    expect(await store.get(d)).toEqual({ n: 'd' });
  });

  it('touch refreshes recency too, and re-setting an id does not grow the store', async () => {
    const store = new MemoryStore({ maxEntries: 2 });
    const [a, b, c] = [randomId(), randomId(), randomId()];
    await store.set(a, { n: 'a' }, 60);
    await store.set(b, { n: 'b' }, 60);
    await store.set(b, { n: 'b2' }, 60);
    expect(store.size).toBe(2);
    await store.touch(a, 60);
    await store.set(c, { n: 'c' }, 60);
    expect(await store.get(b)).toBeUndefined();
    expect(await store.get(a)).toEqual({ n: 'a' });
  });

  it('an expired record is deleted when read', async () => {
    const store = new MemoryStore();
    const id = randomId();
    await store.set(id, { n: 1 }, 0);
    expect(store.size).toBe(1);
    expect(await store.get(id)).toBeUndefined();
    expect(store.size).toBe(0);
  });

  it('keeps values JSON cannot (structuredClone), still as copies', async () => {
    const store = new MemoryStore();
    const id = randomId();
    const when = new Date('2024-01-02T03:04:05Z');
    await store.set(id, { when, tags: new Set(['x']) }, 60);
    const back = (await store.get(id)) as { when: Date; tags: Set<string> };
    expect(back.when).toEqual(when);
    expect(back.when).not.toBe(when);
    expect(back.tags).toEqual(new Set(['x']));
  });

  it('rejects data that cannot be cloned and keeps the old record', async () => {
    const store = new MemoryStore();
    const id = randomId();
    await store.set(id, { ok: true }, 60);
    const error = await store.set(id, { fn: () => 1 }, 60).catch((rejection: unknown) => rejection);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(
      /^MemoryStore: data cannot be copied: \(\) ?=> ?1 could not be cloned\.$/,
    );
    expect(await store.get(id)).toEqual({ ok: true });
  });
});
