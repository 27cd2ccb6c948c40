// Diagnostics: the engine's per-request work in one process (load, change, one commit, as every
// platform does) beside the floor's (bench/floor-session.mjs: open + seal), CPU µs per request.
//   node [--cpu-prof] bench/engine-loop.mjs 200b|3k|12k [encrypt|sign] [--rounds N] [--only engine|floor]
// Rounds of each alternate; the minimum and the median over rounds are printed, and their ratio.
import { engineRequest, floorRequest } from './loops.mjs';

const argv = process.argv.slice(2);
const option = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv.splice(i, 2)[1] : fallback;
};
const ROUNDS = Number(option('--rounds', 7));
const only = option('--only', undefined);
const kind = argv[0] ?? '200b';
const protection = argv[1] ?? 'encrypt';
const N = 4000;

const loops = {};
if (only !== 'floor') loops.engine = engineRequest(kind, protection);
if (only !== 'engine' && protection === 'encrypt') loops.floor = floorRequest(kind);
const rounds = Object.fromEntries(Object.keys(loops).map((name) => [name, []]));
for (const once of Object.values(loops)) for (let i = 0; i < 5000; i++) once();
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, once] of Object.entries(loops)) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < N; i++) once();
    const c = process.cpuUsage(c0);
    rounds[name].push((c.user + c.system) / N);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const figures = {};
for (const [name, xs] of Object.entries(rounds)) {
  figures[name] = { min: Math.min(...xs), median: median(xs) };
  console.log(
    `${kind} ${name.padEnd(6)} min ${figures[name].min.toFixed(1).padStart(6)}  median ${figures[name].median.toFixed(1).padStart(6)} µs per request`,
  );
}
if (figures.engine && figures.floor) {
  console.log(
    `${kind} engine ÷ floor: ${(figures.engine.min / figures.floor.min).toFixed(2)}× (min), ${(figures.engine.median / figures.floor.median).toFixed(2)}× (median)`,
  );
}
