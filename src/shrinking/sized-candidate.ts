import { cutArrayBytes, listRun, ownToJSON, type ListRun } from './array-sizes.js';
import { jsonValueBytes, keyPrefixBytes, objectBytes } from './json-size.js';

interface Entry {
  value: unknown;
  /** Bytes of `"key":`. */
  readonly prefixBytes: number;
  /** Bytes of `"key":value`; 0 where JSON drops the entry (a function, `undefined`). */
  bytes: number;
  /** A list value's elements as measured (array-sizes.ts), once it has been handed out. */
  run: ListRun | undefined;
}

/**
 * The shallow copy of a partition's data being shrunk, with the byte length of its JSON kept up to
 * date entry by entry: a change re-measures only the value that changed.
 *
 * Values are assumed not to be mutated in place (shrinkers return new values); a shrinker that
 * mutates and returns the same object is still measured exactly. A list cut from either end is
 * sized from the one it replaces (array-sizes.ts): `remeasureIfStale` checks a candidate that fits
 * against its serialization.
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
  /** Whether a size was derived from another (array-sizes.ts) since the data was last measured. */
  private derived = false;

  /**
   * `known`: the byte length of `JSON.stringify(source)`, when the caller has it, and a key whose
   * value is a list (without its own `toJSON`): that entry is sized from it, less the others,
   * instead of serializing the list again (checked by `remeasureIfStale` like a derived size).
   */
  constructor(source: Record<string, unknown>, known?: { jsonBytes: number; key: string }) {
    let derivedEntry: Entry | undefined;
    for (const key of Object.keys(source)) {
      const value = source[key];
      const prefixBytes = keyPrefixBytes(key);
      const entry: Entry = { value, prefixBytes, bytes: 0, run: undefined };
      this.entries.set(key, entry);
      setOwn(this.data, key, value);
      if (key === known?.key && Array.isArray(value) && !ownToJSON(value)) {
        derivedEntry = entry;
        continue;
      }
      const valueBytes = jsonValueBytes(value);
      entry.bytes = valueBytes === undefined ? 0 : prefixBytes + valueBytes;
      this.count(entry.bytes, +1);
    }
    if (derivedEntry !== undefined) {
      // `{` entries joined by `,` `}`: the list's entry is what the others leave, less its comma.
      const others = objectBytes(this.entriesBytes, this.visibleEntries);
      const bytes = known!.jsonBytes - others - (this.visibleEntries > 0 ? 1 : 0);
      const valid = bytes >= derivedEntry.prefixBytes + 2; // `"key":[]` at the least
      derivedEntry.bytes = valid
        ? bytes
        : derivedEntry.prefixBytes + jsonValueBytes(derivedEntry.value)!;
      this.derived = valid;
      this.count(derivedEntry.bytes, +1);
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

  /**
   * A present key's value, to hand to its shrinker: a list's elements are copied first (once per
   * list measured whole), so that what comes back is compared with them as they were measured.
   */
  valueFor(key: string): unknown {
    const entry = this.entries.get(key)!;
    const { value } = entry;
    if (entry.run === undefined && Array.isArray(value) && !ownToJSON(value)) {
      entry.run = listRun(value);
    }
    return value;
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
    const previous = entry.value;
    // A list cut from either end of the one it replaces: sized from it (what changed only).
    const cut =
      entry.run !== undefined && Array.isArray(value) && value !== previous
        ? cutArrayBytes(entry.run, entry.bytes - entry.prefixBytes, value)
        : undefined;
    const valueBytes = cut ?? jsonValueBytes(value);
    const bytes = valueBytes === undefined ? 0 : entry.prefixBytes + valueBytes;
    const smaller = bytes < entry.bytes;
    // The same object back may have been mutated in place: it is the value either way, so record
    // what it measures now (it only counts as shrunk if smaller).
    const sameObject = value === previous && typeof value === 'object' && value !== null;
    if (smaller || sameObject) {
      // What went: the dropped elements of a list cut from either end, else the whole value.
      this.removedBytes += cut !== undefined ? entry.bytes - bytes : entry.bytes;
      this.derived ||= cut !== undefined;
      this.count(entry.bytes, -1);
      this.count(bytes, +1);
      entry.bytes = bytes;
      if (cut === undefined) entry.run = undefined; // measured whole: copied when handed out
      if (value !== previous) {
        entry.value = value;
        setOwn(this.data, key, value);
        this.frozen = undefined;
      }
    }
    return smaller;
  }

  /**
   * A list's size derived from the one it replaced trusts the elements between those compared and
   * the object elements measured earlier (array-sizes.ts): compares the kept sizes with a full
   * serialization (call it on a candidate that fits: it is small) and, if they differ, measures
   * every entry again. Says whether it did.
   */
  remeasureIfStale(): boolean {
    if (!this.derived) return false;
    this.derived = false;
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
      entry.run = undefined;
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
