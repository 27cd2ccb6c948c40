// The Fastify block of `npm run bench`: the bench's Nest application on FastifyAdapter
// (bench/fastify-server.mjs) with no session (its ceiling), the floor (bench/floor-session.mjs as
// Fastify hooks: JSON + AES-256-GCM + base64url and nothing else), @fastify/secure-session, and
// this library. Same sizes, round-trip check and load generator as the Express block
// (bench/run.mjs); ratios are to the Fastify ceiling of the same round. Writes
// bench/fastify-results.json and its section at the end of bench/results.md.
import { fork } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CookieJar } from 'tough-cookie';
import { SIZES } from './payloads.mjs';

export const FASTIFY_VARIANTS = {
  'fastify-none': { label: 'Fastify, no session (ceiling)', none: true },
  'fastify-floor': { label: 'Fastify, floor: JSON + AES-256-GCM + base64url' },
  'fastify-secure-session': { label: '@fastify/secure-session' },
  'fastify-chunked': { label: 'this library on FastifyAdapter, encrypt' },
};
const MAX_COOKIE_BYTES = 4096;
const MARK = '<!-- fastify block: bench/fastify-block.mjs -->';

const median = (xs) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function next(child, predicate, timeoutMs) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('child did not answer')), timeoutMs);
    const on = (m) => {
      if (!predicate(m)) return;
      clearTimeout(timer);
      child.off('message', on);
      resolve(m);
    };
    child.on('message', on);
  });
}

