// Diagnostics: the engine's per-request work in one process (load, change, one commit, as every
// platform does), CPU µs per request. node [--cpu-prof] bench/engine-loop.mjs 200b|3k|12k [sign]
import { resolveOptions } from '../dist/esm/options/resolve-options.js';
import { SessionEngine } from '../dist/esm/core/session-engine.js';
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
const engine = new SessionEngine(options);
/** What a small JSON response carries before the session's lines. */
const HEAD = { headerBytes: 200, setCookies: [], secure: false };
const req0 = { headers: { 'user-agent': UA }, socket: {} };
const s0 = engine.load(req0);
Object.assign(s0.data, PAYLOADS[kind]);
const lines = engine.commit(s0, HEAD);
const cookie = lines.map((l) => l.split(';')[0]).join('; ');
const req = { headers: { 'user-agent': UA, cookie }, socket: {} };
function once() {
  // A new request object each time, as on a server (the engine keeps one session per request).
  const s = engine.load({ headers: req.headers, socket: {} });
  s.data.count = (s.data.count ?? 0) + 1;
  return engine.commit(s, HEAD);
}
for (let i = 0; i < 5000; i++) once();
const c0 = process.cpuUsage();
const N = 20000;
for (let i = 0; i < N; i++) once();
const c = process.cpuUsage(c0);
console.log(kind, ((c.user + c.system) / N).toFixed(1), 'µs per load + commit');
