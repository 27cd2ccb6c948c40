export type { SessionStore } from './session-store.js';
export { MemoryStore, type MemoryStoreOptions } from './memory-store.js';
export { FileStore, FILE_STORE_ID, type FileStoreOptions } from './file-store.js';
export { RedisStore, type RedisStoreOptions } from './redis-store.js';
export { MemcachedStore, type MemcachedStoreOptions } from './memcached-store.js';
export { PostgresStore, type PostgresStoreOptions } from './postgres-store.js';
export { FirestoreStore, type FirestoreStoreOptions } from './firestore-store.js';
