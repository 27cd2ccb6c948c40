/**
 * FirestoreStore against a real Firestore API server running here: `@firestore-emulator/server`
 * (pure JavaScript over gRPC) in a child process on 127.0.0.1, reached by the official
 * `@google-cloud/firestore` client through FIRESTORE_EMULATOR_HOST. The emulator implements
 * BatchGetDocuments, Commit and RunQuery, which is all the store uses; it answers
 * "not implemented" to the rest (ListDocuments, BatchWrite, Write, PartitionQuery, …), and the
 * last test checks none of those was called. Nothing but loopback is dialled.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Firestore } from '@google-cloud/firestore';

import {
  ChunkedSessionError,
  ChunkedSessionOptionsError,
  SessionStoreUnavailableError,
} from '../../src/errors/errors.js';
import { FirestoreStore } from '../../src/stores/firestore-store.js';
import { PrivateFirestore, recordConnections } from '../support/private-firestore.js';
import { freePort, HOST } from '../support/private-servers.js';
import { describeStoreConformance, randomId } from './store-conformance.js';

const connections = recordConnections();
let emulator: PrivateFirestore;
let firestore: Firestore;
/** A collection of its own for each store. */
const newCollection = (): string => `sessions-${randomId()}`;

beforeAll(async () => {
  emulator = await PrivateFirestore.create();
  firestore = emulator.client();
});

afterAll(async () => {
  await emulator?.dispose();
  connections.stop();
});

describeStoreConformance(
  'FirestoreStore',
  async () => ({
    store: new FirestoreStore({ firestore, collection: newCollection() }),
    close: async () => undefined, // the emulator, and every collection in it, goes at the end
  }),
  { touch: true, ids: true, prune: true },
);

