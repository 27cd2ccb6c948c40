/**
 * Byte counting for `JSON.stringify` output without serializing a whole object: an object's JSON
 * is `{` + its visible entries joined by `,` + `}`, and each entry is `"key":value`.
 */

/** UTF-8 bytes of `JSON.stringify(value)`, or `undefined` where JSON drops the value (functions, `undefined`, symbols). */
export function jsonValueBytes(value: unknown): number | undefined {
  const json = JSON.stringify(value) as string | undefined;
  return json === undefined ? undefined : Buffer.byteLength(json);
}

/** UTF-8 bytes of `"key":` (quoted, escaped key and the colon). */
export function keyPrefixBytes(key: string): number {
  return Buffer.byteLength(JSON.stringify(key)) + 1;
}

/** UTF-8 bytes of `"key":value` inside an object, or 0 where JSON drops the entry. */
export function entryBytes(key: string, value: unknown): number {
  const valueBytes = jsonValueBytes(value);
  return valueBytes === undefined ? 0 : keyPrefixBytes(key) + valueBytes;
}

/** Bytes of an object's JSON from the sum of its visible entries' bytes and how many there are. */
export function objectBytes(entriesBytes: number, visibleEntries: number): number {
  return visibleEntries === 0 ? 2 : 2 + entriesBytes + visibleEntries - 1;
}

/**
 * Byte length of `JSON.stringify(data)` computed from per-key sizes, as the shrink engine keeps
 * them. Equal to `Buffer.byteLength(JSON.stringify(data))` for session data: own enumerable string
 * keys, values without key-dependent `toJSON` and no own `toJSON` function on `data` itself.
 */
export function jsonByteLength(data: Record<string, unknown>): number {
  let sum = 0;
  let visible = 0;
  for (const key of Object.keys(data)) {
    const bytes = entryBytes(key, data[key]);
    if (bytes > 0) {
      sum += bytes;
      visible++;
    }
  }
  return objectBytes(sum, visible);
}
