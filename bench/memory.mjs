// Bytes allocated per request: this library's `encrypt` (load + change + one commit) against the
// floor (middleware + save), in one process. For each, `N` requests run after `gc()` in a young
// generation large enough that no garbage collection happens during them; the bytes allocated are
// the growth of `heapUsed` plus that of `arrayBuffers` (Buffers' memory, off the heap), divided
// by `N`. A run during which a collection happened anyway (v8.GCProfiler sees it) is
// repeated (at most 3 × RUNS runs), and the runs without one are reported when fewer than RUNS.
//   node bench/memory.mjs [200b,3k,12k] [--json]     (re-runs itself with the flags it needs)
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { GCProfiler } from 'node:v8';
import { engineRequest, floorRequest } from './loops.mjs';
import { SIZES } from './payloads.mjs';

const SEMI_SPACE_MB = 512;
const FLAGS = [
  '--expose-gc',
  `--max-semi-space-size=${SEMI_SPACE_MB}`,
  `--min-semi-space-size=${SEMI_SPACE_MB}`,
];
/** Requests measured per run, per size: as many as the young generation holds with room to spare. */
const REQUESTS = { '200b': 2000, '3k': 1000, '12k': 400 };
const RUNS = 5;

/** The bytes per request of `once`, the median of RUNS runs without a collection. */
function measure(once, n) {
  for (let i = 0; i < 500; i++) once(); // warm: optimized code, caches filled
  const perRequest = [];
  let collected = 0;
  for (let run = 0; run < RUNS * 3 && perRequest.length < RUNS; run++) {
    globalThis.gc();
    globalThis.gc();
    const profiler = new GCProfiler();
    const before = process.memoryUsage();
    profiler.start();
    for (let i = 0; i < n; i++) once();
    const { statistics } = profiler.stop();
    const after = process.memoryUsage();
    // A collection during the loop would hide what it freed: that run does not count.
    if (statistics.length > 0) {
      collected++;
      continue;
    }
    perRequest.push(
      (after.heapUsed - before.heapUsed + after.arrayBuffers - before.arrayBuffers) / n,
    );
  }
  perRequest.sort((a, b) => a - b);
  return {
    bytes: perRequest.length ? perRequest[perRequest.length >> 1] : NaN,
    runs: perRequest.length,
    collected,
  };
}

async function main() {
  const keys = process.argv
    .slice(2)
    .find((a) => !a.startsWith('--'))
    ?.split(',');
  const sizes = keys ? SIZES.filter((s) => keys.includes(s.key)) : SIZES;
  const out = [];
  for (const size of sizes) {
    const n = REQUESTS[size.key];
    const engine = measure(engineRequest(size.key, 'encrypt'), n);
    const floor = measure(floorRequest(size.key), n);
    out.push({ key: size.key, label: size.label, requests: n, engine, floor });
  }
  if (process.argv.includes('--json')) {
    process.stdout.write(
      JSON.stringify({ sizes: out, runs: RUNS, semiSpaceMB: SEMI_SPACE_MB }) + '\n',
    );
    return;
  }
  for (const s of out) {
    const note = (m) => (m.runs < RUNS ? ` (${m.runs} runs without a collection)` : '');
    console.log(
      `${s.key.padEnd(5)} engine ${Math.round(s.engine.bytes).toString().padStart(7)} B/request${note(s.engine)}  floor ${Math.round(s.floor.bytes).toString().padStart(7)} B/request${note(s.floor)}  ${(s.engine.bytes / s.floor.bytes).toFixed(2)}×`,
    );
  }
}

if (typeof globalThis.gc !== 'function') {
  // Again, with the flags: a young generation that holds a whole run, and gc().
  execFileSync(
    process.execPath,
    [...FLAGS, fileURLToPath(import.meta.url), ...process.argv.slice(2)],
    {
      stdio: 'inherit',
    },
  );
} else {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
