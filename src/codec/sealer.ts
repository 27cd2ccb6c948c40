import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
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

/** Length of unpadded base64url for `bytes` bytes. */
export function base64urlLength(bytes: number): number {
  return Math.floor(bytes / 3) * 4 + [0, 2, 3][bytes % 3]!;
}

function decode(sealed: string, minBytes: number): Buffer | undefined {
  if (sealed.length % 4 === 1) return undefined;
  const bytes = Buffer.from(sealed, 'base64url');
  // Only the canonical spelling: re-encoding must give the text back. That refuses every
  // character outside the unpadded base64url alphabet (the decoder would skip or translate it)
  // and a last character whose unused low bits differ (it decodes to the same bytes, and would
  // let a changed cookie value read as the original). Cheaper than a regular expression.
  if (bytes.toString('base64url') !== sealed) return undefined;
  return bytes.length >= minBytes ? bytes : undefined;
}

/**
 * Random IVs, cut from a pool refilled `IV_POOL` at a time: on a busy server one `randomBytes`
 * call costs more than encrypting a small session. Each IV is handed out once, never reused.
 */
const IV_POOL = 256;
let ivPool = Buffer.alloc(0);
let ivOffset = 0;

function nextIv(): Buffer {
  if (ivOffset + IV > ivPool.length) {
    ivPool = randomBytes(IV * IV_POOL);
    ivOffset = 0;
  }
  ivOffset += IV;
  return ivPool.subarray(ivOffset - IV, ivOffset);
}

/** Cookie names whose AAD is kept; past it the cache starts again (names come from options). */
const AAD_CACHE_MAX = 64;

/** Key ids (4 bytes, read as a number) → the index of the first key with that id. */
function indexKeys(keys: DerivedKey[]): Map<number, number> {
  const byId = new Map<number, number>();
  keys.forEach((k, index) => {
    const id = k.id.readUInt32BE(0);
    if (!byId.has(id)) byId.set(id, index);
  });
  return byId;
}

/** AES-256-GCM: `version | key id | iv | ciphertext | tag`, with version, key id and cookie name as AAD. */
function encryptSealer(keys: DerivedKey[]): Sealer {
  const byId = indexKeys(keys);
  const headers = keys.map(({ id }) =>
    Buffer.from([VERSION_ENCRYPT, id[0]!, id[1]!, id[2]!, id[3]!]),
  );
  /** AAD per cookie name and key: `version | key id | cookie name`, built once. */
  let aads = new Map<string, Buffer[]>();
  const aad = (keyIndex: number, cookieName: string): Buffer => {
    let byKey = aads.get(cookieName);
    if (!byKey) {
      if (aads.size >= AAD_CACHE_MAX) aads = new Map();
      const name = Buffer.from(cookieName, 'utf8');
      byKey = headers.map((header) => Buffer.concat([header, name]));
      aads.set(cookieName, byKey);
    }
    return byKey[keyIndex]!;
  };
  return {
    seal(cookieName, plaintext) {
      const iv = nextIv();
      const cipher = createCipheriv('aes-256-gcm', keys[0]!.key, iv);
      cipher.setAAD(aad(0, cookieName));
      const body = cipher.update(plaintext);
      const final = cipher.final();
      return Buffer.concat([headers[0]!, iv, body, final, cipher.getAuthTag()]).toString(
        'base64url',
      );
    },
    open(cookieName, sealed) {
      const bytes = decode(sealed, HEADER + IV + TAG);
      if (!bytes || bytes[0] !== VERSION_ENCRYPT) return undefined;
      const keyIndex = byId.get(bytes.readUInt32BE(1));
      if (keyIndex === undefined) return undefined;
      try {
        const decipher = createDecipheriv(
          'aes-256-gcm',
          keys[keyIndex]!.key,
          bytes.subarray(HEADER, HEADER + IV),
        );
        decipher.setAAD(aad(keyIndex, cookieName));
        decipher.setAuthTag(bytes.subarray(bytes.length - TAG));
        const body = decipher.update(bytes.subarray(HEADER + IV, bytes.length - TAG));
        const final = decipher.final();
        return { plaintext: final.length === 0 ? body : Buffer.concat([body, final]), keyIndex };
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
  /** `cookie name | 0`, the MAC's first input, per cookie name. */
  let prefixes = new Map<string, Buffer>();
  const mac = (key: Buffer, cookieName: string, signed: Buffer) => {
    let prefix = prefixes.get(cookieName);
    if (!prefix) {
      if (prefixes.size >= AAD_CACHE_MAX) prefixes = new Map();
      prefix = Buffer.from(`${cookieName}\0`, 'utf8');
      prefixes.set(cookieName, prefix);
    }
    return createHmac('sha256', key).update(prefix).update(signed).digest();
  };
  return {
    seal(cookieName, plaintext) {
      const { id, key } = keys[0]!;
      // One buffer: `version | key id | plaintext | mac`, the MAC written into its tail.
      const bytes = Buffer.allocUnsafe(HEADER + plaintext.length + MAC);
      bytes[0] = VERSION_SIGN;
      id.copy(bytes, 1);
      plaintext.copy(bytes, HEADER);
      const signed = bytes.subarray(0, HEADER + plaintext.length);
      mac(key, cookieName, signed).copy(bytes, signed.length);
      return bytes.toString('base64url');
    },
    open(cookieName, sealed) {
      const bytes = decode(sealed, HEADER + MAC);
      if (!bytes || bytes[0] !== VERSION_SIGN) return undefined;
      const keyIndex = byId.get(bytes.readUInt32BE(1));
      if (keyIndex === undefined) return undefined;
      const signed = bytes.subarray(0, bytes.length - MAC);
      const expected = mac(keys[keyIndex]!.key, cookieName, signed);
      if (!timingSafeEqual(expected, bytes.subarray(bytes.length - MAC))) return undefined;
      return { plaintext: signed.subarray(HEADER), keyIndex };
    },
    sealedLength: (n) => base64urlLength(HEADER + n + MAC),
  };
}

/** The first secret seals; every secret opens. */
export function createSealer(secrets: readonly string[], protection: 'encrypt' | 'sign'): Sealer {
  const keys = secrets.map((s) => deriveKey(s, protection));
  return protection === 'encrypt' ? encryptSealer(keys) : signSealer(keys);
}
