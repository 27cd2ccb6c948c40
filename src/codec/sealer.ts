import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { deriveKey, type DerivedKey } from './keys.js';

/** Seals bytes into a base64url string bound to one cookie name, and opens it again. */
export interface Sealer {
  /**
   * Seals with the first secret. The result is base64url. `text`, when given, is sealed after
   * `plaintext`, as UTF-8: a JSON body need not be copied into a Buffer first.
   */
  seal(cookieName: string, plaintext: Buffer, text?: string): string;
  /** The plaintext and which secret opened it (0 = the first), or `undefined` for anything not sealed by us. */
  open(cookieName: string, sealed: string): { plaintext: Buffer; keyIndex: number } | undefined;
  /** The exact length, in characters, of `seal()`'s output for a plaintext of this many bytes. */
  sealedLength(plaintextBytes: number): number;
}

/** AES-256-GCM under the secret's key itself: still opened, no longer written. */
const VERSION_ENCRYPT_V1 = 1;
const VERSION_SIGN = 2;
/** AES-256-GCM under a sub-key (see `SUB_KEY_SEALS`): what `encrypt` writes. */
const VERSION_ENCRYPT = 3;
const HEADER = 5; // version (1) + key id (4)
/** Version 3: version (1) + key id (4) + sub-key salt (8). */
const SALT = 8;
const HEADER_V3 = HEADER + SALT;
const IV = 12;
const TAG = 16;
const MAC = 32;

/**
 * Every version byte a sealed value may start with: its protection, the fewest bytes a value of
 * it has (header, IV and tag, or MAC), and whether it is still written. For readers that explain
 * a value (the inspector); opening is `Sealer.open`'s alone.
 */
export const SEAL_VERSIONS: Readonly<
  Record<number, { protection: 'encrypt' | 'sign'; minBytes: number; written: boolean }>
> = {
  [VERSION_ENCRYPT_V1]: { protection: 'encrypt', minBytes: HEADER + IV + TAG, written: false },
  [VERSION_SIGN]: { protection: 'sign', minBytes: HEADER + MAC, written: true },
  [VERSION_ENCRYPT]: { protection: 'encrypt', minBytes: HEADER_V3 + IV + TAG, written: true },
};

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

/** Texts up to this many characters are sealed in one `update` with the plaintext before them. */
const SHORT_TEXT = 1024;

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

/**
 * AES-GCM with random 96-bit IVs is safe for about 2^32 seals under one key (NIST SP 800-38D
 * §8.3: the chance of a repeated IV must stay below 2^-32). Version 3 therefore never seals
 * under the secret's key itself: each sealer draws a random 64-bit salt and seals under
 * `HKDF-SHA256(key, salt, SUB_KEY_INFO)`, the salt travelling in the sealed value, and draws a
 * new salt after `SUB_KEY_SEALS` seals. A repeated IV then needs two seals under one sub-key:
 * after T seals in all, the chance is about T · SUB_KEY_SEALS / 2^97, below 2^-32 up to
 * T = 2^47 seals (4 000 years at 1 000 seals a second, 4 years at a million). One HKDF per 2^18
 * seals costs
 * nothing per seal (bench/seal-cost.mjs: 0.99 to 1.01 times the seal under the key itself, for
 * 200 B to 12 KB); an HKDF on every seal, as iron does, measured 2.3 to 4.5 times the seal.
 */
export const SUB_KEY_SEALS = 2 ** 18;
const SUB_KEY_INFO = 'nestjs-chunked-session aes-256-gcm v3 sub-key';
/** Sub-keys kept for opening; past it the cache starts again (a forged salt costs one HKDF). */
const SUB_KEY_CACHE_MAX = 1024;

interface SubKey {
  key: Buffer;
  /** `version | key id | salt`, the first 13 bytes of every value sealed under it. */
  header: Buffer;
  /** AAD per cookie name: the header, then the name. */
  aads: Map<string, Buffer>;
}

function deriveSubKey(key: DerivedKey, salt: Buffer): SubKey {
  const header = Buffer.concat([Buffer.from([VERSION_ENCRYPT]), key.id, salt]);
  return {
    key: Buffer.from(hkdfSync('sha256', key.key, salt, SUB_KEY_INFO, 32)),
    header,
    aads: new Map(),
  };
}

function aadOf(sub: { header: Buffer; aads: Map<string, Buffer> }, cookieName: string): Buffer {
  let aad = sub.aads.get(cookieName);
  if (!aad) {
    if (sub.aads.size >= AAD_CACHE_MAX) sub.aads.clear();
    aad = Buffer.concat([sub.header, Buffer.from(cookieName, 'utf8')]);
    sub.aads.set(cookieName, aad);
  }
  return aad;
}

/**
 * Opens `header | iv | ciphertext | tag` (the header `headerLength` bytes); `undefined` when
 * the tag does not verify. The tag is checked by node:crypto, all 16 bytes.
 */
function decrypt(
  key: Buffer,
  bytes: Buffer,
  headerLength: number,
  aad: Buffer,
): Buffer | undefined {
  try {
    const decipher = createDecipheriv(
      'aes-256-gcm',
      key,
      bytes.subarray(headerLength, headerLength + IV),
    );
    decipher.setAAD(aad);
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG));
    const out = decipher.update(bytes.subarray(headerLength + IV, bytes.length - TAG));
    const final = decipher.final();
    return final.length === 0 ? out : Buffer.concat([out, final]);
  } catch {
    return undefined;
  }
}

/**
 * AES-256-GCM. Writes version 3: `version | key id | salt | iv | ciphertext | tag` under the
 * sub-key, with the first 13 bytes and the cookie name as AAD. Also opens version 1 (before
 * sub-keys): `version | key id | iv | ciphertext | tag` under the key itself, with version,
 * key id and cookie name as AAD.
 */
