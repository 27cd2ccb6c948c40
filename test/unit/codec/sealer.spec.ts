import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { createCipheriv, randomBytes } from 'node:crypto';
import { deriveKey } from '../../../src/codec/keys.js';
import {
  base64urlLength,
  createSealer,
  SEAL_VERSIONS,
  SUB_KEY_SEALS,
  type Sealer,
} from '../../../src/codec/sealer.js';

const SECRET_A = 'unit-secret-A-0123456789abcdefghijklmnop';
const SECRET_B = 'unit-secret-B-0123456789abcdefghijklmnop';
const SECRET_C = 'unit-secret-C-0123456789abcdefghijklmnop';
const MODES = ['encrypt', 'sign'] as const;
/** Every base64url character, to flip one into another. */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** `sealed` with the character at `at` replaced by the next one of the alphabet (`shift` 1..63). */
function flipAt(sealed: string, at: number, shift = 1): string {
  const next = ALPHABET[(ALPHABET.indexOf(sealed[at]!) + shift) % ALPHABET.length]!;
  return sealed.slice(0, at) + next + sealed.slice(at + 1);
}

describe.each(MODES)('sealer (%s)', (mode) => {
  const sealer: Sealer = createSealer([SECRET_A], mode);

  it.each([
    ['empty', ''],
    ['ascii', '{"user":"ada","roles":["admin"]}'],
    ['non-ascii', '{"name":"Zoë 🍪 日本"}'],
    ['binary', '\u0000\u0001\u00ff'],
  ])('round-trips %s plaintext with keyIndex 0', (_, text) => {
    const plaintext = Buffer.from(text, 'utf8');
    const sealed = sealer.seal('session', plaintext);
    expect(sealed).toMatch(/^[A-Za-z0-9_-]+$/);
    const opened = sealer.open('session', sealed);
    expect(opened).toBeDefined();
    expect(opened!.plaintext.equals(plaintext)).toBe(true);
    expect(opened!.keyIndex).toBe(0);
  });

  it.each([
    ['short', '{"name":"Zoë 🍪 日本"}'],
    ['long', `{"note":"${'é'.repeat(3000)}"}`],
    ['empty', ''],
  ])('seals a %s text after the plaintext as their bytes in one Buffer would be', (_, text) => {
    const head = Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const whole = Buffer.concat([head, Buffer.from(text, 'utf8')]);
    const sealed = sealer.seal('session', head, text);
    expect(sealed).toHaveLength(sealer.sealedLength(whole.length));
    expect(sealer.open('session', sealed)!.plaintext.equals(whole)).toBe(true);
    expect(head.equals(Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9]))).toBe(true);
  });

  it('gives sealedLength exactly, for every size from 0 to 600 and some large ones', () => {
    const sizes = [
      ...Array.from({ length: 601 }, (_, i) => i),
      1023,
      1024,
      1025,
      4096,
      9999,
      30000,
    ];
    for (const n of sizes) {
      const sealed = sealer.seal('session', Buffer.alloc(n, 7));
      if (sealed.length !== sealer.sealedLength(n)) {
        throw new Error(
          `size ${n}: sealed ${sealed.length}, sealedLength ${sealer.sealedLength(n)}`,
        );
      }
    }
  });

  it('has the documented overhead (version, key id, sub-key salt and IV+tag, or MAC)', () => {
    const overhead = mode === 'encrypt' ? 5 + 8 + 12 + 16 : 5 + 32;
    expect(sealer.sealedLength(0)).toBe(base64urlLength(overhead));
    expect(sealer.sealedLength(300)).toBe(base64urlLength(overhead + 300));
  });

  it('refuses a value sealed for another cookie name', () => {
    const sealed = sealer.seal('session', Buffer.from('{"a":1}'));
    expect(sealer.open('session.1', sealed)).toBeUndefined();
    expect(sealer.open('other', sealed)).toBeUndefined();
    expect(sealer.open('Session', sealed)).toBeUndefined();
  });

  it('refuses a value sealed with another secret, and one sealed in the other mode', () => {
    const sealed = createSealer([SECRET_B], mode).seal('session', Buffer.from('{"a":1}'));
    expect(sealer.open('session', sealed)).toBeUndefined();
    const otherMode = createSealer([SECRET_A], mode === 'encrypt' ? 'sign' : 'encrypt');
    expect(
      sealer.open('session', otherMode.seal('session', Buffer.from('{"a":1}'))),
    ).toBeUndefined();
  });

  it('refuses every single flipped character of a sealed value', () => {
    const sealed = sealer.seal('session', Buffer.from('{"user":"ada","n":12345}'));
    for (let at = 0; at < sealed.length; at++) {
      for (const shift of [1, 17, 32, 63]) {
        const tampered = flipAt(sealed, at, shift);
        if (sealer.open('session', tampered) !== undefined) {
          throw new Error(`flipping position ${at} of ${sealed.length} by ${shift} still opened`);
        }
      }
    }
  });

  it.each([
    ['empty', ''],
    ['not base64url', '!!!!'],
    ['padded base64', 'AAAA=='],
    ['standard base64 characters', 'ab+/cdef'],
    ['impossible length', 'AAAAA'],
    ['too short', 'AQID'],
    ['JSON text', '{"user":"ada"}'],
  ])('refuses %s', (_, value) => {
    expect(sealer.open('session', value)).toBeUndefined();
  });

  it('refuses truncated and extended values', () => {
    const sealed = sealer.seal('session', Buffer.from('{"user":"ada"}'));
    for (const cut of [1, 2, 3, 4, 10, sealed.length - 1]) {
      expect(sealer.open('session', sealed.slice(0, sealed.length - cut))).toBeUndefined();
      expect(sealer.open('session', sealed.slice(cut))).toBeUndefined();
    }
    for (const extra of ['A', 'AA', 'AAAA', sealed]) {
      expect(sealer.open('session', sealed + extra)).toBeUndefined();
    }
  });

  it('seals with the first secret and opens with any, reporting which (rotation)', () => {
    const old = createSealer([SECRET_B], mode);
    const rotated = createSealer([SECRET_A, SECRET_B, SECRET_C], mode);
    const plaintext = Buffer.from('{"k":"v"}');

    const byOld = old.seal('session', plaintext);
    expect(rotated.open('session', byOld)?.keyIndex).toBe(1);
    expect(rotated.open('session', byOld)?.plaintext.toString()).toBe('{"k":"v"}');
    const byC = createSealer([SECRET_C], mode).seal('session', plaintext);
    expect(rotated.open('session', byC)?.keyIndex).toBe(2);

    const byRotated = rotated.seal('session', plaintext);
    expect(sealer.open('session', byRotated)?.keyIndex).toBe(0);
    expect(old.open('session', byRotated)).toBeUndefined();
  });

  it('property: any plaintext round-trips, under any cookie name', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 2048 }),
        fc.stringMatching(/^[A-Za-z0-9_.-]{1,40}$/),
        (bytes, name) => {
          const plaintext = Buffer.from(bytes);
          const sealed = sealer.seal(name, plaintext);
          expect(sealed.length).toBe(sealer.sealedLength(plaintext.length));
          const opened = sealer.open(name, sealed);
          expect(opened?.plaintext.equals(plaintext)).toBe(true);
          expect(opened?.keyIndex).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('property: any single changed character reads as undefined', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.nat(),
        fc.integer({ min: 1, max: 63 }),
        (bytes, position, shift) => {
          const sealed = sealer.seal('session', Buffer.from(bytes));
          const tampered = flipAt(sealed, position % sealed.length, shift);
          expect(sealer.open('session', tampered)).toBeUndefined();
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('encrypt mode', () => {
  it('hides the plaintext and uses a fresh IV on every seal', () => {
    const sealer = createSealer([SECRET_A], 'encrypt');
    const plaintext = Buffer.from('{"marker":"visible-marker-text"}');
    const a = sealer.seal('session', plaintext);
    const b = sealer.seal('session', plaintext);
    expect(a).not.toBe(b);
    expect(Buffer.from(a, 'base64url').includes('visible-marker')).toBe(false);
  });
});

/** A version 1 value, as the library sealed before sub-keys (docs/FORMAT.md). */
function sealV1(secret: string, cookieName: string, plaintext: Buffer): string {
  const { id, key } = deriveKey(secret, 'encrypt');
  const header = Buffer.concat([Buffer.from([1]), id]);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.concat([header, Buffer.from(cookieName, 'utf8')]));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([header, iv, body, cipher.getAuthTag()]).toString('base64url');
}

/** The 8-byte sub-key salt of a version 3 value, as hex. */
const saltOf = (sealed: string) => Buffer.from(sealed, 'base64url').toString('hex', 5, 13);

describe('encrypt mode: version 3, sealed under a sub-key', () => {
  const plaintext = Buffer.from('{"user":"ada"}');

  it('writes version 3: version, key id, then the sub-key salt', () => {
    const sealed = createSealer([SECRET_A], 'encrypt').seal('session', plaintext);
    const bytes = Buffer.from(sealed, 'base64url');
    expect(bytes[0]).toBe(3);
    expect(bytes.subarray(1, 5)).toEqual(deriveKey(SECRET_A, 'encrypt').id);
    expect(bytes.length).toBe(5 + 8 + 12 + plaintext.length + 16);
  });

  it('still opens version 1 values (sealed before sub-keys), with the secret that sealed them', () => {
    const sealer = createSealer([SECRET_B, SECRET_A], 'encrypt');
    const opened = sealer.open('session', sealV1(SECRET_A, 'session', plaintext));
    expect(opened?.plaintext.equals(plaintext)).toBe(true);
    expect(opened?.keyIndex).toBe(1);
    expect(sealer.open('session', sealV1(SECRET_B, 'session', plaintext))?.keyIndex).toBe(0);
    // Version 1 keeps its rules: the name is bound, and a foreign secret does not open.
    expect(sealer.open('other', sealV1(SECRET_A, 'session', plaintext))).toBeUndefined();
    expect(sealer.open('session', sealV1(SECRET_C, 'session', plaintext))).toBeUndefined();
  });

  it('refuses every flipped character of a version 1 value', () => {
    const sealer = createSealer([SECRET_A], 'encrypt');
    const sealed = sealV1(SECRET_A, 'session', plaintext);
    for (let at = 0; at < sealed.length; at++) {
      expect(sealer.open('session', flipAt(sealed, at))).toBeUndefined();
    }
  });

  it('keeps one sub-key for SUB_KEY_SEALS seals, then draws a new salt; every value opens', () => {
    expect(SUB_KEY_SEALS).toBe(2 ** 18);
    const sealer = createSealer([SECRET_A], 'encrypt', 3);
    const sealed = Array.from({ length: 7 }, () => sealer.seal('session', plaintext));
    const salts = sealed.map(saltOf);
    expect(new Set(salts.slice(0, 3)).size).toBe(1);
    expect(new Set(salts.slice(3, 6)).size).toBe(1);
    expect(new Set([salts[0], salts[3], salts[6]]).size).toBe(3);
    const other = createSealer([SECRET_A], 'encrypt');
    for (const value of sealed) {
      expect(sealer.open('session', value)?.plaintext.equals(plaintext)).toBe(true);
      expect(other.open('session', value)?.plaintext.equals(plaintext)).toBe(true);
    }
  });

  it('gives two sealers (two processes) their own sub-keys; each opens the other', () => {
    const a = createSealer([SECRET_A], 'encrypt');
    const b = createSealer([SECRET_A], 'encrypt');
    const fromA = a.seal('session', plaintext);
    const fromB = b.seal('session', plaintext);
    expect(saltOf(fromA)).not.toBe(saltOf(fromB));
    expect(b.open('session', fromA)?.plaintext.equals(plaintext)).toBe(true);
    expect(a.open('session', fromB)?.plaintext.equals(plaintext)).toBe(true);
  });

  it('refuses a value whose salt was replaced (another sub-key), and one too short for version 3', () => {
    const sealer = createSealer([SECRET_A], 'encrypt');
    const bytes = Buffer.from(sealer.seal('session', plaintext), 'base64url');
    randomBytes(8).copy(bytes, 5);
    expect(sealer.open('session', bytes.toString('base64url'))).toBeUndefined();
    // 33 bytes: long enough for version 1, not for version 3's salt, IV and tag.
    const short = Buffer.concat([bytes.subarray(0, 5), randomBytes(28)]);
    expect(sealer.open('session', short.toString('base64url'))).toBeUndefined();
  });
});

describe('SEAL_VERSIONS', () => {
  it('names every version with its protection and smallest value, and which are written', () => {
    expect(SEAL_VERSIONS).toEqual({
      1: { protection: 'encrypt', minBytes: 33, written: false },
      2: { protection: 'sign', minBytes: 37, written: true },
      3: { protection: 'encrypt', minBytes: 41, written: true },
    });
    for (const mode of MODES) {
      const sealed = Buffer.from(
        createSealer([SECRET_A], mode).seal('s', Buffer.alloc(0)),
        'base64url',
      );
      expect(SEAL_VERSIONS[sealed[0]!]).toEqual({
        protection: mode,
        minBytes: sealed.length,
        written: true,
      });
    }
  });
});

describe('sign mode', () => {
  it('keeps the plaintext readable and is deterministic', () => {
    const sealer = createSealer([SECRET_A], 'sign');
    const plaintext = Buffer.from('{"marker":"visible-marker-text"}');
    const a = sealer.seal('session', plaintext);
    expect(sealer.seal('session', plaintext)).toBe(a);
    expect(Buffer.from(a, 'base64url').includes('{"marker":"visible-marker-text"}')).toBe(true);
  });
});

describe('base64urlLength', () => {
  it.each([0, 1, 2, 3, 4, 5, 6, 100, 101, 102, 4095])(
    'is the unpadded length for %i bytes',
    (n) => {
      expect(base64urlLength(n)).toBe(Buffer.alloc(n).toString('base64url').length);
    },
  );
});
