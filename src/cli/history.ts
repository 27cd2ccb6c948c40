/**
 * What the responses of a HAR told the browser to keep: for every cookie name, each value a
 * `Set-Cookie` line gave it and which request's response that was, and whether the latest line
 * deleted it (`Max-Age` ≤ 0 or an `Expires` in the past, RFC 6265 §5.2.1–5.2.2, §5.3 step 11).
 * Cookies are told apart by name only: the library writes all of a partition's chunks with one
 * path and domain.
 */

export interface SetBy {
  value: string;
  /** The HAR entry (1-based) whose response set it. */
  entry: number;
}

export interface CookieHistory {
  /** Every value ever set for the name, oldest first. */
  values: SetBy[];
  /** The latest state: set (with its value), or deleted. */
  current: SetBy | undefined;
}

export class SetCookieHistory {
  private readonly byName = new Map<string, CookieHistory>();

  /** Applies the `Set-Cookie` lines of entry `entry`'s response, received at `at` (ms). */
  apply(entry: number, lines: readonly string[], at: number): void {
    for (const line of lines) {
      const parsed = parseSetCookie(line, at);
      if (!parsed) continue;
      let history = this.byName.get(parsed.name);
      if (!history) {
        history = { values: [], current: undefined };
        this.byName.set(parsed.name, history);
      }
      if (parsed.deleted) {
        history.current = undefined;
      } else {
        const setBy = { value: parsed.value, entry };
        history.values.push(setBy);
        history.current = setBy;
      }
    }
  }

  get(name: string): CookieHistory | undefined {
    return this.byName.get(name);
  }

  /** The entry whose response set `name` to exactly `value`, the latest such one. */
  entryThatSet(name: string, value: string): number | undefined {
    const values = this.byName.get(name)?.values ?? [];
    for (let i = values.length - 1; i >= 0; i--)
      if (values[i]!.value === value) return values[i]!.entry;
    return undefined;
  }

  /** A longer value once set for `name` that starts with `value` (the value was cut on the way). */
  longerValueStartingWith(name: string, value: string): SetBy | undefined {
    return this.byName
      .get(name)
      ?.values.find((v) => v.value.length > value.length && v.value.startsWith(value));
  }

  /** Names currently set whose names `match` accepts. */
  currentNames(match: (name: string) => boolean): string[] {
    return [...this.byName.entries()]
      .filter(([name, h]) => h.current !== undefined && match(name))
      .map(([name]) => name);
  }
}

function parseSetCookie(
  line: string,
  at: number,
): { name: string; value: string; deleted: boolean } | undefined {
  const [pair = '', ...attributes] = line.split(';');
  const eq = pair.indexOf('=');
  if (eq < 1) return undefined;
  const name = pair.slice(0, eq).trim();
  const value = pair.slice(eq + 1).trim();
  let deleted = false;
  let maxAgeSeen = false;
  for (const attribute of attributes) {
    const [key = '', ...rest] = attribute.split('=');
    const attrValue = rest.join('=').trim();
    const lower = key.trim().toLowerCase();
    if (lower === 'max-age' && /^-?\d+$/.test(attrValue)) {
      maxAgeSeen = true; // Max-Age wins over Expires (RFC 6265 §5.3 step 3).
      deleted = Number(attrValue) <= 0;
    } else if (lower === 'expires' && !maxAgeSeen) {
      const time = Date.parse(attrValue);
      if (Number.isFinite(time)) deleted = time <= at;
    }
  }
  return { name, value, deleted };
}
