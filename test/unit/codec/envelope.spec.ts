import { describe, expect, it } from '@jest/globals';
import { deflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import {
  decodeEnvelope,
  encodeEnvelope,
  ENVELOPE_HEADER_BYTES,
} from '../../../src/codec/envelope.js';
import { deriveKey } from '../../../src/codec/keys.js';

const CREATED = 1_700_000_000;
const WRITTEN = 1_700_000_123;

/** A header with these flags, then `body`. */
function raw(flags: number, body: Buffer | string): Buffer {
  const h = Buffer.alloc(ENVELOPE_HEADER_BYTES);
  h[0] = flags;
  h.writeUInt32BE(CREATED, 1);
  h.writeUInt32BE(WRITTEN, 5);
  return Buffer.concat([h, Buffer.from(body)]);
}

describe('envelope', () => {
  it.each([
    ['data', '{"user":"ada","cart":[1,2,3]}', false, false],
    ['data, compressed', JSON.stringify({ text: 'abc'.repeat(200) }), false, true],
    ['empty data', '{}', false, false],
    ['a store id', '"AbCdEfGhIjKlMnOpQrStUvWxYz012345"', true, false],
  ])('round-trips %s with both timestamps', (_, json, isStoreId, compress) => {
    const bytes = encodeEnvelope(CREATED, WRITTEN, json, isStoreId, compress);
    const envelope = decodeEnvelope(bytes);
    const times = { createdAt: CREATED, writtenAt: WRITTEN, remembered: false };
    expect(envelope).toEqual(
      isStoreId
        ? { ...times, storeId: JSON.parse(json), json }
        : { ...times, data: JSON.parse(json), json },
    );
  });

  it.each([
    ['data', '{"user":"ada"}', false, false, 4],
    ['data, compressed', JSON.stringify({ text: 'abc'.repeat(200) }), false, true, 5],
    ['a store id', '"AbCdEfGhIjKlMnOpQrStUvWxYz012345"', true, false, 6],
  ])('carries the remembered mark as flag 4: %s', (_, json, isStoreId, compress, flags) => {
    const bytes = encodeEnvelope(CREATED, WRITTEN, json, isStoreId, compress, true);
    expect(bytes[0]).toBe(flags);
    const envelope = decodeEnvelope(bytes);
    expect(envelope?.remembered).toBe(true);
    expect(envelope?.json).toBe(json);
    // Without the mark, the same bytes but the flag (a cookie written before the mark existed).
    const plain = encodeEnvelope(CREATED, WRITTEN, json, isStoreId, compress);
    expect(plain[0]).toBe(flags & ~4);
    expect(plain.subarray(1)).toEqual(bytes.subarray(1));
    expect(decodeEnvelope(plain)?.remembered).toBe(false);
  });

  it('is header + JSON bytes uncompressed, and compresses only when smaller', () => {
    const json = '{"a":"é"}';
    expect(encodeEnvelope(CREATED, WRITTEN, json, false, false).length).toBe(
      ENVELOPE_HEADER_BYTES + Buffer.byteLength(json),
    );
    // Too short to gain from deflate: stored as is, flag clear.
    const small = encodeEnvelope(CREATED, WRITTEN, '{"a":1}', false, true);
    expect(small[0]).toBe(0);
    expect(small.length).toBe(ENVELOPE_HEADER_BYTES + 7);
    const big = encodeEnvelope(
      CREATED,
      WRITTEN,
      JSON.stringify({ t: 'x'.repeat(1000) }),
      false,
      true,
    );
    expect(big[0]).toBe(1);
    expect(big.length).toBeLessThan(100);
  });

  it.each([
    ['too short', Buffer.alloc(ENVELOPE_HEADER_BYTES - 1)],
    ['unknown flag', raw(8, '{}')],
    ['unknown flag beside the remembered one', raw(4 | 16, '{}')],
    ['not JSON', raw(0, '{"a":')],
    ['JSON array', raw(0, '[1,2]')],
    ['JSON null', raw(0, 'null')],
    ['JSON string as data', raw(0, '"id"')],
    ['JSON object as store id', raw(2, '{"a":1}')],
    ['bad deflate', raw(1, Buffer.from([0xff, 0xff, 0xff]))],
    ['deflate bomb over 1 MiB', raw(1, deflateRawSync(Buffer.from(`"${'a'.repeat(2 << 20)}"`)))],
  ])('reads %s as undefined', (_, bytes) => {
    expect(decodeEnvelope(bytes)).toBeUndefined();
  });

  it('keeps __proto__ as an own property, never a prototype', () => {
    const envelope = decodeEnvelope(raw(0, '{"__proto__":{"polluted":true}}'));
    expect(envelope?.data).toBeDefined();
    expect(Object.getPrototypeOf(envelope!.data)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('property: any JSON object round-trips, compressed or not', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.boolean(), (data, compress) => {
        const json = JSON.stringify(data);
        const envelope = decodeEnvelope(encodeEnvelope(CREATED, WRITTEN, json, false, compress));
        expect(envelope?.json).toBe(json);
        expect(envelope?.createdAt).toBe(CREATED);
        expect(envelope?.writtenAt).toBe(WRITTEN);
      }),
      { numRuns: 200 },
    );
  });
});

describe('deriveKey', () => {
  it('derives distinct 32-byte keys and 4-byte ids per secret and purpose, deterministically', () => {
    const a = deriveKey('unit-secret-A-0123456789abcdefghijklmnop', 'encrypt');
    const again = deriveKey('unit-secret-A-0123456789abcdefghijklmnop', 'encrypt');
    const signing = deriveKey('unit-secret-A-0123456789abcdefghijklmnop', 'sign');
    const b = deriveKey('unit-secret-B-0123456789abcdefghijklmnop', 'encrypt');
    expect(a.key.length).toBe(32);
    expect(a.id.length).toBe(4);
    expect(again.key.equals(a.key)).toBe(true);
    expect(again.id.equals(a.id)).toBe(true);
    expect(signing.key.equals(a.key)).toBe(false);
    expect(b.key.equals(a.key)).toBe(false);
    expect(b.id.equals(a.id)).toBe(false);
  });
});