describe('FirestoreStore', () => {
  it('refuses a missing or wrong client, or a bad collection, naming the option and the fix', () => {
    const fix =
      "Pass a Firestore: new FirestoreStore({ firestore: new Firestore() }) with `import { Firestore } from '@google-cloud/firestore'`, or firebase-admin's getFirestore().";
    expect(() => new FirestoreStore({} as never)).toThrow(
      `nestjs-chunked-session: option \`FirestoreStore.firestore\` is missing. ${fix}`,
    );
    expect(() => new FirestoreStore({ firestore: {} as never })).toThrow(
      `nestjs-chunked-session: option \`FirestoreStore.firestore\` is not a Firestore instance. ${fix}`,
    );
    for (const collection of ['', 'a/b', '__x__', '..', 'a//b', 'sessions/'] as const) {
      expect(() => new FirestoreStore({ firestore, collection })).toThrow(
        ChunkedSessionOptionsError,
      );
    }
    expect(() => new FirestoreStore({ firestore, collection: 'a/b' })).toThrow(
      'nestjs-chunked-session: option `FirestoreStore.collection` must be a collection id or a path to a subcollection (got "a/b"). ' +
        "Pass a name such as 'sessions' or 'tenants/acme/sessions' (an odd number of segments, none empty, '.', '..' or of the form __name__).",
    );
    expect(new FirestoreStore({ firestore }).collection).toBe('sessions');
    expect(new FirestoreStore({ firestore, collection: 'tenants/acme/sessions' }).collection).toBe(
      'tenants/acme/sessions',
    );
  });

  it('keeps a document per record: data as JSON text, expiresAt a Timestamp', async () => {
    const collection = newCollection();
    const store = new FirestoreStore({ firestore, collection });
    const id = randomId();
    const before = Date.now();
    await store.set(id, { user: { id: 1 }, roles: ['a', ['nested']] }, 60);
    const snapshot = await firestore.collection(collection).doc(id).get();
    expect(Object.keys(snapshot.data()!).sort()).toEqual(['data', 'expiresAt']);
    expect(snapshot.get('data')).toBe('{"user":{"id":1},"roles":["a",["nested"]]}');
    const expiresAt = snapshot.get('expiresAt') as {
      toMillis(): number;
      constructor: { name: string };
    };
    expect(expiresAt.constructor.name).toBe('Timestamp');
    expect(expiresAt.toMillis()).toBeGreaterThanOrEqual(before + 60_000);
    expect(expiresAt.toMillis()).toBeLessThanOrEqual(Date.now() + 60_000);
    await store.touch(id, 3600);
    const touched = await firestore.collection(collection).doc(id).get();
    expect((touched.get('expiresAt') as { toMillis(): number }).toMillis()).toBeGreaterThan(
      Date.now() + 3590_000,
    );
    expect(touched.get('data')).toBe(snapshot.get('data'));
  });

  it('a subcollection path holds the documents under its parent', async () => {
    const parent = `tenants-${randomId()}`;
    const store = new FirestoreStore({ firestore, collection: `${parent}/acme/sessions` });
    const id = randomId();
    await store.set(id, { tenant: 'acme' }, 60);
    expect((await firestore.doc(`${parent}/acme/sessions/${id}`).get()).exists).toBe(true);
    expect(await store.get(id)).toEqual({ tenant: 'acme' });
  });

  it('an expired document the TTL policy has not deleted yet reads as missing, is not listed and is not revived by touch', async () => {
    const collection = newCollection();
    const store = new FirestoreStore({ firestore, collection });
    const [stale, live] = [randomId(), randomId()];
    await firestore
      .collection(collection)
      .doc(stale)
      .set({ data: '{"old":true}', expiresAt: new Date(Date.now() - 1000) });
    await store.set(live, { live: true }, 60);
    expect(await store.get(stale)).toBeUndefined();
    await store.touch(stale, 3600);
    expect(await store.get(stale)).toBeUndefined();
    const ids: string[] = [];
    for await (const id of store.ids()) ids.push(id);
    expect(ids).toEqual([live]);
    expect(await store.prune()).toBe(1);
    expect((await firestore.collection(collection).doc(stale).get()).exists).toBe(false);
  });

  it('a foreign document (no expiresAt, data not JSON text) reads as missing', async () => {
    const collection = newCollection();
    const store = new FirestoreStore({ firestore, collection });
    const docs = firestore.collection(collection);
    const future = new Date(Date.now() + 60_000);
    const cases = {
      [randomId()]: { data: '{"a":1}' },
      [randomId()]: { data: { a: 1 }, expiresAt: future },
      [randomId()]: { data: '[1,2]', expiresAt: future },
      [randomId()]: { data: '{"torn":', expiresAt: future },
      [randomId()]: { data: '{}', expiresAt: 'tomorrow' },
    };
    for (const [id, fields] of Object.entries(cases)) await docs.doc(id).set(fields);
    for (const id of Object.keys(cases)) expect(await store.get(id)).toBeUndefined();
  });

  it('refuses ids Firestore cannot name: set, destroy and touch reject, get is undefined', async () => {
    const store = new FirestoreStore({ firestore, collection: newCollection() });
    for (const id of ['a/b', '.', '..', '__id__', 'x'.repeat(1501), 'lone \ud800']) {
      for (const call of [store.set(id, {}, 60), store.destroy(id), store.touch(id, 60)]) {
        const error = await call.then(
          () => undefined,
          (rejection: unknown) => rejection,
        );
        expect(error).toBeInstanceOf(ChunkedSessionError);
        expect(error).toMatchObject({ code: 'ERR_SESSION_STORE_ID' });
        expect((error as Error).message).toBe(
          `nestjs-chunked-session: FirestoreStore refuses an id that Firestore cannot name (${id.length} characters): ` +
            'an id must not contain "/", be "." or "..", look like __name__, have a lone surrogate or pass 1500 bytes.',
        );
      }
      await expect(store.get(id)).resolves.toBeUndefined();
    }
  });

  it("a record over Firestore's largest field value rejects with a clear error, and the old record stays", async () => {
    const store = new FirestoreStore({ firestore, collection: newCollection() });
    const id = randomId();
    await store.set(id, { before: true }, 60);
    const big = { text: 'x'.repeat(1024 * 1024) };
    await expect(store.set(id, big, 60)).rejects.toThrow(
      new SessionStoreUnavailableError(
        `FirestoreStore: the record is too large for Firestore: ${1024 * 1024 + 11} bytes of JSON, ` +
          'over its largest field value of 1048487 bytes (1 MiB - 89). Keep less in this partition.',
      ),
    );
    expect(await store.get(id)).toEqual({ before: true });
  });

  it('prune deletes more than one commit of expired documents (500 writes each)', async () => {
    const collection = newCollection();
    const store = new FirestoreStore({ firestore, collection });
    const docs = firestore.collection(collection);
    const past = new Date(Date.now() - 1000);
    for (let start = 0; start < 620; start += 310) {
      const batch = firestore.batch();
      for (let i = start; i < start + 310; i++)
        batch.set(docs.doc(`expired-${i}`), { data: '{}', expiresAt: past });
      await batch.commit();
    }
    await store.set(randomId(), { live: true }, 60);
    expect(await store.prune()).toBe(620);
    expect((await docs.get()).size).toBe(1);
  });

  it('against a server nothing answers for, rejects with SessionStoreUnavailableError once the client gives up', async () => {
    // The Google client retries an unreachable server for about 40 s before it rejects; the
    // library's storeTimeout fails the request long before (test/reliability/faults.spec.ts).
    const nowhere = await freePort();
    const previous = process.env.FIRESTORE_EMULATOR_HOST;
    process.env.FIRESTORE_EMULATOR_HOST = `${HOST}:${nowhere}`;
    const { Firestore: FirestoreClient } = await import('@google-cloud/firestore');
    const down = new FirestoreClient({ projectId: 'nowhere' });
    if (previous === undefined) delete process.env.FIRESTORE_EMULATOR_HOST;
    else process.env.FIRESTORE_EMULATOR_HOST = previous;
    try {
      const store = new FirestoreStore({ firestore: down });
      const error = await store.get(randomId()).then(
        () => undefined,
        (rejection: unknown) => rejection,
      );
      expect(error).toBeInstanceOf(SessionStoreUnavailableError);
      expect(error).toMatchObject({ code: 'ERR_SESSION_STORE_UNAVAILABLE', status: 503 });
      expect((error as Error).message).toMatch(
        new RegExp(`^FirestoreStore: 14 UNAVAILABLE: .*ECONNREFUSED ${HOST}:${nowhere}`),
      );
      expect((error as Error).cause).toMatchObject({ code: 14 });
    } finally {
      await down.terminate();
    }
  }, 120_000);

  it('called only what the emulator implements, and dialled nothing but loopback', () => {
    expect(emulator.stderr).not.toMatch(/not implemented/i);
    expect(connections.addresses.length).toBeGreaterThan(0);
    expect(connections.addresses.filter((address) => !address.startsWith(`${HOST}:`))).toEqual([]);
  });
});
