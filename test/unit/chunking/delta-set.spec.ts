import { describe, expect, it } from '@jest/globals';
import { chunkName } from '../../../src/chunking/chunks.js';
import {
  DELTA_PREFIX,
  DIGEST_BYTES,
  MANIFEST_HEADER_BYTES,
  openDeltaSet,
  pieceSealName,
  responseBytes,
  valueDigest,
} from '../../../src/chunking/delta-set.js';
import { decodeEnvelope } from '../../../src/codec/envelope.js';
import { createSealer } from '../../../src/codec/sealer.js';
import { DeltaJar, JAR_SECRET, MODERN } from '../../support/delta-jar.js';

const item = (i: number) => ({ id: `p${String(i).padStart(5, '0')}`, title: `Item ${i}`, at: i });
const history = (from: number, to: number) => {
  const out = [];
  for (let i = from; i < to; i++) out.push(item(i));
  return JSON.stringify({ user: { name: 'ada' }, history: out });
};

function written(jar: DeltaJar, json: string, defer = true) {
  const w = jar.write(json, 1767225600, defer);
  expect(w).toBeDefined();
  jar.apply(w!);
  return w!;
}

describe('delta cookie set', () => {
  for (const mode of ['encrypt', 'sign'] as const) {
    it(`${mode}: round-trips, names its pieces <name>.<slot>, first cookie "${DELTA_PREFIX}"`, () => {
      const jar = new DeltaJar({ mode });
      const json = history(0, 80);
      const w = written(jar, json);
      expect(w.sets[0]!.name).toBe('session');
      expect(w.sets[0]!.value.startsWith(DELTA_PREFIX)).toBe(true);
      expect(w.sets.slice(1).map((s) => s.name)).toEqual(
        w.plan.pieces.map((_, i) => chunkName('session', i + 1)),
      );
      expect(w.plan.deletes).toEqual([]);
      const opened = jar.open()!;
      expect(opened.keyIndex).toBe(0);
      expect(opened.envelope).toEqual(w.envelope);
      expect(decodeEnvelope(opened.envelope)!.data).toEqual(JSON.parse(json));
      // The manifest's size: header, then slot (2) + digest (12) per piece.
      const manifest = jar.sealer.open('session', w.sets[0]!.value.slice(3))!.plaintext;
      expect(manifest.length).toBe(MANIFEST_HEADER_BYTES + w.plan.pieces.length * 14);
      expect(manifest[0]).toBe(0x80);
      expect(manifest[9]).toBe(w.plan.pieces.length);
      w.plan.pieces.forEach((p, i) => {
        const at = MANIFEST_HEADER_BYTES + i * 14;
        expect(manifest.readUInt16BE(at)).toBe(p.slot);
        expect(manifest.subarray(at + 2, at + 14)).toEqual(
          valueDigest(jar.cookies.get(`session.${p.slot}`)!),
        );
      });
      expect(DIGEST_BYTES).toBe(12);
    });
  }

  it('plans exactly what it seals: value lengths, pair bytes, response bytes', () => {
    const jar = new DeltaJar();
    written(jar, history(0, 90));
    const w = jar.write(history(1, 91))!;
    for (const s of w.plan.sets) {
      expect(w.sets.find((x) => x.name === s.name)!.value.length).toBe(s.valueLength);
    }
    jar.apply(w);
    const pairs = [...jar.cookies].reduce((sum, [n, v]) => sum + n.length + 1 + v.length, 0);
    expect(w.plan.pairBytes).toBe(pairs);
    expect(w.plan.cookies).toBe(jar.cookies.size);
    const attrs = '; Path=/; HttpOnly; SameSite=Lax';
    const del =
      '; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax';
    const lines = [
      ...w.sets.map((s) => `Set-Cookie: ${s.name}=${s.value}${attrs}\r\n`),
      ...w.plan.deletes.map((n) => `Set-Cookie: ${n}=${del}\r\n`),
    ];
    expect(responseBytes(w.plan, attrs.length, del.length)).toBe(lines.join('').length);
  });

  it('an append at the end and a drop at the front re-send two or three pieces, the rest keep name and value', () => {
    const jar = new DeltaJar();
    written(jar, history(0, 70));
    for (let step = 1; step <= 40; step++) {
      const before = new Map(jar.cookies);
      const w = written(jar, history(step, 70 + step));
      expect(w.sets.length - 1).toBeLessThanOrEqual(4);
      for (const p of w.plan.pieces.filter((x) => x.kept !== undefined)) {
        const name = `session.${p.slot}`;
        expect(jar.cookies.get(name)).toBe(before.get(name));
        expect(w.sets.some((s) => s.name === name)).toBe(false);
      }
      expect(decodeEnvelope(jar.open()!.envelope)!.json).toBe(history(step, 70 + step));
    }
  });

  it('with defer, new pieces avoid the previous slots and the dropped ones stay one request', () => {
    const jar = new DeltaJar();
    const first = written(jar, history(0, 70));
    const slots = first.plan.pieces.map((p) => p.slot);
    const second = written(jar, history(1, 71));
    for (const p of second.plan.pieces.filter((x) => x.kept === undefined)) {
      expect(slots).not.toContain(p.slot);
    }
    expect(second.plan.deletes).toEqual([]);
    expect(second.plan.deferred.length).toBeGreaterThan(0);
    const deferred = second.plan.deferred.map((d) => d.name);
    for (const name of deferred) expect(jar.cookies.has(name)).toBe(true);
    // The next write deletes them (or overwrites them with a new piece).
    const third = written(jar, history(2, 72));
    for (const name of deferred) {
      expect(third.plan.deletes.includes(name) || third.sets.some((s) => s.name === name)).toBe(
        true,
      );
    }
  });

  it('without defer, new pieces take the dropped slots and nothing lingers', () => {
    const jar = new DeltaJar();
    const first = written(jar, history(0, 70));
    const second = written(jar, history(1, 71), false);
    expect(second.plan.deferred).toEqual([]);
    const newSlots = second.plan.pieces.filter((p) => p.kept === undefined).map((p) => p.slot);
    const dropped = first.plan.pieces
      .map((p) => p.slot)
      .filter((s) => !second.plan.pieces.some((p) => p.slot === s));
    // The lowest free slots: those of the dropped pieces first.
    const firstSlots = first.plan.pieces.map((p) => p.slot);
    expect(newSlots.some((s) => firstSlots.includes(s))).toBe(true);
    expect(second.plan.deletes).toEqual(dropped.map((s) => `session.${s}`));
    expect(jar.cookies.size).toBe(second.plan.cookies);
  });

  it('stays within maxCookieBytes, counting the attributes where the browser does', () => {
    const attributesBytes = '; Path=/; HttpOnly; SameSite=Lax'.length;
    for (const capacity of [
      { maxCookieBytes: 600, countsAttributes: false, attributesBytes },
      { maxCookieBytes: 600, countsAttributes: true, attributesBytes },
      MODERN,
    ]) {
      const jar = new DeltaJar({ capacity });
      const w = written(jar, history(0, 120));
      for (const s of w.sets) {
        const counted = capacity.countsAttributes
          ? s.name.length + 1 + s.value.length + attributesBytes
          : s.name.length + s.value.length;
        expect(counted).toBeLessThanOrEqual(capacity.maxCookieBytes);
      }
      expect(decodeEnvelope(jar.open()!.envelope)!.json).toBe(history(0, 120));
    }
  });

  it('refuses to plan what it cannot write: no room, too many pieces, an empty body', () => {
    const tiny = new DeltaJar({ capacity: { ...MODERN, maxCookieBytes: 60 } });
    expect(tiny.write(history(0, 10))).toBeUndefined();
    const jar = new DeltaJar({ sizes: { min: 1, bits: 1, max: 1 } });
    expect(jar.write(history(0, 100))).toBeUndefined(); // thousands of pieces
  });

  it('reads another generation as empty or as exactly what it wrote', () => {
    const jar = new DeltaJar();
    const a = written(jar, history(0, 70));
    const aCookies = new Map(jar.cookies);
    written(jar, history(1, 71));
    const b = new Map(jar.cookies);
    // First cookie of A over B's pieces: A's slots are still there while deferred.
    const mixed = new Map(b);
    mixed.set('session', aCookies.get('session')!);
    const opened = jar.open(mixed);
    expect(opened === undefined || opened.envelope.equals(a.envelope)).toBe(true);
    // Replace one piece of B with A's value of the same name: refused.
    const name = [...b.keys()].find(
      (n) => n !== 'session' && aCookies.has(n) && aCookies.get(n) !== b.get(n),
    );
    if (name) {
      const broken = new Map(b);
      broken.set(name, aCookies.get(name)!);
      expect(jar.open(broken)).toBeUndefined();
    }
  });

  it.each([
    ['a missing piece', (c: Map<string, string>) => c.delete('session.2')],
    [
      'a swapped pair',
      (c: Map<string, string>) => {
        const one = c.get('session.1')!;
        c.set('session.1', c.get('session.2')!);
        c.set('session.2', one);
      },
    ],
    [
      'a changed character',
      (c: Map<string, string>) => {
        const v = c.get('session.1')!;
        c.set('session.1', (v[0] === 'A' ? 'B' : 'A') + v.slice(1));
      },
    ],
    [
      'a piece as the first cookie',
      (c: Map<string, string>) => c.set('session', DELTA_PREFIX + c.get('session.1')!),
    ],
    [
      'the manifest as a piece',
      (c: Map<string, string>) => c.set('session.1', c.get('session')!.slice(DELTA_PREFIX.length)),
    ],
    [
      'the old prefix',
      (c: Map<string, string>) =>
        c.set('session', `1.${c.get('session')!.slice(DELTA_PREFIX.length)}`),
    ],
    [
      'another version',
      (c: Map<string, string>) =>
        c.set('session', `d2.${c.get('session')!.slice(DELTA_PREFIX.length)}`),
    ],
  ])('refuses %s', (_, edit) => {
    const jar = new DeltaJar();
    written(jar, history(0, 70));
    const cookies = new Map(jar.cookies);
    edit(cookies);
    expect(jar.open(cookies)).toBeUndefined();
  });

  it('refuses a set over maxCookies or maxBytes, and a piece sealed for another name', () => {
    const jar = new DeltaJar();
    written(jar, history(0, 70));
    const count = jar.cookies.size;
    const bytes = [...jar.cookies.values()].reduce((s, v) => s + v.length, 0);
    expect(openDeltaSet('session', jar.cookies, jar.sealer, count, bytes)).toBeDefined();
    expect(openDeltaSet('session', jar.cookies, jar.sealer, count - 1, bytes)).toBeUndefined();
    expect(openDeltaSet('session', jar.cookies, jar.sealer, count, bytes - 1)).toBeUndefined();
    // The pieces are sealed under "<name> piece": the same jar under another base opens nothing.
    expect(pieceSealName('session')).toBe('session piece');
    const renamed = new Map([...jar.cookies].map(([n, v]) => [n.replace('session', 'other'), v]));
    expect(openDeltaSet('other', renamed, jar.sealer, 180, 1 << 20)).toBeUndefined();
  });

  it('an older secret opens it and says so; its pieces are then not kept', () => {
    const old = new DeltaJar({ secrets: ['an-older-secret-that-is-long-enough-00000'] });
    written(old, history(0, 70));
    const rotated = new DeltaJar({
      secrets: [JAR_SECRET, 'an-older-secret-that-is-long-enough-00000'],
    });
    for (const [n, v] of old.cookies) rotated.cookies.set(n, v);
    expect(rotated.open()!.keyIndex).toBe(1);
    const w = rotated.write(history(1, 71))!;
    expect(w.plan.pieces.every((p) => p.kept === undefined)).toBe(true);
    rotated.apply(w);
    expect(rotated.open()!.keyIndex).toBe(0);
    expect(
      createSealer([JAR_SECRET], 'encrypt').open(
        'session',
        rotated.cookies.get('session')!.slice(3),
      ),
    ).toBeDefined();
  });
});
