// `npm run bench` (after the build): micro-benchmarks, then the HTTP benchmarks, then
// bench/results.md, bench/results.svg and bench/results.json.
//
//   --quick            about a minute: one round of 1 s cells, short micro-benchmarks
//   --rounds N         measured rounds (default 5)
//   --duration S       seconds per cell (default 3)
//   --variants a,b     only these variants (the ceiling `none` is always added)
//   --no-micro         skip the micro-benchmarks      --no-http   skip the HTTP benchmarks
//   --no-memory        skip bytes allocated per request (bench/memory.mjs)
//   --no-fastify       skip the Fastify block (bench/fastify-block.mjs)
//   --profile A,B      start those servers with --cpu-prof (profiles in bench/profiles/)
//   --sizes 200b,3k     only these sizes (200b, 3k, 12k)
//   --report-only      write results.md and results.svg again from results.json (and NOTES.md)
//   --no-pin           do not pin the server and the load generator to separate cores
import { execFileSync, fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CookieJar } from 'tough-cookie';
import { Redis } from 'ioredis';
import { SIZES as ALL_SIZES } from './payloads.mjs';
import { REDIS_URL, VARIANTS, VARIANT_NAMES } from './variants.mjs';
import { rewriteReport, writeReport } from './report.mjs';
import { appendFastifyReport, runFastifyBlock } from './fastify-block.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const value = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : fallback;
};
const QUICK = flag('--quick');
const ROUNDS = Number(value('--rounds', QUICK ? 1 : 5));
const DURATION = Number(value('--duration', QUICK ? 1 : 3));
const WARMUP = 1;
const CONNECTIONS = 10;
const SIZES = value('--sizes', undefined)
  ? ALL_SIZES.filter((s) => value('--sizes').split(',').includes(s.key))
  : ALL_SIZES;
const PROFILE = value('--profile', undefined);
const PIN = !flag('--no-pin') && hasTaskset();
const UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';
/** Chromium and Firefox ignore a cookie whose name + value is over 4096 bytes (COOKIE-LIMITS.md). */
const MAX_COOKIE_BYTES = 4096;

const started = Date.now();
const log = (m) =>
  console.log(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${m}`);
const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function hasTaskset() {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Forks a Node script, pinned to `cpu` with taskset when pinning. */
function start(script, args, cpu, nodeArgs = []) {
  const path = join(here, script);
  if (!PIN)
    return fork(path, args, { execArgv: nodeArgs, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return fork(path, args, {
    execPath: 'taskset',
    execArgv: ['-c', String(cpu), process.execPath, ...nodeArgs],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

function nextMessage(child, predicate = () => true, timeoutMs = 60_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error('child did not answer'));
    }, timeoutMs);
    const onMessage = (m) => {
      if (!predicate(m)) return;
      cleanup();
      resolve(m);
    };
    const onExit = (code) => {
      cleanup();
      reject(new Error(`child exited (${code})`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

async function redisAvailable() {
  const client = new Redis(REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
    return true;
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

// ---- micro-benchmarks ---------------------------------------------------------------------------

function startMicro() {
  const path = join(here, 'micro.mjs');
  const args = QUICK ? ['--quick'] : [];
  const opts = { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] };
  return PIN
    ? fork(path, args, { ...opts, execPath: 'taskset', execArgv: ['-c', '1', process.execPath] })
    : fork(path, args, opts);
}

/** Bytes allocated per request, this library against the floor (bench/memory.mjs, its own process). */
function runMemory() {
  const args = [join(here, 'memory.mjs'), SIZES.map((s) => s.key).join(','), '--json'];
  const out = PIN
    ? execFileSync('taskset', ['-c', '1', process.execPath, ...args], { encoding: 'utf8' })
    : execFileSync(process.execPath, args, { encoding: 'utf8' });
  return JSON.parse(out);
}

// ---- HTTP ---------------------------------------------------------------------------------------

async function startServer(name) {
  const nodeArgs = [];
  if (PROFILE?.split(',').includes(name)) {
    mkdirSync(join(here, 'profiles'), { recursive: true });
    nodeArgs.push('--cpu-prof', '--cpu-prof-dir', join(here, 'profiles'));
  }
  const child = start('server.mjs', [name], 1, nodeArgs);
  const ready = await nextMessage(child, (m) => m.type === 'ready');
  return { name, child, base: `http://127.0.0.1:${ready.port}` };
}

