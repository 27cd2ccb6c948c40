// Diagnostics: the shrinking benchmark alone, in a loop, for a profile.
//   [N=runs] node [--cpu-prof] bench/shrink-loop.mjs urls|ids   (100 runs by default, the first 10 not timed)
import { resolveOptions } from '../dist/esm/options/resolve-options.js';
import { SessionEngine } from '../dist/esm/core/session-engine.js';
import { makeBigSession } from './payloads.mjs';

const big = makeBigSession(64 * 1024, process.argv[2] ?? 'urls');
const options = resolveOptions(
  {
    secret: 'x'.repeat(40),
    // 8000 bytes of Cookie header, and a response that may carry them (the target's figure).
    limits: { maxTotalBytes: 8000, maxResponseHeaderBytes: 16384 },
    shrinkers: [
      {
        key: 'recentlyViewed',
        shrink: (l, { last }) => (last || l.length < 2 ? undefined : l.slice(1)),
      },
    ],
  },
  { warn() {}, error() {} },
);
const req = { headers: { 'user-agent': 'Mozilla/5.0 Chrome/156.0.0.0 Safari/537.36' }, socket: {} };
const engine = new SessionEngine(options);
const times = [];
for (let i = 0; i < (Number(process.env.N) || 100); i++) {
  const s = await engine.load({ ...req });
  Object.assign(s.data, big);
  const c0 = process.cpuUsage();
  await engine.commit(s, { headerBytes: 200, setCookies: [], secure: false });
  const c = process.cpuUsage(c0);
  if (i >= 10) times.push((c.user + c.system) / 1000);
}
times.sort((a, b) => a - b);
console.log(`median ${times[times.length >> 1].toFixed(2)} ms CPU, min ${times[0].toFixed(2)} ms`);
