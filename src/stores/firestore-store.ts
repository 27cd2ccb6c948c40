import type {
  CollectionReference,
  DocumentReference,
  Firestore,
  QueryDocumentSnapshot,
} from '@google-cloud/firestore';

import {
  ChunkedSessionError,
  ChunkedSessionOptionsError,
  SessionStoreUnavailableError,
} from '../errors/errors.js';
import type { SessionStore } from './session-store.js';
import {
  checkId,
  expiresAt,
  parseRecord,
  reaching,
  reachingEach,
  recordToJson,
  requireClient,
  unavailable,
} from './store-support.js';

export interface FirestoreStoreOptions {
  /**
   * A `Firestore` of `@google-cloud/firestore` (firebase-admin's `getFirestore()` returns one).
   */
  firestore: Firestore;
  /**
   * The collection holding one document per session: an id such as `'sessions'`, or a path to a
   * subcollection such as `'tenants/acme/sessions'`. Default `'sessions'`.
   */
  collection?: string;
}

const STORE = 'FirestoreStore';
/** The most writes one commit may carry (Firestore quotas: "Maximum number of writes"). */
const WRITES_PER_COMMIT = 500;
/** Firestore's largest field value: 1 MiB − 89 bytes (Firestore quotas, "Maximum size of a field value"). */
const MAX_FIELD_BYTES = 1024 * 1024 - 89;
/** Firestore's largest document id, in UTF-8 bytes. */
const MAX_ID_BYTES = 1500;
/** gRPC status codes (grpc/doc/statuscodes.md) that the Node client puts in `code`. */
const NOT_FOUND = 5;
const FAILED_PRECONDITION = 9;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Keeps each session as a document `<collection>/<id>` with two fields: `data`, the record as
 * JSON text, and `expiresAt`, a Firestore `Timestamp`; through the user's `@google-cloud/firestore`
 * client (an optional peer dependency, only its types are imported here).
 *
 * - `data` is JSON text rather than a Firestore map, so that every record JSON carries fits:
 *   maps refuse nested arrays and nesting past 20 levels, and strings are UTF-8, which has no
 *   lone surrogates (JSON.stringify escapes them). A record must fit in one field value, 1 MiB −
 *   89 bytes of JSON; a larger one rejects with `SessionStoreUnavailableError` saying so, and the
 *   old record stays. Exempt `data` from indexing (it is never queried):
 *   `gcloud firestore indexes fields update data --collection-group=<collection> --disable-indexes`.
 * - A TTL policy on `expiresAt` lets Firestore delete expired documents by itself
 *   (`gcloud firestore fields ttls update expiresAt --collection-group=<collection> --enable-ttl`);
 *   it does so within about a day, so a document whose `expiresAt` has passed reads as missing
 *   meanwhile, and `ids()` skips it. `prune()` deletes expired documents now, in commits of 500,
 *   each delete conditional on the document not having changed since the query found it.
 * - `touch` reads the document and, when it is live, updates `expiresAt` alone (an update of a
 *   document deleted meanwhile fails, and is ignored: it creates nothing).
 * - `ids()` and `prune()` are queries on `expiresAt` (the automatic single-field index serves
 *   them); the store never lists documents, and uses no transactions, batched writes of other
 *   kinds or collection-group queries.
 * - Expiry uses this process's clock, as `expiresAt` is written by it.
 * - Ids Firestore cannot name (empty, `.`, `..`, containing `/`, of the form `__…__`, over 1500
 *   bytes, or with a lone surrogate) are refused by `set`, `destroy` and `touch` with
 *   `ChunkedSessionError` code `'ERR_SESSION_STORE_ID'`; `get` answers `undefined`.
 *
 * When Firestore cannot be reached, the Node client retries by itself (an unanswered `get`
 * rejected after about 40 s here); the library's `storeTimeout` fails the request meanwhile
 * (HTTP 503), and the client's channel reconnects by itself once Firestore answers again. Every
 * failure rejects with `SessionStoreUnavailableError`, the client's error as `cause`.
 *
 * The client also retries a write that failed with UNAVAILABLE, with growing back-off, for up
 * to 10 minutes (its service config; no per-call setting reaches `set()`): a write of a request
 * already refused may land after the writes of later requests to the same session, putting the
 * older record back (seen in test/reliability/faults.spec.ts once Firestore is back). A store
 * cannot prevent it without conditional writes on `updateTime`, which cost a read per write.
 */
export class FirestoreStore implements SessionStore {
  readonly firestore: Firestore;
  /** The collection's path. */
  readonly collection: string;
  private readonly records: CollectionReference;

  constructor(options: FirestoreStoreOptions) {
    const { firestore, collection = 'sessions' } = (options ??
      {}) as Partial<FirestoreStoreOptions>;
    this.firestore = requireClient(
      'FirestoreStore.firestore',
      firestore,
      ['collection', 'batch'],
      'a Firestore instance',
      "Pass a Firestore: new FirestoreStore({ firestore: new Firestore() }) with `import { Firestore } from '@google-cloud/firestore'`, or firebase-admin's getFirestore().",
    );
    const segments = typeof collection === 'string' ? collection.split('/') : [];
    if (segments.length % 2 !== 1 || !segments.every((segment) => validDocumentId(segment))) {
      throw new ChunkedSessionOptionsError(
        'FirestoreStore.collection',
        `must be a collection id or a path to a subcollection (got ${JSON.stringify(collection)})`,
        "Pass a name such as 'sessions' or 'tenants/acme/sessions' (an odd number of segments, none empty, '.', '..' or of the form __name__).",
      );
    }
    this.collection = collection;
    this.records = this.firestore.collection(collection);
  }

