/**
 * `nestjs-chunked-session/express`: the Express middleware and everything it needs, without
 * importing NestJS (the package root also exports these, next to the Nest module).
 */
import './request.augmentation.js';

export { chunkedSession } from './chunked-session.middleware.js';
export type { SessionData, SessionHandle } from '../core/session-handle.js';
export type {
  ChunkedSessionOptions,
  CookieOptions,
  PartitionFields,
  SessionPartition,
} from '../options/options.types.js';
export type {
  ShrinkContext,
  ShrinkEvent,
  ShrinkFunction,
  ShrinkerRegistration,
} from '../shrinking/shrink-types.js';
export type { CookieLimits } from '../limits/cookie-limits.js';
export { browserLimits } from '../limits/browser-limits.js';
export * from '../stores/index.js';
export {
  ChunkedSessionError,
  ChunkedSessionOptionsError,
  SessionStoreUnavailableError,
} from '../errors/errors.js';
