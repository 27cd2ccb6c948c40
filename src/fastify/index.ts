/**
 * `nestjs-chunked-session/fastify`: the Fastify plugin and everything it needs, without
 * importing NestJS or Express. `fastify` itself is only used for its types.
 */
import type { FastifyPluginCallback } from 'fastify';
import { chunkedSession as plugin } from './chunked-session.plugin.js';
import type { ChunkedSessionOptions } from '../options/options.types.js';
import './request.augmentation.js';

/** `await app.register(chunkedSession, options)`: `request.session`, `request.sessionHandle`. */
export const chunkedSession = plugin as unknown as FastifyPluginCallback<ChunkedSessionOptions>;
export default chunkedSession;
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
