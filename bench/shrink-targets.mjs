// The shrinking targets, one run, side by side (plain Node, not under Jest; built from dist/esm):
//   A. a 64 KB session (product URLs) committed through the engine's save path to the 8000 bytes
//      of a Chromium request: API.md's one-element-at-a-time shrinker, then one that uses `overBy`;
//   B. the same with 3 600 short ids;
//   C. one element at a time on lists of 1 000 to 16 000 ids: the engine's own cost per step
//      (the engine's time less the shrinker's, each measured) beside the shrinker's own copying;
//   D. incremental list sizing (array-sizes.ts) against plain per-key sizing (JSON.stringify of
//      each value a shrinker returns), the same engine otherwise.
//
// Run: node scripts/build.mjs && node bench/shrink-targets.mjs [--runs N] [--write]
//   --write  also writes bench/shrink-results.md and its section of bench/results.md
import { readFileSync, writeFileSync, mkdtempSync, cpSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { resolveOptions } from '../dist/esm/options/resolve-options.js';
import { SessionEngine } from '../dist/esm/core/session-engine.js';
import { shrinkPartition } from '../dist/esm/shrinking/shrink-partition.js';
import { makeBigSession } from './payloads.mjs';
import { cpuMs, median, minimum, oneAtATime, perStep, withOverBy } from './shrink-steps.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : process.argv[i + 1];
};
const RUNS = Number(arg('--runs', 60));
const SECRET = 'a-benchmark-secret-that-is-long-enough-0123456789';
const CHROME_UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

/** Median ms of committing `big` through the engine with this shrinker (fresh session each run). */
async function commitCase(entries, shrink) {
  const big = makeBigSession(64 * 1024, entries);
  let calls = 0;
  let event;
  const counted = (list, ctx) => (calls++, shrink(list, ctx));
  const options = resolveOptions(
    {
      secret: SECRET,
      // The Cookie header's 8000 bytes, and a response that may carry them (as bench/micro.mjs).
      limits: { maxTotalBytes: 8000, maxResponseHeaderBytes: 16384 },
      shrinkers: [{ key: 'recentlyViewed', shrink: counted }],
      onShrink: (e) => (event = e),
    },
    {
      warn() {},
      error: (m) => {
        throw new Error(m);
      },
    },
  );
  const engine = new SessionEngine(options);
  const once = async () => {
    // A new request object each time, as on a server (the engine keeps one session per request).
    const session = await engine.load({ headers: { 'user-agent': CHROME_UA }, socket: {} });
    Object.assign(session.data, big);
    calls = 0;
    const t0 = process.cpuUsage();
    const lines = await engine.commit(session, { headerBytes: 200, setCookies: [], secure: false });
    const ms = cpuMs(t0);
    return { ms, lines, session };
  };
  const first = await once();
  const firstCalls = calls;
  const cookieHeaderBytes = first.lines.map((l) => l.slice(0, l.indexOf(';'))).join('; ').length;
  if (cookieHeaderBytes > 8000 || event?.removedKeys.length) {
    throw new Error(`wrong result: ${cookieHeaderBytes} bytes, ${JSON.stringify(event)}`);
  }
  for (let i = 0; i < 10; i++) await once();
  const times = [];
  for (let i = 0; i < RUNS; i++) times.push((await once()).ms);
  return {
    minMs: minimum(times),
    sessionBytes: Buffer.byteLength(JSON.stringify(big)),
    listLength: big.recentlyViewed.length,
    kept: first.session.data.recentlyViewed.length,
    shrinkerCalls: firstCalls,
    cookieHeaderBytes,
    medianMs: median(times),
  };
}

