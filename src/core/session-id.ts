import { randomBytes } from 'node:crypto';

/** A new store id: 192 random bits, base64url (32 characters). */
export function newSessionId(): string {
  return randomBytes(24).toString('base64url');
}
