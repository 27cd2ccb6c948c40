import type { SessionData, SessionHandle } from '../core/session-handle.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The session, a mutable plain object (nestjs-chunked-session). */
    session: SessionData;
    /** destroy, regenerate, touch, isNew (nestjs-chunked-session). */
    sessionHandle: SessionHandle;
  }
}

export {};
