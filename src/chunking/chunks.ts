/**
 * Splitting a sealed value over cookies `name`, `name.1`, `name.2`, … and joining it again.
 * The first cookie's value starts with the number of chunks in the set and a dot (`3.xxxx`),
 * so a reader refuses a set with a chunk missing or left over. Names and sealed values are ASCII.
 */

/** What one cookie may hold. */
export interface ChunkCapacity {
  maxCookieBytes: number;
  /** Whether the attributes count against `maxCookieBytes` (then `=` and the attributes do too). */
  countsAttributes: boolean;
  /** Length of the attributes as serialized after the value (`; Path=/; HttpOnly; …`). */
  attributesBytes: number;
}

export interface ChunkPlan {
  /** Length of each cookie's value, prefix included. */
  valueLengths: number[];
  /** Sum over the cookies of name + `=` + value: what they add to the `Cookie` header, less the `; ` separators. */
  pairBytes: number;
}

/** More chunks than this are never written nor read. */
export const MAX_CHUNKS = 999;

export function chunkName(base: string, index: number): string {
  return index === 0 ? base : `${base}.${index}`;
}

/** The chunk index of `name` in the set `base`, or -1. */
export function chunkIndex(base: string, name: string): number {
  if (name === base) return 0;
  if (name.length <= base.length + 1 || !name.startsWith(base) || name[base.length] !== '.') {
    return -1;
  }
  const suffix = name.slice(base.length + 1);
  return /^[1-9][0-9]{0,2}$/.test(suffix) ? Number(suffix) : -1;
}

function capacityOf(base: string, index: number, cap: ChunkCapacity): number {
  const nameBytes = chunkName(base, index).length;
  return cap.countsAttributes
    ? cap.maxCookieBytes - nameBytes - 1 - cap.attributesBytes
    : cap.maxCookieBytes - nameBytes;
}

/** How a sealed value of this length splits, or `undefined` when it cannot (too many chunks, no room). */
export function planChunks(
  base: string,
  sealedLength: number,
  cap: ChunkCapacity,
  maxChunks = MAX_CHUNKS,
): ChunkPlan | undefined {
  // The prefix's length depends on the count; at most three digits.
  for (let digits = 1; digits <= 3; digits++) {
    const valueLengths: number[] = [];
    let left = sealedLength;
    let pairBytes = 0;
    for (let i = 0; left > 0 || i === 0; i++) {
      if (i >= maxChunks || i >= MAX_CHUNKS) return undefined;
      const prefix = i === 0 ? digits + 1 : 0;
      const room = capacityOf(base, i, cap) - prefix;
      if (room <= 0) return undefined;
      const take = Math.min(room, left);
      left -= take;
      valueLengths.push(take + prefix);
      pairBytes += chunkName(base, i).length + 1 + take + prefix;
    }
    if (String(valueLengths.length).length <= digits) return { valueLengths, pairBytes };
  }
  return undefined;
}

/** The cookies for `sealed`, following `plan`. */
export function splitChunks(
  base: string,
  sealed: string,
  plan: ChunkPlan,
): { name: string; value: string }[] {
  const count = plan.valueLengths.length;
  const prefix = `${count}.`;
  const chunks: { name: string; value: string }[] = [];
  let at = 0;
  plan.valueLengths.forEach((length, i) => {
    const take = i === 0 ? length - prefix.length : length;
    const part = sealed.slice(at, at + take);
    at += take;
    chunks.push({ name: chunkName(base, i), value: i === 0 ? prefix + part : part });
  });
  return chunks;
}

/**
 * The sealed value carried by the set `base` in `cookies`, or `undefined` when the set is
 * missing, incomplete, has chunks left over, or is larger than allowed.
 */
export function joinChunks(
  base: string,
  cookies: ReadonlyMap<string, string>,
  maxChunks: number,
  maxBytes: number,
): string | undefined {
  const first = cookies.get(base);
  if (first === undefined) return undefined;
  const dot = first.indexOf('.');
  if (dot < 1 || dot > 3) return undefined;
  const countText = first.slice(0, dot);
  if (!/^[1-9][0-9]{0,2}$/.test(countText)) return undefined;
  const count = Number(countText);
  if (count > maxChunks) return undefined;
  const parts = [first.slice(dot + 1)];
  let bytes = parts[0]!.length;
  if (bytes > maxBytes) return undefined; // a set of one chunk never reaches the loop's check
  for (let i = 1; i < count; i++) {
    const part = cookies.get(chunkName(base, i));
    if (part === undefined) return undefined;
    bytes += part.length;
    if (bytes > maxBytes) return undefined;
    parts.push(part);
  }
  if (cookies.has(chunkName(base, count))) return undefined;
  return parts.join('');
}
