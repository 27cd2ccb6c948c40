import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { deriveKey, type DerivedKey } from './keys.js';

/** Seals bytes into a base64url string bound to one cookie name, and opens it again. */
export interface Sealer {
  /** Seals with the first secret. The result is base64url. */
  seal(cookieName: string, plaintext: Buffer): string;
  /** The plaintext and which secret opened it (0 = the first), or `undefined` for anything not sealed by us. */
  open(cookieName: string, sealed: string): { plaintext: Buffer; keyIndex: number } | undefined;
  /** The exact length, in characters, of `seal()`'s output for a plaintext of this many bytes. */
  sealedLength(plaintextBytes: number): number;
}

const VERSION_ENCRYPT = 1;
const VERSION_SIGN = 2;
const HEADER = 5; // version (1) + key id (4)
const IV = 12;
const TAG = 16;
const MAC = 32;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Length of unpadded base64url for `bytes` bytes. */
export function base64urlLength(bytes: number): number {
  return Math.floor(bytes / 3) * 4 + [0, 2, 3][bytes % 3]!;
}

function decode(sealed: string, minBytes: number): Buffer | undefined {
  if (!BASE64URL.test(sealed) || sealed.length % 4 === 1) return undefined;
  const bytes = Buffer.from(sealed, 'base64url');
  // Only the canonical spelling: a last character whose unused low bits differ decodes to
  // the same bytes, and would let a changed cookie value read as the original.
  if (bytes.toString('base64url') !== sealed) return undefined;
  return bytes.length >= minBytes ? bytes : undefined;
}

function indexKeys(keys: DerivedKey[]): Map<string, number> {
  const byId = new Map<string, number>();
  keys.forEach((k, index) => {
    const id = k.id.toString('hex');
    if (!byId.has(id)) byId.set(id, index);
  });
  return byId;
}

/** AES-256-GCM: `version | key id | iv | ciphertext | tag`, with version, key id and cookie name as AAD. */
function encryptSealer(keys: DerivedKey[]): Sealer {
  const byId = indexKeys(keys);
  const aad = (header: Buffer, cookieName: string) =>
    Buffer.concat([header, Buffer.from(cookieName, 'utf8')]);
  return {
    seal(cookieName, plaintext) {
      const { id, key } = keys[0]!;
      const header = Buffer.from([VERSION_ENCRYPT, id[0]!, id[1]!, id[2]!, id[3]!]);
      const iv = randomBytes(IV);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(aad(header, cookieName));
      const body = cipher.update(plaintext);
      const final = cipher.final();
      return Buffer.concat([header, iv, body, final, cipher.getAuthTag()]).toString('base64url');
    },
    open(cookieName, sealed) {
      const bytes = decode(sealed, HEADER + IV + TAG);
      if (!bytes || bytes[0] !== VERSION_ENCRYPT) return undefined;
      const keyIndex = byId.get(bytes.subarray(1, HEADER).toString('hex'));
      if (keyIndex === undefined) return undefined;
      try {
        const decipher = createDecipheriv('aes-256-gcm', keys[keyIndex]!.key, bytes.subarray(HEADER, HEADER + IV));
        decipher.setAAD(aad(bytes.subarray(0, HEADER), cookieName));
        decipher.setAuthTag(bytes.subarray(bytes.length - TAG));
        const body = decipher.update(bytes.subarray(HEADER + IV, bytes.length - TAG));
        return { plaintext: Buffer.concat([body, decipher.final()]), keyIndex };
      } catch {
        return undefined;
      }
    },
    sealedLength: (n) => base64urlLength(HEADER + IV + n + TAG),
  };
}

/** HMAC-SHA256: `version | key id | plaintext | mac`, the MAC also covering the cookie name. */
function signSealer(keys: DerivedKey[]): Sealer {
  const byId = indexKeys(keys);
  const mac = (key: Buffer, cookieName: string, signed: Buffer) =>
    createHmac('sha256', key).update(cookieName, 'utf8').update('\0').update(signed).digest();
  return {
    seal(cookieName, plaintext) {
      const { id, key } = keys[0]!;
      const signed = Buffer.concat([Buffer.from([VERSION_SIGN]), id, plaintext]);
      return Buffer.concat([signed, mac(key, cookieName, signed)]).toString('base64url');
    },
    open(cookieName, sealed) {
      const bytes = decode(sealed, HEADER + MAC);
      if (!bytes || bytes[0] !== VERSION_SIGN) return undefined;
      const keyIndex = byId.get(bytes.subarray(1, HEADER).toString('hex'));
      if (keyIndex === undefined) return undefined;
      const signed = bytes.subarray(0, bytes.length - MAC);
      const expected = mac(keys[keyIndex]!.key, cookieName, signed);
      if (!timingSafeEqual(expected, bytes.subarray(bytes.length - MAC))) return undefined;
      return { plaintext: Buffer.from(signed.subarray(HEADER)), keyIndex };
    },
    sealedLength: (n) => base64urlLength(HEADER + n + MAC),
  };
}

/** The first secret seals; every secret opens. */
export function createSealer(secrets: readonly string[], protection: 'encrypt' | 'sign'): Sealer {
  const keys = secrets.map((s) => deriveKey(s, protection));
  return protection === 'encrypt' ? encryptSealer(keys) : signSealer(keys);
}
