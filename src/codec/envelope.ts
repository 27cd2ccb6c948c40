import { deflateRawSync, inflateRawSync } from 'node:zlib';

/**
 * What a partition's cookie carries inside the seal: its timestamps, whether the session is
 * remembered ("keep me signed in"), and either its data (a cookie partition) or the id of its
 * store record (a store partition).
 */
export type Envelope = { createdAt: number; writtenAt: number; remembered: boolean } & (
  { data: Record<string, unknown>; storeId?: undefined } | { storeId: string; data?: undefined }
);

const FLAG_DEFLATE = 1;
const FLAG_STORE_ID = 2;
/** The session is remembered: its cookies carry Max-Age, its idle window is `remember.idleTimeout`. */
const FLAG_REMEMBERED = 4;
/** flags (1) + createdAt (4) + writtenAt (4): times in whole seconds since the epoch. */
export const ENVELOPE_HEADER_BYTES = 9;
/** Inflating stops here: a sealed value is never larger than a Cookie header. */
const MAX_INFLATED_BYTES = 1 << 20;

function writeHeader(target: Buffer, flags: number, createdAt: number, writtenAt: number): void {
  target[0] = flags;
  target.writeUInt32BE(createdAt >>> 0, 1);
  target.writeUInt32BE(writtenAt >>> 0, 5);
}

function header(flags: number, createdAt: number, writtenAt: number): Buffer {
  const h = Buffer.allocUnsafe(ENVELOPE_HEADER_BYTES);
  writeHeader(h, flags, createdAt, writtenAt);
  return h;
}

/**
 * The header of an uncompressed envelope: `encodeEnvelope(…, compress: false)` is these 9 bytes
 * and then the JSON's UTF-8, which a sealer can take as text (`Sealer.seal`) without the copy.
 */
export function envelopeHeader(
  createdAt: number,
  writtenAt: number,
  isStoreId: boolean,
  remembered = false,
): Buffer {
  return header(
    (isStoreId ? FLAG_STORE_ID : 0) | (remembered ? FLAG_REMEMBERED : 0),
    createdAt,
    writtenAt,
  );
}

/**
 * The envelope's bytes. `json` is the body already serialized (the data object, or the id as a
 * JSON string); with `compress`, the body is deflated when that makes it smaller.
 */
export function encodeEnvelope(
  createdAt: number,
  writtenAt: number,
  json: string,
  isStoreId: boolean,
  compress: boolean,
  remembered = false,
): Buffer {
  let flags = (isStoreId ? FLAG_STORE_ID : 0) | (remembered ? FLAG_REMEMBERED : 0);
  if (!compress) {
    // One allocation: the header, then the JSON written in place.
    const bytes = Buffer.allocUnsafe(ENVELOPE_HEADER_BYTES + Buffer.byteLength(json, 'utf8'));
    writeHeader(bytes, flags, createdAt, writtenAt);
    bytes.write(json, ENVELOPE_HEADER_BYTES, 'utf8');
    return bytes;
  }
  let body = Buffer.from(json, 'utf8');
  const deflated = deflateRawSync(body);
  if (deflated.length < body.length) {
    body = deflated;
    flags |= FLAG_DEFLATE;
  }
  return Buffer.concat([header(flags, createdAt, writtenAt), body]);
}

/**
 * Reads an envelope, with its body's JSON text; anything malformed is `undefined`.
 * (JSON.parse makes `__proto__` an own property, never a prototype.)
 */
export function decodeEnvelope(bytes: Buffer): (Envelope & { json: string }) | undefined {
  if (bytes.length < ENVELOPE_HEADER_BYTES) return undefined;
  const flags = bytes[0]!;
  if (flags & ~(FLAG_DEFLATE | FLAG_STORE_ID | FLAG_REMEMBERED)) return undefined;
  const createdAt = bytes.readUInt32BE(1);
  const writtenAt = bytes.readUInt32BE(5);
  const remembered = (flags & FLAG_REMEMBERED) !== 0;
  try {
    const json =
      flags & FLAG_DEFLATE
        ? inflateRawSync(bytes.subarray(ENVELOPE_HEADER_BYTES), {
            maxOutputLength: MAX_INFLATED_BYTES,
          }).toString('utf8')
        : bytes.toString('utf8', ENVELOPE_HEADER_BYTES);
    const value: unknown = JSON.parse(json);
    if (flags & FLAG_STORE_ID) {
      return typeof value === 'string'
        ? { createdAt, writtenAt, remembered, storeId: value, json }
        : undefined;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    return {
      createdAt,
      writtenAt,
      remembered,
      data: value as Record<string, unknown>,
      json,
    };
  } catch {
    return undefined;
  }
}
