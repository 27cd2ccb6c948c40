import type { SessionData, SessionHandle } from '../core/session-handle.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The session, a mutable plain object (nestjs-chunked-session). */
      session: SessionData;
      /** destroy, regenerate, touch, isNew (nestjs-chunked-session). */
      sessionHandle: SessionHandle;
    }
  }
}

export {};