async function stopServer(server) {
  server.child.send({ type: 'stop' });
  await nextMessage(server.child, (m) => m.type === 'stopped', 30_000).catch(() =>
    server.child.kill(),
  );
  await new Promise((resolve) =>
    server.child.exitCode !== null ? resolve() : server.child.on('exit', resolve),
  );
}

/**
 * Seeds a session of `kind` through a real cookie jar that, like Chromium and Firefox, ignores a
 * cookie over 4096 bytes; then checks that the session comes back whole, and again after one
 * request of the benchmarked route re-sealed it. Returns the Cookie header every load request
 * carries, or why the variant cannot hold the payload.
 */
async function roundTrip(server, kind) {
  const jar = new CookieJar();
  const dropped = [];
  let setCookieBytes = 0;
  const request = async (path) => {
    const url = server.base + path;
    const cookie = await jar.getCookieString(url);
    const res = await fetch(url, { headers: { cookie, 'user-agent': UA } });
    for (const line of res.headers.getSetCookie()) {
      setCookieBytes += line.length;
      const pair = line.split(';', 1)[0];
      const nameValue = Buffer.byteLength(pair) - 1;
      if (nameValue > MAX_COOKIE_BYTES) {
        dropped.push(`${pair.slice(0, pair.indexOf('='))} (${nameValue} bytes)`);
        continue;
      }
      await jar.setCookie(line, url);
    }
    return { status: res.status, body: await res.text() };
  };
  const seed = await request(`/seed/${kind}`);
  if (seed.status !== 200) {
    return { holds: false, reason: `seeding answered ${seed.status}: ${seed.body.slice(0, 160)}` };
  }
  const seedSetCookieBytes = setCookieBytes;
  const cookieHeader = await jar.getCookieString(`${server.base}/hit`);
  const first = JSON.parse((await request(`/check/${kind}`)).body);
  const hit = await request('/hit');
  const second = JSON.parse((await request(`/check/${kind}`)).body);
  const holds = first.intact && hit.status === 200 && second.intact;
  const reason = holds
    ? undefined
    : dropped.length
      ? `cookie over 4096 bytes dropped by the browser: ${dropped.join(', ')}`
      : `session did not come back whole (first read ${first.intact}, after a write ${second.intact})`;
  return {
    holds,
    reason,
    cookieHeader,
    cookieBytes: cookieHeader.length,
    setCookieBytes: seedSetCookieBytes,
  };
}

async function serverStats(server) {
  const res = await fetch(`${server.base}/__stats`);
  return res.json();
}

let cellId = 0;
async function runCell(load, server, check, duration) {
  const before = await serverStats(server);
  const id = ++cellId;
  load.send({
    id,
    url: `${server.base}/hit`,
    headers: check.cookieHeader
      ? { cookie: check.cookieHeader, 'user-agent': UA }
      : { 'user-agent': UA },
    duration,
    connections: CONNECTIONS,
  });
  const result = await nextMessage(load, (m) => m.id === id, (duration + 60) * 1000);
  const after = await serverStats(server);
  if (result.error) return { valid: false, problem: result.error };
  const hits = after.hits - before.hits;
  const seen = after.seen - before.seen;
  const setCookie = after.setCookie - before.setCookie;
  const variant = VARIANTS[server.name];
  const problems = [];
  if (result.non2xx || result.errors || result.timeouts) {
    problems.push(`${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`);
  }
  if (variant.kind !== 'none' && seen !== hits)
    problems.push(`${hits - seen} of ${hits} requests did not see the session`);
  if ((variant.cookie || variant.kind === 'chunked') && setCookie !== hits) {
    problems.push(`${hits - setCookie} of ${hits} responses did not re-seal the cookie`);
  }
  return {
    valid: problems.length === 0,
    problem: problems.join('; ') || undefined,
    rps: result.ok2xx / result.seconds,
    cpuMicrosPerRequest: (after.cpuMicros - before.cpuMicros) / hits,
    hits,
    latencyP50: result.latencyP50,
    latencyP99: result.latencyP99,
  };
}

