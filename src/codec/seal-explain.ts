import { deriveKey, type KeyPurpose } from './keys.js';
import { createSealer } from './sealer.js';

/**
 * Why a sealed value opens or not, for diagnostics (the inspector): which key id sealed it and,
 * when it does not open, whether the key is unknown or the value was changed. Reading the
 * session never uses this: it fails closed without saying why. Authentication is the sealer's
 * own `open`; this only reads the clear header in front of it (docs/FORMAT.md section 3):
 * `version (1) | key id (4) | …`, version 1 for AES-256-GCM, 2 for HMAC-SHA256.
 */
export type SealExplanation =
  | {
      ok: true;
      protection: KeyPurpose;
      /** The key id in the value, 8 hex digits. */
      keyId: string;
      /** Which of the secrets opened it: 0 is the first (the one that seals). */
      keyIndex: number;
      plaintext: Buffer;
    }
  | {
      ok: false;
      reason: SealFailure;
      protection?: KeyPurpose;
      keyId?: string;
      /** The secret whose key id the value names (`tampered` only). */
      keyIndex?: number;
    };

export type SealFailure =
  /** Not the canonical unpadded base64url spelling (a character was added, changed or quoted). */
  | 'not-base64url'
  /** Shorter than the smallest sealed value of its version, or of no version at all. */
  | 'too-short'
  /** The first byte is no version of this library. */
  | 'unknown-version'
  /** The key id is not one of the given secrets' (a retired secret, or another application's). */
  | 'unknown-key'
  /** The key is known but the value does not authenticate: changed, cut, mixed, or renamed. */
  | 'tampered';

const VERSIONS: Record<number, { protection: KeyPurpose; minBytes: number }> = {
  1: { protection: 'encrypt', minBytes: 5 + 12 + 16 }, // header, IV, GCM tag
  2: { protection: 'sign', minBytes: 5 + 32 }, // header, HMAC-SHA256
};

/** The key ids (8 hex digits) of `secrets` for one protection mode, in order. */
export function keyIds(secrets: readonly string[], protection: KeyPurpose): string[] {
  return secrets.map((secret) => deriveKey(secret, protection).id.toString('hex'));
}

/** Opens `sealed` (the joined value of cookie set `cookieName`) with `secrets`, saying why not. */
export function explainSeal(
  secrets: readonly string[],
  cookieName: string,
  sealed: string,
): SealExplanation {
  if (sealed.length === 0) return { ok: false, reason: 'too-short' };
  // A character outside the alphabet: quoted, percent-encoded or otherwise changed on the way.
  if (!/^[A-Za-z0-9_-]*$/.test(sealed)) return { ok: false, reason: 'not-base64url' };
  // No base64 text has this length: characters were cut off (or added).
  if (sealed.length % 4 === 1) return { ok: false, reason: 'too-short' };
  // A last character with unused bits set (a cut or a changed value) still names its key; the
  // sealer refuses the spelling, and the value reads as tampered below.
  const bytes = Buffer.from(sealed, 'base64url');
  const version = VERSIONS[bytes[0]!];
  if (!version) return { ok: false, reason: 'unknown-version' };
  const { protection } = version;
  if (bytes.length < version.minBytes) return { ok: false, reason: 'too-short', protection };
  const keyId = bytes.subarray(1, 5).toString('hex');
  const keyIndex = keyIds(secrets, protection).indexOf(keyId);
  if (keyIndex === -1) return { ok: false, reason: 'unknown-key', protection, keyId };
  const opened = createSealer(secrets, protection).open(cookieName, sealed);
  if (!opened) return { ok: false, reason: 'tampered', protection, keyId, keyIndex };
  return { ok: true, protection, keyId, keyIndex: opened.keyIndex, plaintext: opened.plaintext };
}
