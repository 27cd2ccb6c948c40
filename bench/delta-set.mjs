// Micro-benchmark of the delta cookie set (src/chunking/delta-set.ts) beside the single-value
// format and the floor (one JSON + AES-256-GCM + base64url pass, sealed and opened), on a
// ~5 KB session (a ~7 000-byte Cookie header) whose history list gains one element at its end
// and loses its oldest. `deltaSetUncached` empties the cache of opened pieces before each request
// (a process that sealed none of the pieces it is sent). Each candidate is one request's work: open what the browser sent, change
// the list, write. Run after `npm run build`: node bench/delta-set.mjs [--quick]
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ContentCutter } from '../dist/esm/chunking/content-cuts.js';
import { joinChunks, planChunks, splitChunks } from '../dist/esm/chunking/chunks.js';
import { openDeltaSet, planDeltaSet, sealDeltaSet } from '../dist/esm/chunking/delta-set.js';
import { forgetPieces } from '../dist/esm/chunking/piece-cache.js';
import { decodeEnvelope, encodeEnvelope } from '../dist/esm/codec/envelope.js';
import { createSealer } from '../dist/esm/codec/sealer.js';

const QUICK = process.argv.includes('--quick');
const SAMPLES = QUICK ? 5 : 21;
const SAMPLE_MS = QUICK ? 20 : 60;
const SECRET = 'bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz';
const CAP = { maxCookieBytes: 4096, countsAttributes: false, attributesBytes: 0 };
const sealer = createSealer([SECRET], 'encrypt');
const cutter = new ContentCutter(SECRET);

const item = (i) => ({
  id: `p${String(i).padStart(5, '0')}`,
  title: `Product ${(i * 7919) % 1000} in blue`,
  at: 1767225600 + i,
});
const WINDOW = 62;
const stateAt = (step) => ({
  user: { name: 'ada', roles: ['admin', 'shop'] },
  history: Array.from({ length: WINDOW }, (_, i) => item(step + i)),
});

function timeIt(fn) {
  let n = 1;
  for (;;) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (ms >= SAMPLE_MS / 4) return Math.max(1, Math.round((n * SAMPLE_MS) / ms));
    n *= 4;
  }
}

function compare(candidates) {
  const names = Object.keys(candidates);
  const iterations = Object.fromEntries(names.map((n) => [n, timeIt(candidates[n])]));
  const best = Object.fromEntries(names.map((n) => [n, Infinity]));
  for (let s = 0; s < SAMPLES; s++) {
    for (const name of names) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < iterations[name]; i++) candidates[name]();
      best[name] = Math.min(
        best[name],
        Number(process.hrtime.bigint() - t0) / 1e3 / iterations[name],
      );
    }
  }
  return best;
}

// ---- the floor ---------------------------------------------------------------------------
const KEY = randomBytes(32);
let floorCookie = '';
function floor(step) {
  if (floorCookie) {
    const bytes = Buffer.from(floorCookie, 'base64url');
    const d = createDecipheriv('aes-256-gcm', KEY, bytes.subarray(0, 12));
    d.setAuthTag(bytes.subarray(bytes.length - 16));
    JSON.parse(
      Buffer.concat([d.update(bytes.subarray(12, bytes.length - 16)), d.final()]).toString(),
    );
  }
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', KEY, iv);
  const body = c.update(Buffer.from(JSON.stringify(stateAt(step))));
  floorCookie = Buffer.concat([iv, body, c.final(), c.getAuthTag()]).toString('base64url');
}

// ---- the single-value format (`k.` + the sealed envelope, split greedily) -----------------
let single = new Map();
function singleValue(step) {
  const sealed = joinChunks('session', single, 180, 100000);
  if (sealed) decodeEnvelope(sealer.open('session', sealed).plaintext);
  const plaintext = encodeEnvelope(
    1767225600,
    1767225600,
    JSON.stringify(stateAt(step)),
    false,
    false,
  );
  const text = sealer.seal('session', plaintext);
  single = new Map(
    splitChunks('session', text, planChunks('session', text.length, CAP)).map((c) => [
      c.name,
      c.value,
    ]),
  );
}

// ---- the delta set -------------------------------------------------------------------------
let delta = new Map();
const stats = { sent: 0, writes: 0, header: 0 };
function deltaSet(step, cold = false) {
  if (cold) forgetPieces(sealer);
  const held = openDeltaSet('session', delta, sealer, 180, 100000);
  if (held) decodeEnvelope(held.envelope);
  const envelope = encodeEnvelope(
    1767225600,
    1767225600,
    JSON.stringify(stateAt(step)),
    false,
    false,
  );
  const plan = planDeltaSet({
    base: 'session',
    envelope,
    previous: held?.pieces,
    present: [...delta.keys()],
    cutter,
    sealer,
    capacity: CAP,
    maxCookies: 180,
    defer: false,
  });
  const sets = sealDeltaSet(plan, sealer);
  for (const name of plan.deletes) delta.delete(name);
  for (const { name, value } of sets) delta.set(name, value);
  stats.sent += sets.reduce((s, c) => s + c.name.length + 1 + c.value.length, 0);
  stats.header = plan.pairBytes + 2 * (plan.cookies - 1);
  stats.writes++;
}

/** The cutter alone, and one piece's seal, for the record. */
const body = Buffer.from(JSON.stringify(stateAt(0)));
const cutOnly = () => cutter.cuts(body, { min: 96, bits: 8, max: 1536 });
const piece = body.subarray(0, 360);
const sealPiece = () => sealer.seal('session piece', piece);

let a = 0,
  b = 0,
  c = 0;
const results = compare({
  floor: () => floor(a++),
  singleValue: () => singleValue(b++),
  deltaSet: () => deltaSet(c++),
  deltaSetUncached: () => deltaSet(c++, true),
  cutOnly,
  sealPiece,
});
console.log(
  JSON.stringify(
    {
      jsonBytes: body.length,
      cookieHeaderBytes: stats.header,
      sentPerWrite: Math.round(stats.sent / stats.writes),
      singleValueSentPerWrite: [...single].reduce((s, [n, v]) => s + n.length + 1 + v.length, 0),
      microseconds: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, +v.toFixed(2)])),
      ratioToFloor: {
        singleValue: +(results.singleValue / results.floor).toFixed(3),
        deltaSet: +(results.deltaSet / results.floor).toFixed(3),
        deltaSetUncached: +(results.deltaSetUncached / results.floor).toFixed(3),
      },
    },
    null,
    1,
  ),
);
