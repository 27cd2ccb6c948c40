/**
 * Properties of the delta cookie set (src/chunking/delta-set.ts), over arbitrary sessions and
 * edits: any subset, mix or reordering of the cookies of two written generations opens as
 * nothing or as exactly one of them; every cookie stays within its limit; the pieces a write
 * keeps keep their exact name and value; and a list that gains one element at its end and loses
 * one at its front re-sends a bounded number of pieces.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { decodeEnvelope } from '../../src/codec/envelope.js';
import { DeltaJar } from '../support/delta-jar.js';

const attributesBytes = '; Path=/; HttpOnly; SameSite=Lax'.length;

const session = fc.record({
  user: fc.record({
    name: fc.string({ maxLength: 20 }),
    roles: fc.array(fc.string(), { maxLength: 4 }),
  }),
  list: fc.array(fc.record({ id: fc.string({ maxLength: 12 }), n: fc.integer() }), {
    minLength: 20,
    maxLength: 120,
  }),
  note: fc.string({ unit: 'grapheme', maxLength: 300 }),
});

/** An edit of the session: append some, drop some from the front, change a field. */
const edit = fc.record({
  append: fc.array(fc.record({ id: fc.string({ maxLength: 12 }), n: fc.integer() }), {
    maxLength: 4,
  }),
  drop: fc.integer({ min: 0, max: 4 }),
  note: fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
});

type Session = {
  user: { name: string; roles: string[] };
  list: { id: string; n: number }[];
  note: string;
};
type Edit = { append: Session['list']; drop: number; note: string | undefined };
const applyEdit = (s: Session, e: Edit): Session => ({
  ...s,
  list: [...s.list.slice(e.drop), ...e.append],
  note: e.note ?? s.note,
});

const mode = fc.constantFrom('encrypt' as const, 'sign' as const);
const capacity = fc.record({
  maxCookieBytes: fc.constantFrom(600, 1200, 4093, 4096),
  countsAttributes: fc.boolean(),
  attributesBytes: fc.constant(attributesBytes),
});

describe('delta cookie set: properties', () => {
  it('any subset, mix or reordering of two generations opens as nothing or as exactly one of them', () => {
    fc.assert(
      fc.property(
        mode,
        session,
        edit,
        fc.boolean(),
        fc.array(fc.tuple(fc.nat(), fc.constantFrom('a', 'b', 'none', 'other')), { maxLength: 30 }),
        (m, s, e, defer, picks) => {
          const jar = new DeltaJar({
            mode: m,
            capacity: { maxCookieBytes: 900, countsAttributes: false, attributesBytes },
          });
          const a = jar.write(JSON.stringify(s))!;
          jar.apply(a);
          const genA = new Map(jar.cookies);
          const b = jar.write(JSON.stringify(applyEdit(s, e)), 1767225601, defer)!;
          jar.apply(b);
          const genB = new Map(jar.cookies);
          const names = [...new Set([...genA.keys(), ...genB.keys()])].sort();
          const values = [...genA.values(), ...genB.values()];
          // Start from B, then change some names: A's value, none, or another cookie's value.
          const mixed = new Map(genB);
          for (const [index, pick] of picks) {
            const name = names[index % names.length]!;
            if (pick === 'none') mixed.delete(name);
            else if (pick === 'a' && genA.has(name)) mixed.set(name, genA.get(name)!);
            else if (pick === 'b' && genB.has(name)) mixed.set(name, genB.get(name)!);
            else if (pick === 'other') mixed.set(name, values[index % values.length]!);
          }
          const opened = jar.open(mixed);
          if (opened) {
            expect(opened.envelope.equals(a.envelope) || opened.envelope.equals(b.envelope)).toBe(
              true,
            );
          }
          // Unchanged, each generation reads as itself (A while B's deferred pieces are kept).
          expect(jar.open(genB)!.envelope).toEqual(b.envelope);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('every cookie within maxCookieBytes; kept pieces keep name and value; the set reads back', () => {
    fc.assert(
      fc.property(
        mode,
        capacity,
        session,
        fc.array(edit, { minLength: 1, maxLength: 6 }),
        (m, cap, s, edits) => {
          const jar = new DeltaJar({ mode: m, capacity: cap });
          let current = s;
          for (const e of [undefined, ...edits]) {
            if (e) current = applyEdit(current, e);
            const json = JSON.stringify(current);
            const before = new Map(jar.cookies);
            const w = jar.write(json);
            if (!w) return; // too large for this capacity: the engine falls back to the single value
            for (const c of w.sets) {
              const counted = cap.countsAttributes
                ? c.name.length + 1 + c.value.length + cap.attributesBytes
                : c.name.length + c.value.length;
              expect(counted).toBeLessThanOrEqual(cap.maxCookieBytes);
            }
            jar.apply(w);
            for (const p of w.plan.pieces) {
              if (p.kept === undefined) continue;
              expect(jar.cookies.get(`session.${p.slot}`)).toBe(before.get(`session.${p.slot}`));
              expect(w.sets.some((c) => c.name === `session.${p.slot}`)).toBe(false);
            }
            expect(decodeEnvelope(jar.open()!.envelope)!.json).toBe(json);
            expect(w.plan.cookies).toBe(jar.cookies.size);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('one element appended and the oldest dropped re-sends at most five pieces', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            id: fc.string({ minLength: 4, maxLength: 12 }),
            title: fc.string({ maxLength: 40 }),
          }),
          {
            minLength: 160,
            maxLength: 160,
          },
        ),
        fc.integer({ min: 40, max: 80 }),
        (items, window) => {
          const jar = new DeltaJar();
          const state = (from: number) =>
            JSON.stringify({ history: items.slice(from, from + window) });
          jar.apply(jar.write(state(0))!);
          for (let step = 1; step + window <= items.length && step < 40; step++) {
            const w = jar.write(state(step))!;
            expect(w.sets.length - 1).toBeLessThanOrEqual(5);
            jar.apply(w);
          }
        },
      ),
      { numRuns: 20 },
    );
  });
});
