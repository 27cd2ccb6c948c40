/**
 * What the framework subpaths (`nestjs-chunked-session/express`, `/fastify`) export beside their
 * own entry point: the public types, the limits table, the stores and the errors. Nothing here
 * imports NestJS, Express or Fastify.
 */
export type { SessionData, SessionHandle } from './core/session-handle.js';
export type {
  ChunkedSessionOptions,
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
export * from './stores/index.js';
export {
  ChunkedSessionError,
  ChunkedSessionOptionsError,
  SessionStoreUnavailableError,
} from './errors/errors.js';