async function runHttp() {
  if (
    Number(
      process.execArgv.find((a) => a.startsWith('--max-http-header-size='))?.split('=')[1] ?? 0,
    ) < 65536
  ) {
    throw new Error(
      'run with node --max-http-header-size=65536 (scripts/bench.mjs does): fetch must read 12 KB sessions',
    );
  }
  let names = VARIANT_NAMES;
  const only = value('--variants', undefined);
  if (only) names = ['none', ...only.split(',').filter((n) => n !== 'none')];
  for (const n of names) if (!VARIANTS[n]) throw new Error(`unknown variant ${n}`);
  const skipped = {};
  if (!(await redisAvailable())) {
    for (const n of names)
      if (VARIANTS[n].usesRedis) skipped[n] = `Redis not reachable at ${REDIS_URL}`;
    names = names.filter((n) => !VARIANTS[n].usesRedis);
    log(`Redis not reachable at ${REDIS_URL}: its variants are skipped`);
  }

  log(`starting ${names.length} servers${PIN ? ' (pinned to CPU 1, load on CPU 0)' : ''}…`);
  const servers = Object.fromEntries(
    (await Promise.all(names.map((n) => startServer(n)))).map((server) => [server.name, server]),
  );
  const load = start('load.mjs', [], 0);
  await nextMessage(load, (m) => m.type === 'ready');

  try {
    log('round-trip checks…');
    const checks = {};
    for (const n of names) {
      checks[n] = {};
      for (const size of SIZES) checks[n][size.key] = await roundTrip(servers[n], size.key);
    }

    const cells = []; // every measured cell
    const plan = [];
    for (let r = 0; r < WARMUP + ROUNDS; r++) plan.push(r);
    for (const r of plan) {
      const warm = r < WARMUP;
      const duration = warm ? 1 : DURATION;
      log(warm ? 'warm-up round…' : `round ${r - WARMUP + 1} of ${ROUNDS}…`);
      for (const size of SIZES) {
        // Round-robin, the starting variant rotating from round to round.
        const order = names.map((_, i) => names[(i + r) % names.length]);
        for (const n of order) {
          const check = checks[n][size.key];
          if (!check.holds) continue;
          const cell = await runCell(load, servers[n], check, duration);
          if (!warm) cells.push({ round: r - WARMUP, variant: n, size: size.key, ...cell });
          if (!cell.valid) log(`  ${n} ${size.key}: INVALID: ${cell.problem}`);
        }
      }
    }
    return { names, skipped, checks, cells };
  } finally {
    load.kill();
    await Promise.all(Object.values(servers).map(stopServer));
  }
}

