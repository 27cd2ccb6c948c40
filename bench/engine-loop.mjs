// Diagnostics: the engine's per-request work in one process (load, change, commit twice as the
// Nest module does), CPU µs per request. node [--cpu-prof] bench/engine-loop.mjs 200b|3k|12k [sign]
import { resolveOptions } from '../dist/esm/options/resolve-options.js';
import { loadSession } from '../dist/esm/core/load-session.js';
import { commitSession } from '../dist/esm/core/commit-session.js';
import { PAYLOADS } from './payloads.mjs';
const kind = process.argv[2] ?? '200b';
const options = resolveOptions(
  {
    secret: 'x'.repeat(40),
    protection: process.argv[3] ?? 'encrypt',
    limits: { maxTotalBytes: 32000 },
  },
  { warn() {}, error() {} },
);
const UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';
const req0 = { headers: { 'user-agent': UA }, socket: {} };
const s0 = await loadSession(options, req0);
Object.assign(s0.data, PAYLOADS[kind]);
const lines = await commitSession(options, s0, req0, new Set());
const cookie = lines.map((l) => l.split(';')[0]).join('; ');
const req = { headers: { 'user-agent': UA, cookie }, socket: {} };
async function once() {
  const s = await loadSession(options, req);
  s.data.count = (s.data.count ?? 0) + 1;
  const l = await commitSession(options, s, req, new Set());
  await commitSession(options, s, req, new Set());
  return l;
}
for (let i = 0; i < 5000; i++) await once();
const c0 = process.cpuUsage();
const N = 20000;
for (let i = 0; i < N; i++) await once();
const c = process.cpuUsage(c0);
console.log(kind, ((c.user + c.system) / N).toFixed(1), 'µs per load + 2 commits');
