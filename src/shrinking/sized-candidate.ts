import { arrayBytes, isRunOf, measureArray, type ArraySizes } from './array-sizes.js';
import { jsonValueBytes, keyPrefixBytes, objectBytes } from './json-size.js';

interface Entry {
  value: unknown;
  /** Bytes of `"key":`. */
  readonly prefixBytes: number;
  /** Bytes of `"key":value`; 0 where JSON drops the entry (a function, `undefined`). */
  bytes: number;
  /** Element sizes when the value is an array (see array-sizes.ts). */
  array: ArraySizes | undefined;
}

/**
 * The shallow copy of a partition's data being shrunk, with the byte length of its JSON kept up to
 * date entry by entry: a change re-measures only the value that changed.
 *
 * Values are assumed not to be mutated in place (shrinkers return new values); a shrinker that
 * mutates and returns the same object is still measured exactly. Object elements of arrays are
 * known by identity: `remeasureIfStale` checks a candidate that fits against its serialization.
 */
export class SizedCandidate {
  /** The working copy: only own enumerable string keys of the source, `__proto__` as an own key. */
  readonly data: Record<string, unknown> = {};
  private readonly entries = new Map<string, Entry>();
  private entriesBytes = 0;
  private visibleEntries = 0;
  /**
   * JSON bytes removed or replaced so far: a removed key's entry, a list's dropped elements, or
   * the whole of a value replaced by another (what the compressed fit check bounds, fit-check.ts).
   */
  removedBytes = 0;
  private frozen: Readonly<Record<string, unknown>> | undefined;

  constructor(source: Record<string, unknown>) {
    for (const key of Object.keys(source)) {
      const value = source[key];
      const valueBytes = jsonValueBytes(value);
      const prefixBytes = keyPrefixBytes(key);
      const bytes = valueBytes === undefined ? 0 : prefixBytes + valueBytes;
      this.entries.set(key, { value, prefixBytes, bytes, array: undefined });
      this.count(bytes, +1);
      setOwn(this.data, key, value);
    }
  }

  /** `Buffer.byteLength(JSON.stringify(this.data))`. */
  get jsonBytes(): number {
    return objectBytes(this.entriesBytes, this.visibleEntries);
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }

  /** Bytes of `"key":value` for a present key. */
  entryBytes(key: string): number {
    return this.entries.get(key)?.bytes ?? 0;
  }

  /** A frozen shallow copy of the data, for `ShrinkContext.session`; rebuilt only after a change. */
  snapshot(): Readonly<Record<string, unknown>> {
    this.frozen ??= Object.freeze({ ...this.data });
    return this.frozen;
  }

  /**
   * Replaces a present key's value if that makes its entry smaller, and says whether it did. A value
   * that is not smaller is not taken. Throws (changing nothing) if the value cannot be serialized.
   */
  offer(key: string, value: unknown): boolean {
    const entry = this.entries.get(key)!;
    const array = Array.isArray(value)
      ? measureArray(value, entry.array, value !== entry.value)
      : undefined;
    const valueBytes = array !== undefined ? arrayBytes(array) : jsonValueBytes(value);
    const bytes = valueBytes === undefined ? 0 : entry.prefixBytes + valueBytes;
    const smaller = bytes < entry.bytes;
    // The same object back may have been mutated in place: it is the value either way, so record
    // what it measures now (it only counts as shrunk if smaller).
    const sameObject = value === entry.value && typeof value === 'object' && value !== null;
    if (smaller || sameObject) {
      // What went: the dropped elements of a list cut from either end, else the whole value.
      const cut =
        array !== undefined &&
        !sameObject &&
        (array.derived ||
          (entry.array === undefined &&
            Array.isArray(entry.value) &&
            isRunOf(entry.value, value as unknown[])));
      this.removedBytes += cut ? entry.bytes - bytes : entry.bytes;
      this.count(entry.bytes, -1);
      this.count(bytes, +1);
      entry.bytes = bytes;
      entry.array = array;
      if (value !== entry.value) {
        entry.value = value;
        setOwn(this.data, key, value);
        this.frozen = undefined;
      }
    }
    return smaller;
  }

  /**
   * Where array elements that are objects are known by identity, one changed in place (against the
   * contract) leaves its size stale, and so does an inner element of a list trusted from its ends
   * (array-sizes.ts): compares the kept size with a full serialization (call it on a candidate that
   * fits: it is small) and, if they differ, measures every entry again. Says whether it did.
   */
  remeasureIfStale(): boolean {
    let unchecked = false;
    for (const entry of this.entries.values()) {
      unchecked ||= entry.array !== undefined && (entry.array.hasObjects || entry.array.trusted);
    }
    if (!unchecked) return false;
    let measured: number[];
    try {
      if (jsonValueBytes(this.data) === this.jsonBytes) return false;
      measured = [...this.entries.values()].map((entry) => {
        const valueBytes = jsonValueBytes(entry.value);
        return valueBytes === undefined ? 0 : entry.prefixBytes + valueBytes;
      });
    } catch {
      return false; // a value changed in place into one JSON refuses: sealing will say so
    }
    this.entriesBytes = 0;
    this.visibleEntries = 0;
    let i = 0;
    for (const entry of this.entries.values()) {
      entry.bytes = measured[i++]!;
      entry.array = undefined;
      this.count(entry.bytes, +1);
    }
    return true;
  }

  remove(key: string): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.count(entry.bytes, -1);
    this.removedBytes += entry.bytes;
    this.entries.delete(key);
    delete this.data[key];
    this.frozen = undefined;
  }

  private count(bytes: number, sign: 1 | -1): void {
    if (bytes === 0) return;
    this.entriesBytes += sign * bytes;
    this.visibleEntries += sign;
  }
}

/** `target[key] = value` as an own data property, even for `__proto__` (never a prototype change). */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  } else {
    target[key] = value;
  }
}