/** Seeds, reads back, writes once, reads back: as bench/run.mjs, with a 4096-byte browser. */
async function roundTrip(base, kind, userAgent) {
  const jar = new CookieJar();
  const dropped = [];
  const request = async (path) => {
    const url = base + path;
    const cookie = await jar.getCookieString(url);
    const res = await fetch(url, { headers: { cookie, 'user-agent': userAgent } });
    for (const line of res.headers.getSetCookie()) {
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
  if (seed.status !== 200) return { holds: false, reason: `seeding answered ${seed.status}` };
  const cookieHeader = await jar.getCookieString(`${base}/hit`);
  const first = JSON.parse((await request(`/check/${kind}`)).body);
  const hit = await request('/hit');
  const second = JSON.parse((await request(`/check/${kind}`)).body);
  const holds = first.intact && hit.status === 200 && second.intact;
  return {
    holds,
    reason: holds
      ? undefined
      : dropped.length
        ? `cookie over 4096 bytes dropped by the browser: ${dropped.join(', ')}`
        : 'session did not come back whole',
    cookieHeader,
    cookieBytes: cookieHeader.length,
  };
}

/** Runs the block; `start(script, args, cpu)` forks pinned as the Express block does. */
export async function runFastifyBlock({
  here,
  start,
  rounds,
  duration,
  userAgent,
  connections,
  log,
}) {
  const names = Object.keys(FASTIFY_VARIANTS);
  const servers = {};
  for (const name of names) {
    const child = start('fastify-server.mjs', [name], 1);
    const ready = await next(child, (m) => m.type === 'ready', 60_000);
    servers[name] = { child, base: `http://127.0.0.1:${ready.port}` };
  }
  const load = start('load.mjs', [], 0);
  await next(load, (m) => m.type === 'ready', 60_000);
  const checks = {};
  for (const name of names) {
    checks[name] = {};
    for (const size of SIZES) {
      checks[name][size.key] = FASTIFY_VARIANTS[name].none
        ? { holds: true, cookieHeader: '', cookieBytes: 0 }
        : await roundTrip(servers[name].base, size.key, userAgent);
    }
  }
  let id = 0;
  const stats = async (name) => (await fetch(`${servers[name].base}/__stats`)).json();
  const cells = [];
  for (let round = 0; round <= rounds; round++) {
    for (const size of SIZES) {
      for (const name of names) {
        const check = checks[name][size.key];
        if (!check.holds) continue;
        const before = await stats(name);
        const cellId = ++id;
        load.send({
          id: cellId,
          url: `${servers[name].base}/hit`,
          headers: check.cookieHeader
            ? { cookie: check.cookieHeader, 'user-agent': userAgent }
            : { 'user-agent': userAgent },
          duration: round === 0 ? 1 : duration,
          connections,
        });
        const result = await next(load, (m) => m.id === cellId, (duration + 60) * 1000);
        const after = await stats(name);
        const hits = after.hits - before.hits;
        const problems = [];
        if (result.error || result.non2xx || result.errors) problems.push('errors or non-2xx');
        if (!FASTIFY_VARIANTS[name].none && after.seen - before.seen !== hits)
          problems.push('requests that did not see the session');
        if (!FASTIFY_VARIANTS[name].none && after.setCookie - before.setCookie !== hits)
          problems.push('responses that did not re-seal');
        // Round 0 warms up.
        if (round > 0)
          cells.push({
            variant: name,
            size: size.key,
            round,
            valid: problems.length === 0,
            problem: problems.join('; ') || undefined,
            rps: result.ok2xx / result.seconds,
            cpu: (after.cpuMicros - before.cpuMicros) / Math.max(hits, 1),
          });
      }
    }
    if (round > 0) log(`fastify: round ${round} of ${rounds} done`);
  }
  load.kill();
  for (const { child } of Object.values(servers)) {
    child.send({ type: 'stop' });
    await next(child, (m) => m.type === 'stopped', 30_000).catch(() => child.kill());
  }
  const table = {};
  for (const name of names) {
    table[name] = {};
    for (const size of SIZES) {
      const check = checks[name][size.key];
      if (!check.holds) {
        table[name][size.key] = { holds: false, reason: check.reason };
        continue;
      }
      const mine = cells.filter((c) => c.variant === name && c.size === size.key && c.valid);
      const ratio = (other, f) =>
        median(
          mine.map((c) => {
            const o = cells.find(
              (x) => x.variant === other && x.size === size.key && x.round === c.round && x.valid,
            );
            return o ? f(c, o) : NaN;
          }),
        );
      table[name][size.key] = {
        holds: true,
        rounds: mine.length,
        invalid: cells.filter((c) => c.variant === name && c.size === size.key && !c.valid).length,
        rps: median(mine.map((c) => c.rps)),
        cpu: median(mine.map((c) => c.cpu)),
        rpsRatio: ratio('fastify-none', (c, o) => c.rps / o.rps),
        overheadMicros: ratio('fastify-none', (c, o) => c.cpu - o.cpu),
        cookieBytes: check.cookieBytes,
      };
    }
  }
  const outcome = {
    settings: { rounds, duration, connections },
    table,
    cells,
    finishedAt: new Date().toISOString(),
  };
  writeFileSync(join(here, 'fastify-results.json'), JSON.stringify(outcome, null, 2) + '\n');
  appendFastifyReport(here);
  return outcome;
}

const fmt = (x, digits = 0) => (Number.isFinite(x) ? x.toFixed(digits) : '–');

/** Puts the Fastify section at the end of bench/results.md (again), from bench/fastify-results.json. */
export function appendFastifyReport(here) {
  const source = join(here, 'fastify-results.json');
  const target = join(here, 'results.md');
  if (!existsSync(source) || !existsSync(target)) return;
  const { table, settings, finishedAt } = JSON.parse(readFileSync(source, 'utf8'));
  const lines = [
    MARK,
    '',
    '## Fastify',
    '',
    `The same Nest application on \`FastifyAdapter\` (bench/fastify-server.mjs), ${settings.rounds} rounds of ${settings.duration} s per cell, ${settings.connections} connections; ratios to the Fastify ceiling of the same round; CPU overhead in µs per request over the ceiling. ${finishedAt}.`,
    '',
    `| layer | ${SIZES.map((s) => `${s.label}: req/s (of ceiling), µs over`).join(' | ')} |`,
    `|---|${SIZES.map(() => '---').join('|')}|`,
  ];
  for (const [name, variant] of Object.entries(FASTIFY_VARIANTS)) {
    const row = SIZES.map((s) => {
      const c = table[name]?.[s.key];
      if (!c) return '–';
      if (!c.holds) return 'cannot hold it';
      if (variant.none) return `${fmt(c.rps)}`;
      return `${fmt(c.rps)} (${fmt(c.rpsRatio, 2)}), ${fmt(c.overheadMicros, 1)} µs`;
    });
    lines.push(`| ${variant.label} | ${row.join(' | ')} |`);
  }
  const cannot = [];
  for (const [name, variant] of Object.entries(FASTIFY_VARIANTS)) {
    for (const s of SIZES) {
      const c = table[name]?.[s.key];
      if (c && !c.holds) cannot.push(`- ${variant.label}, ${s.label}: ${c.reason}`);
    }
  }
  if (cannot.length)
    lines.push('', 'Round trip (a browser that drops a cookie over 4096 bytes):', '', ...cannot);
  const floor = table['fastify-floor'];
  const ours = table['fastify-chunked'];
  const against = SIZES.filter((s) => floor?.[s.key]?.holds && ours?.[s.key]?.holds).map(
    (s) => `${s.label}: ${fmt((ours[s.key].rps / floor[s.key].rps) * 100)} % of the floor's req/s`,
  );
  if (against.length) lines.push('', `This library against the floor: ${against.join('; ')}.`);
  const md = readFileSync(target, 'utf8');
  const at = md.indexOf(MARK);
  const kept = (at === -1 ? md : md.slice(0, at)).trimEnd();
  writeFileSync(target, `${kept}\n\n${lines.join('\n')}\n`);
}
