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
export * from '../framework-free.js';
