// What removing AES-256-GCM's 2^32-seal limit costs: seal and open, per call, of
//   v1          today's format: one key per secret, a random 96-bit IV per seal;
//   per-seal    iron's way: a fresh HKDF-SHA256 key from a random salt on every seal;
//   sub-key     a per-process sub-key, HKDF-SHA256 from the secret's key and a random 64-bit
//               salt, renewed after 2^18 seals, the salt in every sealed value (format v3);
//   library     createSealer() from dist/esm as built (after this change: sub-key), if present;
// beside the floor of the library's speed target (JSON.stringify + AES-256-GCM + base64url).
// Interleaved samples, medians of CPU time per call. Run: node bench/seal-cost.mjs [--quick]
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { makePayload } from './payloads.mjs';

const QUICK = process.argv.includes('--quick');
const SAMPLES = QUICK ? 5 : 21;
const SAMPLE_MS = QUICK ? 20 : 60;
const SECRET = 'bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz';
const NAME = Buffer.from('session');
const key = Buffer.from(hkdfSync('sha256', SECRET, 'nestjs-chunked-session', 'bench v1', 32));
const keyId = createHmac('sha256', key).update('key id').digest().subarray(0, 4);

/** IVs cut from a pool, as the library does (one randomBytes call per 256 IVs). */
let ivPool = Buffer.alloc(0);
let ivAt = 0;
function nextIv() {
  if (ivAt + 12 > ivPool.length) {
    ivPool = randomBytes(12 * 256);
    ivAt = 0;
  }
  ivAt += 12;
  return ivPool.subarray(ivAt - 12, ivAt);
}

function gcmSeal(k, header, iv, plaintext) {
  const cipher = createCipheriv('aes-256-gcm', k, iv);
  cipher.setAAD(Buffer.concat([header, NAME]));
  const body = cipher.update(plaintext);
  cipher.final();
  return Buffer.concat([header, iv, body, cipher.getAuthTag()]).toString('base64url');
}

function gcmOpen(k, bytes, headerLength, ivAt) {
  const decipher = createDecipheriv('aes-256-gcm', k, bytes.subarray(ivAt, ivAt + 12));
  decipher.setAAD(Buffer.concat([bytes.subarray(0, headerLength), NAME]));
  decipher.setAuthTag(bytes.subarray(bytes.length - 16));
  const body = decipher.update(bytes.subarray(ivAt + 12, bytes.length - 16));
  decipher.final();
  return body;
}

const v1Header = Buffer.from([1, ...keyId]);
const v1 = {
  seal: (p) => gcmSeal(key, v1Header, nextIv(), p),
  open: (s) => gcmOpen(key, Buffer.from(s, 'base64url'), 5, 5),
};

const perSeal = {
  seal(p) {
    const salt = randomBytes(16);
    const k = Buffer.from(hkdfSync('sha256', key, salt, 'per seal', 32));
    return gcmSeal(k, Buffer.concat([Buffer.from([4, ...keyId]), salt]), nextIv(), p);
  },
  open(s) {
    const bytes = Buffer.from(s, 'base64url');
    const k = Buffer.from(hkdfSync('sha256', key, bytes.subarray(5, 21), 'per seal', 32));
    return gcmOpen(k, bytes, 21, 21);
  },
};

const ROTATE = 2 ** 18;
let sub;
let sealsLeft = 0;
const subKeys = new Map();
const subKey = {
  seal(p) {
    if (sealsLeft-- <= 0) {
      const salt = randomBytes(8);
      sub = {
        header: Buffer.concat([Buffer.from([3, ...keyId]), salt]),
        key: Buffer.from(hkdfSync('sha256', key, salt, 'sub-key', 32)),
      };
      sealsLeft = ROTATE - 1;
    }
    return gcmSeal(sub.key, sub.header, nextIv(), p);
  },
  open(s) {
    const bytes = Buffer.from(s, 'base64url');
    const id = bytes.toString('latin1', 5, 13);
    let k = subKeys.get(id);
    if (!k) {
      k = Buffer.from(hkdfSync('sha256', key, bytes.subarray(5, 13), 'sub-key', 32));
      subKeys.set(id, k);
    }
    return gcmOpen(k, bytes, 13, 13);
  },
};

const variants = { v1, 'per-seal': perSeal, 'sub-key': subKey };
const dist = new URL('../dist/esm/codec/sealer.js', import.meta.url);
if (existsSync(dist)) {
  const { createSealer } = await import(dist.href);
  const lib = createSealer([SECRET], 'encrypt');
  variants.library = { seal: (p) => lib.seal('session', p), open: (s) => lib.open('session', s) };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/**
 * Nanoseconds of CPU time (user + system) per call: on a shared machine, time spent waiting for
 * a core is not the code's. Doubles the count until a sample takes SAMPLE_MS.
 */
function timeIt(fn) {
  let n = 1;
  for (;;) {
    const t0 = process.cpuUsage();
    for (let i = 0; i < n; i++) fn(i);
    const used = process.cpuUsage(t0);
    const ns = (used.user + used.system) * 1000;
    if (ns >= SAMPLE_MS * 1e6) return ns / n;
    n *= 2;
  }
}

const rows = [];
for (const bytes of [200, 3 * 1024, 12 * 1024]) {
  const data = makePayload('bench', bytes);
  const plaintext = Buffer.from(JSON.stringify(data));
  const sealed = Object.fromEntries(
    Object.entries(variants).map(([k, v]) => [k, v.seal(plaintext)]),
  );
  const jobs = {
    floor: () => gcmSeal(key, v1Header, nextIv(), Buffer.from(JSON.stringify(data))),
  };
  for (const [name, v] of Object.entries(variants)) {
    jobs[`${name} seal`] = () => v.seal(plaintext);
    jobs[`${name} open`] = () => v.open(sealed[name]);
  }
  const samples = Object.fromEntries(Object.keys(jobs).map((k) => [k, []]));
  for (let s = 0; s < SAMPLES; s++)
    for (const [k, fn] of Object.entries(jobs)) samples[k].push(timeIt(fn));
  const ns = Object.fromEntries(Object.entries(samples).map(([k, xs]) => [k, median(xs)]));
  for (const name of Object.keys(variants)) {
    rows.push({
      size: `${bytes} B`,
      variant: name,
      sealNs: Math.round(ns[`${name} seal`]),
      openNs: Math.round(ns[`${name} open`]),
      sealVsV1: +(ns[`${name} seal`] / ns['v1 seal']).toFixed(3),
      openVsV1: +(ns[`${name} open`] / ns['v1 open']).toFixed(3),
      sealVsFloor: +(ns[`${name} seal`] / ns.floor).toFixed(3),
      sealedChars: sealed[name].length,
    });
  }
}
console.table(rows);
