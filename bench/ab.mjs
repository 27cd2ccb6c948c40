// Diagnostics: server CPU µs per request of some variants on one path, A/B, a few rounds.
//   taskset -c 0 node bench/ab.mjs none,chunked-encrypt /hit 200b [rounds]   (kind '' = no cookie)
import { fork } from 'node:child_process';
import autocannon from 'autocannon';
const variants = process.argv[2].split(',');
const path = process.argv[3];
const kind = process.argv[4];
const rounds = +(process.argv[5] ?? 3);
const servers = await Promise.all(
  variants.map(
    (v) =>
      new Promise((res) => {
        const c = fork('./bench/server.mjs', [v], {
          execPath: 'taskset',
          execArgv: [
            '-c',
            '1',
            process.execPath,
            ...(process.env.PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.PROF] : []),
          ],
        });
        c.on(
          'message',
          (m) => m.type === 'ready' && res({ v, c, base: `http://127.0.0.1:${m.port}` }),
        );
      }),
  ),
);
for (const s of servers) {
  s.cookie = process.env.COOKIE ?? '';
  if (kind && s.v !== 'none') {
    const r = await fetch(`${s.base}/seed/${kind}`);
    s.cookie = r.headers
      .getSetCookie()
      .map((l) => l.split(';')[0])
      .join('; ');
  }
}
const res = Object.fromEntries(variants.map((v) => [v, []]));
for (let r = 0; r < rounds + 1; r++)
  for (const s of servers) {
    const a = await (await fetch(`${s.base}/__stats`)).json();
    await autocannon({
      url: s.base + path,
      connections: 10,
      duration: r === 0 ? 1 : 3,
      headers: s.cookie ? { cookie: s.cookie } : {},
    });
    const b = await (await fetch(`${s.base}/__stats`)).json();
    if (r) res[s.v].push(Math.round((b.cpuMicros - a.cpuMicros) / (b.hits - a.hits)));
  }
for (const [v, xs] of Object.entries(res))
  console.log(v.padEnd(24), xs.sort((a, b) => a - b).join(' '), ' median', xs[xs.length >> 1]);
for (const s of servers) s.c.send({ type: 'stop' });
