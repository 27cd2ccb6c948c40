// Shrinking a 64 KB session to the default 8000-byte cookie budget, the shrink engine alone, in
// plain Node (not under Jest): API.md's own shrinker dropping the oldest of 2000 recently viewed
// products, `fits` at 5990 JSON bytes.
//
// Run: node bench/shrink-profile.mjs [--engine DIR]... [--runs N] [--check]
//   --engine DIR  a build of src/shrinking (default: src/shrinking compiled now with tsc into a
//                 temporary dir); give several to compare them, runs interleaved (A, B, A, B...)
//   --runs N      timed runs per engine (default 200) after 30 warm-up runs
//   --check       also verify every `jsonBytes` given to `fits` against JSON.stringify (slow)
//   --floors      also time two bare loops of this one case, no engine: the shrinker's calls with
//                 `fits` on trusted sizes (nothing verified), and the same plus one `Object.is` per
//                 element against a private copy (the least an exact engine must do per step)
// Profile: node --cpu-prof --cpu-prof-dir=/tmp/prof bench/shrink-profile.mjs --runs 2000
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : process.argv[i + 1];
};
const args = (name) => process.argv.flatMap((a, i) => (a === name ? [process.argv[i + 1]] : []));
const RUNS = Number(arg('--runs', 200));
const CHECK = process.argv.includes('--check');
const LIMIT = 5990;

function buildEngine() {
  const root = new URL('..', import.meta.url).pathname;
  const out = mkdtempSync(join(tmpdir(), 'shrink-engine-'));
  const files = readdirSync(join(root, 'src/shrinking'))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(root, 'src/shrinking', f));
  const tsc = join(root, 'node_modules/typescript/bin/tsc');
  // src/shrinking imports the envelope's size (src/codec): built under one root, read from shrinking/.
  const flags = ['--ignoreConfig', '--target', 'ES2022', '--module', 'ES2022', '--rootDir', 'src'];
  flags.push('--moduleResolution', 'bundler', '--types', 'node', '--strict', '--skipLibCheck');
  execFileSync(process.execPath, [tsc, ...flags, '--outDir', out, ...files], { cwd: root });
  writeFileSync(join(out, 'package.json'), '{"type":"module"}\n');
  return join(out, 'shrinking');
}

const engines = [];
for (const dir of args('--engine').length > 0 ? args('--engine') : [undefined]) {
  const built = dir === undefined ? buildEngine() : resolve(dir);
  const url = pathToFileURL(join(built, 'shrink-partition.js'));
  engines.push({
    name: dir ?? 'src/shrinking',
    shrinkPartition: (await import(url)).shrinkPartition,
  });
  if (dir === undefined) rmSync(join(built, '..'), { recursive: true, force: true }); // loaded
}

/** ~64 KB of JSON: a user, a small cart, and 2000 recently viewed product URLs (~30 chars). */
function makeSession() {
  return {
    user: { id: 4217, name: 'Ada Lovelace', email: 'ada@example.com', roles: ['admin', 'buyer'] },
    cart: Array.from({ length: 6 }, (_, i) => ({
      sku: `SKU-${100000 + i * 7919}`,
      qty: (i % 5) + 1,
      price: (i * 37 + 99) / 100,
    })),
    locale: 'en-GB',
    csrf: 'c'.repeat(43),
    recentlyViewed: Array.from(
      { length: 2000 },
      (_, i) => `https://shop.example/p/${1_000_000 + i}`,
    ),
  };
}

const shrinkers = [
  {
    key: 'recentlyViewed',
    priority: 0,
    shrink: (list, { last }) => (last || list.length < 2 ? undefined : list.slice(1)),
  },
];

let fitsCalls = 0;
let mismatches = 0;
/** How far over LIMIT (the engine's `overBy`): 0 or less when it fits. */
const fits = (jsonBytes, candidate) => {
  fitsCalls++;
  if (CHECK && jsonBytes !== Buffer.byteLength(JSON.stringify(candidate))) mismatches++;
  return jsonBytes - LIMIT;
};

const template = JSON.stringify(makeSession());

/** A bare loop for this case only: `verify` decides whether each step's array is checked. */
function floor(verify) {
  return async ({ data, shrinkers: [{ key, shrink }], overBy: fits }) => {
    const ctx = { last: false, session: data, overBy: 0 };
    const rest = JSON.stringify({ ...data, [key]: [] }).length; // `[]` counted here
    let items = data[key];
    const copy = [...items];
    const prefix = [0];
    for (const item of copy) prefix.push(prefix.at(-1) + JSON.stringify(item).length + 1);
    for (let list = items; ; list = items) {
      items = shrink(list, ctx);
      const start = copy.length - items.length;
      if (verify) {
        for (let i = 0; i < items.length; i++) {
          if (!Object.is(copy[start + i], items[i])) throw new Error('not a slice');
        }
      }
      data = { ...data, [key]: items };
      const jsonBytes = rest + prefix[copy.length] - prefix[start] - 1;
      if (fits(jsonBytes, data) <= 0) return { data, fits: true, jsonBytes };
    }
  };
}
if (process.argv.includes('--floors')) {
  engines.push({ name: 'floor: shrinker + fits only', shrinkPartition: floor(false) });
  engines.push({ name: 'floor: + Object.is per element', shrinkPartition: floor(true) });
}
// A fresh session each run (parsed, as a request's cookie would be), parsed outside the timing.
async function once(shrinkPartition) {
  const data = JSON.parse(template);
  const t0 = process.hrtime.bigint();
  const result = await shrinkPartition({ data, shrinkers, overBy: fits });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { ms, result };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const firsts = [];
for (const { shrinkPartition } of engines) {
  const { result } = await once(shrinkPartition);
  const expectedBytes = Buffer.byteLength(JSON.stringify(result.data));
  if (!result.fits || result.jsonBytes !== expectedBytes) {
    throw new Error(`wrong result: ${JSON.stringify({ ...result, data: undefined })}`);
  }
  firsts.push(result);
  for (let i = 0; i < 30; i++) await once(shrinkPartition);
}
const times = engines.map(() => []);
const calls = engines.map(() => 0);
for (let i = 0; i < RUNS; i++) {
  for (let e = 0; e < engines.length; e++) {
    const before = fitsCalls;
    times[e].push((await once(engines[e].shrinkPartition)).ms);
    calls[e] += fitsCalls - before;
  }
}
for (let e = 0; e < engines.length; e++) {
  const sorted = [...times[e]].sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      engine: engines[e].name,
      sessionBytes: template.length,
      listLength: 2000,
      kept: firsts[e].data.recentlyViewed.length,
      jsonBytesAfter: firsts[e].jsonBytes,
      fitsCallsPerRun: calls[e] / RUNS,
      mismatches: CHECK ? mismatches : 'not checked',
      runs: RUNS,
      medianMs: +median(sorted).toFixed(3),
      minMs: +sorted[0].toFixed(3),
      p90Ms: +sorted[Math.floor(RUNS * 0.9)].toFixed(3),
    }),
  );
}