/** The engine with per-key sizing: sized-candidate.js built to serialize each value a shrinker returns whole. */
async function perKeyEngine() {
  const dir = mkdtempSync(join(tmpdir(), 'shrink-per-key-'));
  cpSync(new URL('../dist/esm', import.meta.url).pathname, dir, { recursive: true });
  const file = join(dir, 'shrinking/sized-candidate.js');
  const source = readFileSync(file, 'utf8');
  const patched = source.replace(
    /const cut = entry\.run !== undefined[^;]*;/s,
    'const cut = undefined;',
  );
  if (patched === source) throw new Error('sized-candidate.js: the list sizing call was not found');
  writeFileSync(file, patched);
  const engine = (await import(pathToFileURL(join(dir, 'shrinking/shrink-partition.js'))))
    .shrinkPartition;
  return { engine, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The engine alone on the 64 KB URL session, `fits` at the JSON allowance of the commit path. */
async function engineCase(engine, shrink, limit) {
  const big = makeBigSession(64 * 1024, 'urls');
  const once = async () => {
    const t0 = process.cpuUsage();
    const r = await engine({
      data: { ...big },
      shrinkers: [{ key: 'recentlyViewed', shrink }],
      overBy: (jsonBytes) => jsonBytes - limit,
    });
    if (!r.fits) throw new Error('wrong');
    return cpuMs(t0);
  };
  for (let i = 0; i < 10; i++) await once();
  const times = [];
  for (let i = 0; i < RUNS; i++) times.push(await once());
  return { medianMs: median(times), minMs: minimum(times) };
}

const urlsOne = await commitCase('urls', oneAtATime);
const urlsOverBy = await commitCase('urls', withOverBy);
const idsOne = await commitCase('ids', oneAtATime);
const idsOverBy = await commitCase('ids', withOverBy);
const steps = [];
for (const length of [1000, 2000, 4000, 8000, 16000]) {
  steps.push(await perStep(shrinkPartition, length, 100, 600, RUNS));
}
const perKey = await perKeyEngine();
const LIMIT = 5990;
const sizing = {
  incrementalOne: await engineCase(shrinkPartition, oneAtATime, LIMIT),
  perKeyOne: await engineCase(perKey.engine, oneAtATime, LIMIT),
  incrementalOverBy: await engineCase(shrinkPartition, withOverBy, LIMIT),
  perKeyOverBy: await engineCase(perKey.engine, withOverBy, LIMIT),
};
perKey.cleanup();

const f = (x, d = 2) => x.toFixed(d);
const lines = [
  '## Shrinking',
  '',
  `Written by \`node bench/shrink-targets.mjs --write\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC (Node.js ${process.version}; ${RUNS} runs after 10 warm-up runs, CPU time of the process (\`process.cpuUsage\`, user + system), the median and the fastest; 2 CPUs shared with other work, load average ${loadavg()
    .map((x) => x.toFixed(1))
    .join(
      ', ',
    )} at the end). Cases A and B: the engine's save path (\`SessionEngine\`: \`load\`, then \`commit\`), a fresh 64 KB session each run, the 8000 bytes of a Chromium request; the time of the commit (shrinking, sealing, chunking). The \`overBy\` shrinker is the README's: it drops as many of the oldest entries as \`overBy\` asks for, in one call.`,
  '',
  '| case | list | shrinker calls | kept | Cookie header | median ms | fastest ms | target | met (median) |',
  '|---|--:|--:|--:|--:|--:|--:|---|:-:|',
  `| A. URLs, one at a time (API.md's shrinker) | ${urlsOne.listLength} | ${urlsOne.shrinkerCalls} | ${urlsOne.kept} | ${urlsOne.cookieHeaderBytes} | ${f(urlsOne.medianMs)} | ${f(urlsOne.minMs)} | < 2 ms (was 5.1) | ${urlsOne.medianMs < 2 ? 'yes' : '**no**'} |`,
  `| A. URLs, \`overBy\` | ${urlsOverBy.listLength} | ${urlsOverBy.shrinkerCalls} | ${urlsOverBy.kept} | ${urlsOverBy.cookieHeaderBytes} | ${f(urlsOverBy.medianMs)} | ${f(urlsOverBy.minMs)} | < 0.5 ms | ${urlsOverBy.medianMs < 0.5 ? 'yes' : '**no**'} |`,
  `| B. short ids, \`overBy\` | ${idsOverBy.listLength} | ${idsOverBy.shrinkerCalls} | ${idsOverBy.kept} | ${idsOverBy.cookieHeaderBytes} | ${f(idsOverBy.medianMs)} | ${f(idsOverBy.minMs)} | < 1 ms (was 25) | ${idsOverBy.medianMs < 1 ? 'yes' : '**no**'} |`,
  `| B. short ids, one at a time | ${idsOne.listLength} | ${idsOne.shrinkerCalls} | ${idsOne.kept} | ${idsOne.cookieHeaderBytes} | ${f(idsOne.medianMs)} | ${f(idsOne.minMs)} | (engine's cost per step: C) | |`,
  '',
  "C. One element at a time on lists of short ids, the engine alone with a plain allowance: the marginal cost of a step, from runs of 100 and of 600 calls (what is paid once cancels out). The engine's own: its shrinker hands out lists cut beforehand, outside the timing. The shrinker's copying: the same \`list.slice(1)\` calls timed alone. Both: the engine with API.md's shrinker (the garbage collection of the copies included).",
  '',
  "| list length | engine µs per step | shrinker's copying µs per step | both µs per step |",
  '|--:|--:|--:|--:|',
  ...steps.map(
    (s) =>
      `| ${s.length} | ${f(s.engineUsPerStep, 3)} | ${f(s.shrinkerUsPerStep, 3)} | ${f(s.totalUsPerStep, 3)} |`,
  ),
  '',
  "D. List sizing: the engine alone on case A's session (`fits` at 5 990 JSON bytes), with incremental list sizing (array-sizes.ts: a list cut from either end of the previous one sized from it, only the dropped elements measured) and with plain per-key sizing (each value a shrinker returns serialized whole; the same build with that one call replaced).",
  '',
  '| shrinker | incremental: median / fastest ms | per key: median / fastest ms | per key ÷ incremental (fastest) |',
  '|---|--:|--:|--:|',
  ...[
    ['one at a time', sizing.incrementalOne, sizing.perKeyOne],
    ['`overBy`', sizing.incrementalOverBy, sizing.perKeyOverBy],
  ].map(
    ([name, a, b]) =>
      `| ${name} | ${f(a.medianMs, 3)} / ${f(a.minMs, 3)} | ${f(b.medianMs, 3)} / ${f(b.minMs, 3)} | ${f(b.minMs / a.minMs, 1)}× |`,
  ),
  '',
];
const text = lines.join('\n');
console.log(text);
console.log(JSON.stringify({ urlsOne, urlsOverBy, idsOne, idsOverBy, steps, sizing }));
if (process.argv.includes('--write')) {
  const dir = new URL('.', import.meta.url).pathname;
  writeFileSync(join(dir, 'shrink-results.md'), text);
  const results = join(dir, 'results.md');
  const begin = '<!-- shrink-targets: begin -->';
  const end = '<!-- shrink-targets: end -->';
  const block = `${begin}\n${text}\n${end}`;
  const current = readFileSync(results, 'utf8');
  const at = current.indexOf(begin);
  const next =
    at === -1
      ? `${current.trimEnd()}\n\n${block}\n`
      : current.slice(0, at) + block + current.slice(current.indexOf(end) + end.length);
  writeFileSync(results, next);
}
