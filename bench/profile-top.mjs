// Summarizes a V8 .cpuprofile (from `--profile VARIANT`): self and inclusive time per function.
//   node bench/profile-top.mjs bench/profiles/CPU....cpuprofile [rows] [requests] [skip-seconds]
// With `requests`, times are shown as µs per request instead of shares of the sampled time;
// `skip-seconds` leaves out the first seconds of the profile (start-up, warm-up).
import { readFileSync } from 'node:fs';

const profile = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const rows = Number(process.argv[3] ?? 30);
const requests = Number(process.argv[4] ?? 0);
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const time = new Map();
const skipMicros = Number(process.argv[5] ?? 0) * 1e6;
let at = 0;
profile.samples.forEach((id, i) => {
  at += profile.timeDeltas[i] ?? 0;
  if (at >= skipMicros) time.set(id, (time.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});
const label = (n) => {
  const f = n.callFrame;
  return `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
};
const self = new Map();
const total = new Map();
let all = 0;
for (const n of profile.nodes) {
  const t = time.get(n.id) ?? 0;
  all += t;
  self.set(label(n), (self.get(label(n)) ?? 0) + t);
  const seen = new Set();
  for (let id = n.id; id !== undefined; id = parent.get(id)) {
    const l = label(byId.get(id));
    if (seen.has(l)) continue;
    seen.add(l);
    total.set(l, (total.get(l) ?? 0) + t);
  }
}
for (const [title, map] of [
  ['self', self],
  ['inclusive', total],
]) {
  console.log(`--- ${title} time (of ${(all / 1000).toFixed(0)} ms sampled)`);
  for (const [l, t] of [...map].sort((a, b) => b[1] - a[1]).slice(0, rows)) {
    const figure = requests
      ? `${(t / requests).toFixed(1).padStart(7)} µs`
      : `${((t / all) * 100).toFixed(1).padStart(5)}%`;
    console.log(`${figure}  ${l}`);
  }
}