function encryptSealer(keys: DerivedKey[], subKeySeals: number): Sealer {
  const byId = indexKeys(keys);
  let sealing = deriveSubKey(keys[0]!, randomBytes(SALT));
  let sealsLeft = subKeySeals;
  /** Sub-keys met while opening: per key index, by salt (read as one 64-bit number). */
  const opening = keys.map(() => new Map<bigint, SubKey>());
  const subKeyFor = (keyIndex: number, bytes: Buffer): SubKey => {
    // Most values were sealed by this sealer's current sub-key: the first key's, the same salt
    // (the salt is no secret; it travels in the value).
    if (
      keyIndex === 0 &&
      bytes.readUInt32BE(HEADER) === sealing.header.readUInt32BE(HEADER) &&
      bytes.readUInt32BE(HEADER + 4) === sealing.header.readUInt32BE(HEADER + 4)
    ) {
      return sealing;
    }
    const known = opening[keyIndex]!;
    const salt = bytes.readBigUInt64BE(HEADER);
    let sub = known.get(salt);
    if (!sub) {
      if (known.size >= SUB_KEY_CACHE_MAX) known.clear();
      sub = deriveSubKey(keys[keyIndex]!, bytes.subarray(HEADER, HEADER_V3));
      known.set(salt, sub);
    }
    return sub;
  };
  /** Version 1's AAD per cookie name and key: `version | key id | cookie name`. */
  const v1Headers = keys.map(({ id }) => ({
    header: Buffer.from([VERSION_ENCRYPT_V1, id[0]!, id[1]!, id[2]!, id[3]!]),
    aads: new Map<string, Buffer>(),
  }));
  return {
    seal(cookieName, plaintext, text) {
      if (sealsLeft === 0) {
        sealing = deriveSubKey(keys[0]!, randomBytes(SALT));
        sealsLeft = subKeySeals;
      }
      sealsLeft--;
      const iv = nextIv();
      const cipher = createCipheriv('aes-256-gcm', sealing.key, iv);
      cipher.setAAD(aadOf(sealing, cookieName));
      // GCM is a stream mode: every update gives back as many bytes as it was given. A short
      // text is copied after the plaintext (into Buffer's pool) instead: a second update costs
      // more than copying a few hundred bytes (bench/NOTES.md, round 3).
      if (text !== undefined && text.length <= SHORT_TEXT) {
        const joined = Buffer.allocUnsafe(plaintext.length + Buffer.byteLength(text, 'utf8'));
        plaintext.copy(joined, 0);
        joined.write(text, plaintext.length, 'utf8');
        plaintext = joined;
        text = undefined;
      }
      const head = cipher.update(plaintext);
      const body = text === undefined ? undefined : cipher.update(text, 'utf8');
      const final = cipher.final();
      const bodyLength = head.length + (body?.length ?? 0) + final.length;
      // One buffer: `header | iv | ciphertext | tag`.
      const out = Buffer.allocUnsafe(HEADER_V3 + IV + bodyLength + TAG);
      sealing.header.copy(out, 0);
      iv.copy(out, HEADER_V3);
      let at = HEADER_V3 + IV;
      at += head.copy(out, at);
      if (body) at += body.copy(out, at);
      at += final.copy(out, at);
      cipher.getAuthTag().copy(out, at);
      return out.toString('base64url');
    },
    open(cookieName, sealed) {
      const bytes = decode(sealed, HEADER + IV + TAG);
      if (!bytes) return undefined;
      const version = bytes[0];
      if (version !== VERSION_ENCRYPT && version !== VERSION_ENCRYPT_V1) return undefined;
      const keyIndex = byId.get(bytes.readUInt32BE(1));
      if (keyIndex === undefined) return undefined;
      let plaintext: Buffer | undefined;
      if (version === VERSION_ENCRYPT_V1) {
        const aad = aadOf(v1Headers[keyIndex]!, cookieName);
        plaintext = decrypt(keys[keyIndex]!.key, bytes, HEADER, aad);
      } else {
        if (bytes.length < HEADER_V3 + IV + TAG) return undefined;
        const sub = subKeyFor(keyIndex, bytes);
        plaintext = decrypt(sub.key, bytes, HEADER_V3, aadOf(sub, cookieName));
      }
      return plaintext && { plaintext, keyIndex };
    },
    sealedLength: (n) => base64urlLength(HEADER_V3 + IV + n + TAG),
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
    seal(cookieName, plaintext, text) {
      const { id, key } = keys[0]!;
      const textBytes = text === undefined ? 0 : Buffer.byteLength(text, 'utf8');
      const length = plaintext.length + textBytes;
      // One buffer: `version | key id | plaintext | mac`, the MAC written into its tail.
      const bytes = Buffer.allocUnsafe(HEADER + length + MAC);
      bytes[0] = VERSION_SIGN;
      id.copy(bytes, 1);
      plaintext.copy(bytes, HEADER);
      if (text !== undefined) bytes.write(text, HEADER + plaintext.length, 'utf8');
      const signed = bytes.subarray(0, HEADER + length);
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

/**
 * The first secret seals; every secret opens. `subKeySeals` (tests only) renews the sealing
 * sub-key sooner.
 */
export function createSealer(
  secrets: readonly string[],
  protection: 'encrypt' | 'sign',
  subKeySeals = SUB_KEY_SEALS,
): Sealer {
  const keys = secrets.map((s) => deriveKey(s, protection));
  return protection === 'encrypt' ? encryptSealer(keys, subKeySeals) : signSealer(keys);
}