/** Medians over rounds, and each round's figures as ratios to the ceiling of the same round and size. */
function summarize(http) {
  const byKey = (v, s) => http.cells.filter((c) => c.variant === v && c.size === s && c.valid);
  const table = {};
  for (const v of http.names) {
    table[v] = {};
    for (const size of SIZES) {
      const check = http.checks[v][size.key];
      if (!check.holds) {
        table[v][size.key] = { holds: false, reason: check.reason };
        continue;
      }
      const cells = byKey(v, size.key);
      const invalid = http.cells.filter((c) => c.variant === v && c.size === size.key && !c.valid);
      const ceilingOf = (round) =>
        http.cells.find(
          (c) => c.variant === 'none' && c.size === size.key && c.round === round && c.valid,
        );
      const rpsRatios = [];
      const cpuRatios = [];
      const overheads = [];
      for (const c of cells) {
        const ceiling = ceilingOf(c.round);
        if (!ceiling) continue;
        rpsRatios.push(c.rps / ceiling.rps);
        cpuRatios.push(ceiling.cpuMicrosPerRequest / c.cpuMicrosPerRequest);
        overheads.push(c.cpuMicrosPerRequest - ceiling.cpuMicrosPerRequest);
      }
      table[v][size.key] = {
        holds: true,
        rounds: cells.length,
        invalid: invalid.map((c) => c.problem),
        rps: median(cells.map((c) => c.rps)),
        cpu: median(cells.map((c) => c.cpuMicrosPerRequest)),
        rpsRatio: median(rpsRatios),
        cpuRatio: median(cpuRatios),
        overheadMicros: median(overheads),
        latencyP50: median(cells.map((c) => c.latencyP50)),
        latencyP99: median(cells.map((c) => c.latencyP99)),
        cookieBytes: check.cookieBytes,
        setCookieBytes: check.setCookieBytes,
      };
    }
  }
  return table;
}

function versions() {
  const root = join(here, '..');
  const v = (p) => {
    try {
      return JSON.parse(
        execFileSync(
          process.execPath,
          ['-p', `JSON.stringify(require('./node_modules/${p}/package.json').version)`],
          { cwd: root, encoding: 'utf8' },
        ),
      );
    } catch {
      return 'not installed';
    }
  };
  const own = JSON.parse(
    execFileSync(process.execPath, ['-p', "JSON.stringify(require('./package.json').version)"], {
      cwd: root,
      encoding: 'utf8',
    }),
  );
  return {
    'nestjs-chunked-session': own,
    ...Object.fromEntries(
      [
        '@nestjs/core',
        '@nestjs/platform-express',
        'express',
        'express-session',
        'connect-redis',
        'redis',
        'cookie-session',
        'iron-session',
        'cookie-signature',
        'ioredis',
        'autocannon',
      ].map((p) => [p, v(p)]),
    ),
  };
}

async function main() {
  if (flag('--report-only')) {
    rewriteReport(here);
    appendFastifyReport(here);
    log('bench/results.md and bench/results.svg written again from bench/results.json');
    return;
  }
  const settings = {
    buildSeconds: Number(process.env.BENCH_BUILD_SECONDS ?? 0),
    sizes: SIZES.map((s) => s.key),
    quick: QUICK,
    rounds: ROUNDS,
    duration: DURATION,
    warmup: WARMUP,
    connections: CONNECTIONS,
    pinned: PIN,
    userAgent: UA,
  };
  let micro;
  if (!flag('--no-micro')) {
    const child = startMicro();
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const code = await new Promise((resolve) => child.on('exit', resolve));
    if (code !== 0) throw new Error(`micro-benchmarks failed (exit ${code})`);
    micro = JSON.parse(out);
    log('micro-benchmarks done');
  }
  let memory;
  if (!flag('--no-memory')) {
    memory = runMemory();
    log('memory per request done');
  }
  let http;
  let table;
  if (!flag('--no-http')) {
    http = await runHttp();
    table = summarize(http);
  }
  const elapsedSeconds = (Date.now() - started) / 1000;
  const outcome = {
    settings,
    micro,
    memory,
    http,
    table,
    versions: versions(),
    elapsedSeconds,
    finishedAt: new Date().toISOString(),
  };
  writeReport(outcome, here);
  if (!flag('--no-http') && !flag('--no-fastify')) {
    const opts = { here, start, rounds: ROUNDS, duration: DURATION, userAgent: UA, log };
    await runFastifyBlock({ ...opts, connections: CONNECTIONS });
  }
  log(
    `done in ${elapsedSeconds.toFixed(0)} s: bench/results.md, bench/results.svg, bench/results.json`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
