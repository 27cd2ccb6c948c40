import { randomBytes } from 'node:crypto';

export function randomId(): string {
  return randomBytes(6).toString('hex');
}

/** Nest's 503 body for a store failure (the same on HTTP routes). */
export const UNAVAILABLE_BODY = {
  statusCode: 503,
  error: 'Service Unavailable',
  message: 'Session store unavailable',
  code: 'ERR_SESSION_STORE_UNAVAILABLE',
};