  async get(id: string): Promise<Record<string, unknown> | undefined> {
    checkId(STORE, id);
    if (!validDocumentId(id)) return undefined;
    const ref = this.records.doc(id);
    const snapshot = await reaching(STORE, () => ref.get());
    if (!snapshot.exists || !isLive(snapshot.get('expiresAt'))) return undefined;
    const data: unknown = snapshot.get('data');
    return typeof data === 'string' ? parseRecord(data) : undefined;
  }

  async set(id: string, data: Record<string, unknown>, ttlSeconds: number): Promise<void> {
    const ref = this.doc(id);
    const json = recordToJson(STORE, data);
    const expires = new Date(expiresAt(STORE, ttlSeconds));
    const bytes = Buffer.byteLength(json);
    if (bytes > MAX_FIELD_BYTES) {
      throw new SessionStoreUnavailableError(
        `${STORE}: the record is too large for Firestore: ${bytes} bytes of JSON, over its ` +
          `largest field value of ${MAX_FIELD_BYTES} bytes (1 MiB - 89). Keep less in this partition.`,
      );
    }
    await reaching(STORE, () => ref.set({ data: json, expiresAt: expires }));
  }

  async destroy(id: string): Promise<void> {
    const ref = this.doc(id);
    await reaching(STORE, () => ref.delete());
  }

  async touch(id: string, ttlSeconds: number): Promise<void> {
    const ref = this.doc(id);
    const expires = new Date(expiresAt(STORE, ttlSeconds));
    const snapshot = await reaching(STORE, () => ref.get());
    if (!snapshot.exists || !isLive(snapshot.get('expiresAt'))) return;
    try {
      // An update fails with NOT_FOUND rather than create the document.
      await ref.update({ expiresAt: expires });
    } catch (error) {
      if (codeOf(error) === NOT_FOUND) return; // destroyed meanwhile: nothing to renew
      throw unavailable(STORE, error);
    }
  }

  /** Every live id, streamed from one query on `expiresAt` (no paging cursor needed). */
  async *ids(): AsyncIterable<string> {
    const query = this.records.where('expiresAt', '>', new Date()).select();
    const stream = reachingEach<QueryDocumentSnapshot>(
      STORE,
      query.stream() as AsyncIterable<QueryDocumentSnapshot>,
    );
    for await (const snapshot of stream) yield snapshot.id;
  }

  /** Deletes the documents whose `expiresAt` has passed; resolves to how many. */
  async prune(): Promise<number> {
    const query = this.records.where('expiresAt', '<=', new Date()).select();
    const { docs } = await reaching(STORE, () => query.get());
    let removed = 0;
    for (let start = 0; start < docs.length; start += WRITES_PER_COMMIT) {
      removed += await this.deleteUnchanged(docs.slice(start, start + WRITES_PER_COMMIT));
    }
    return removed;
  }

  /**
   * Deletes each document unless it was written since it was read (a `set` renewed it), in one
   * commit; when that commit fails on a changed document, one commit per document instead.
   */
  private async deleteUnchanged(docs: QueryDocumentSnapshot[]): Promise<number> {
    const batch = this.firestore.batch();
    for (const doc of docs) batch.delete(doc.ref, { lastUpdateTime: doc.updateTime });
    try {
      await batch.commit();
      return docs.length;
    } catch (error) {
      if (codeOf(error) !== FAILED_PRECONDITION) throw unavailable(STORE, error);
    }
    let removed = 0;
    for (const doc of docs) {
      try {
        await doc.ref.delete({ lastUpdateTime: doc.updateTime });
        removed++;
      } catch (error) {
        if (codeOf(error) !== FAILED_PRECONDITION) throw unavailable(STORE, error);
      }
    }
    return removed;
  }

  /** The document of an id that Firestore can name; any other id is refused. */
  private doc(id: string): DocumentReference {
    checkId(STORE, id);
    if (!validDocumentId(id)) {
      throw new ChunkedSessionError(
        'ERR_SESSION_STORE_ID',
        `nestjs-chunked-session: FirestoreStore refuses an id that Firestore cannot name ` +
          `(${id.length} characters): an id must not contain "/", be "." or "..", ` +
          'look like __name__, have a lone surrogate or pass 1500 bytes.',
      );
    }
    return this.records.doc(id);
  }
}

/** Firestore's rules for a document id (and a collection id), from its "Usage and limits" page. */
function validDocumentId(id: string): boolean {
  return (
    id.length > 0 &&
    id !== '.' &&
    id !== '..' &&
    !id.includes('/') &&
    !/^__.*__$/s.test(id) &&
    !LONE_SURROGATE.test(id) &&
    Buffer.byteLength(id) <= MAX_ID_BYTES
  );
}

/** Whether an `expiresAt` read back (a `Timestamp`) is still in the future. */
function isLive(expires: unknown): boolean {
  const toMillis = (expires as { toMillis?: unknown } | undefined)?.toMillis;
  return typeof toMillis === 'function' && (toMillis.call(expires) as number) > Date.now();
}

function codeOf(error: unknown): unknown {
  return (error as { code?: unknown } | null)?.code;
}
