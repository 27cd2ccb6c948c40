import './express/request.augmentation.js';

export { ChunkedSessionModule } from './nest/chunked-session.module.js';
export { ChunkedSessionInterceptor } from './nest/chunked-session.interceptor.js';
export { CHUNKED_SESSION_OPTIONS } from './nest/chunked-session.module-definition.js';
export { Session } from './decorators/session.decorator.js';
export { SessionHandle } from './decorators/session-handle.decorator.js';
export { Shrinker } from './decorators/shrinker.decorator.js';
export { chunkedSession } from './express/chunked-session.middleware.js';

export type { SessionData } from './core/session-handle.js';
export type {
  ChunkedSessionOptions,
  ChunkedSessionOptionsFactory,
  CookieOptions,
  PartitionFields,
  SessionPartition,
} from './options/options.types.js';
export type {
  ShrinkContext,
  ShrinkEvent,
  ShrinkFunction,
  ShrinkerRegistration,
} from './shrinking/shrink-types.js';
export type { CookieLimits } from './limits/cookie-limits.js';
export { browserLimits } from './limits/browser-limits.js';
export type { SessionStore } from './stores/session-store.js';
export {
  ChunkedSessionError,
  ChunkedSessionOptionsError,
  SessionStoreUnavailableError,
} from './errors/errors.js';
export type { ChunkedSessionErrorCode } from './errors/errors.js';
export {
  MemoryStore,
  FileStore,
  RedisStore,
  MemcachedStore,
  PostgresStore,
  FirestoreStore,
  type MemoryStoreOptions,
  type FileStoreOptions,
  type RedisStoreOptions,
  type MemcachedStoreOptions,
  type PostgresStoreOptions,
  type FirestoreStoreOptions,
} from './stores/index.js';
