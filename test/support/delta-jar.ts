/**
 * A cookie jar for the delta cookie set (src/chunking/delta-set.ts) without HTTP: it plans a
 * write against what it holds, applies the response's sets and deletions, and opens what it holds.
 */
import type { ChunkCapacity } from '../../src/chunking/chunks.js';
import { ContentCutter, type CutSizes } from '../../src/chunking/content-cuts.js';
import {
  openDeltaSet,
  planDeltaSet,
  sealDeltaSet,
  type DeltaPlan,
} from '../../src/chunking/delta-set.js';
import { encodeEnvelope } from '../../src/codec/envelope.js';
import { createSealer, type Sealer } from '../../src/codec/sealer.js';

export const JAR_SECRET = 'a-delta-set-test-secret-long-enough-0123456';
export const MODERN: ChunkCapacity = {
  maxCookieBytes: 4096,
  countsAttributes: false,
  attributesBytes: 0,
};

export interface Written {
  plan: DeltaPlan;
  sets: { name: string; value: string }[];
  envelope: Buffer;
}

export class DeltaJar {
  readonly cookies = new Map<string, string>();
  readonly sealer: Sealer;
  readonly cutter: ContentCutter;

  constructor(
    readonly options: {
      mode?: 'encrypt' | 'sign';
      capacity?: ChunkCapacity;
      sizes?: CutSizes;
      secrets?: string[];
      base?: string;
    } = {},
  ) {
    const secrets = options.secrets ?? [JAR_SECRET];
    this.sealer = createSealer(secrets, options.mode ?? 'encrypt');
    this.cutter = new ContentCutter(secrets[0]!);
  }

  get base(): string {
    return this.options.base ?? 'session';
  }

  open(cookies: ReadonlyMap<string, string> = this.cookies) {
    return openDeltaSet(this.base, cookies, this.sealer, 180, 1 << 20);
  }

  /** Plans and seals a write of `json` against the jar's cookies, without applying it. */
  write(json: string, at = 1767225600, defer = true): Written | undefined {
    const envelope = encodeEnvelope(at - 100, at, json, false, false);
    const held = this.open();
    const plan = planDeltaSet({
      base: this.base,
      envelope,
      previous: held && held.keyIndex === 0 ? held.pieces : undefined,
      present: [...this.cookies.keys()],
      cutter: this.cutter,
      sealer: this.sealer,
      capacity: this.options.capacity ?? MODERN,
      maxCookies: 180,
      sizes: this.options.sizes,
      defer,
    });
    if (!plan) return undefined;
    return { plan, sets: sealDeltaSet(plan, this.sealer), envelope };
  }

  apply(written: Written): void {
    for (const name of written.plan.deletes) this.cookies.delete(name);
    for (const { name, value } of written.sets) this.cookies.set(name, value);
  }
}
