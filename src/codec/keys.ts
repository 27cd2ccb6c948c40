import { createHmac, hkdfSync } from 'node:crypto';

/** What a derived key is for: one key per purpose, never shared between them. */
export type KeyPurpose = 'encrypt' | 'sign';

export interface DerivedKey {
  /** 4 bytes naming the key inside every sealed value, so opening needs no trial decryption. */
  id: Buffer;
  key: Buffer;
}

const SALT = 'nestjs-chunked-session';
const INFO: Record<KeyPurpose, string> = {
  encrypt: 'nestjs-chunked-session aes-256-gcm v1',
  sign: 'nestjs-chunked-session hmac-sha256 v1',
};

/** Derives a 256-bit key for one purpose from a secret with HKDF-SHA256. */
export function deriveKey(secret: string, purpose: KeyPurpose): DerivedKey {
  const key = Buffer.from(hkdfSync('sha256', secret, SALT, INFO[purpose], 32));
  const id = createHmac('sha256', key).update('key id').digest().subarray(0, 4);
  return { id, key };
}
