// Writes bench/results.md (tables, targets, machine, versions), bench/results.svg (requests per
// second by variant and size, hand-written SVG) and bench/results.json (every measured cell).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { SIZES as ALL_SIZES } from './payloads.mjs';

/** The sizes of this run (all of them unless --sizes chose some). */
let SIZES = ALL_SIZES;
import { VARIANTS } from './variants.mjs';

const fmt = (x, digits = 0) => (Number.isFinite(x) ? x.toFixed(digits) : '–');
const int = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '–');

function machine() {
  let cpu = 'unknown';
  try {
    cpu = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpu;
  } catch {
    // not Linux
  }
  return {
    cpus: availableParallelism(),
    cpu,
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadAverage: loadavg()
      .map((x) => x.toFixed(2))
      .join(', '),
  };
}

/** Each target of the issue (issue 11), with the measured figure and whether it is met. */
function targets({ micro, memory, table }) {
  const rows = [];
  for (const s of memory?.sizes ?? []) {
    const ratio = s.engine.bytes / s.floor.bytes;
    const partial = [s.engine, s.floor].some((m) => m.runs < memory.runs);
    rows.push({
      target: `\`encrypt\`, bytes allocated per request at ${s.label} (load + change + commit, one process): no more than the bare layer's (floor) + 20 %`,
      measured:
        `${int(s.engine.bytes)} vs ${int(s.floor.bytes)} B (${fmt(ratio, 2)}×)` +
        (partial ? ' · a collection ran during some runs: fewer runs counted' : ''),
      met: Number.isFinite(ratio) ? ratio <= 1.2 : undefined,
    });
  }
  if (table?.['chunked-encrypt'] && table.floor) {
    for (const size of SIZES) {
      const ours = table['chunked-encrypt'][size.key];
      const floor = table.floor[size.key];
      const over = ours?.cpu / floor?.cpu - 1;
      rows.push({
        target: `\`encrypt\`, server CPU per request at ${size.label}: within 10 % of the bare layer (floor)`,
        measured: `${fmt(ours?.cpu)} vs ${fmt(floor?.cpu)} µs (${fmt(over * 100)} % over) · req/s ${int(ours?.rps)} vs ${int(floor?.rps)}`,
        met: ours?.holds && over <= 0.1,
      });
    }
  }
  for (const mode of ['chunked-encrypt', 'chunked-sign']) {
    if (!table?.[mode]) continue;
    for (const peer of ['express-session-memory', 'cookie-session']) {
      if (!table[peer]) continue;
      for (const size of SIZES) {
        const ours = table[mode][size.key];
        const theirs = table[peer][size.key];
        if (!theirs?.holds) continue; // "at every size they can hold"
        rows.push({
          target: `\`${mode.slice(8)}\` ahead of ${peer} at ${size.label}`,
          measured: `CPU µs/req ${fmt(ours?.cpu)} vs ${fmt(theirs.cpu)} · req/s ${int(ours?.rps)} vs ${int(theirs.rps)}`,
          met: ours?.holds && ours.cpu < theirs.cpu && ours.rps > theirs.rps,
        });
      }
    }
  }
  if (table?.['chunked-redis'] && table['express-session-redis']) {
    for (const size of SIZES) {
      const ours = table['chunked-redis'][size.key];
      const theirs = table['express-session-redis'][size.key];
      rows.push({
        target: `RedisStore partition ahead of express-session + connect-redis at ${size.label}`,
        measured: `CPU µs/req ${fmt(ours?.cpu)} vs ${fmt(theirs?.cpu)} · req/s ${int(ours?.rps)} vs ${int(theirs?.rps)}`,
        met: ours?.holds && theirs?.holds && ours.cpu < theirs.cpu && ours.rps > theirs.rps,
      });
    }
  }
  if (micro) {
    rows.push({
      target: `shrinking a ${fmt(micro.shrink.sessionBytes / 1024)} KB session to ${micro.shrink.maxTotalBytes} bytes, one element at a time: < 2 ms`,
      measured: `${fmt(micro.shrink.medianMs, 2)} ms (median of ${micro.shrink.runs})`,
      met: micro.shrink.medianMs < 2,
    });
    if (micro.shrinkOverBy) {
      rows.push({
        target: `the same with a shrinker that uses \`overBy\`: < 0.5 ms`,
        measured: `${fmt(micro.shrinkOverBy.medianMs, 2)} ms (median of ${micro.shrinkOverBy.runs})`,
        met: micro.shrinkOverBy.medianMs < 0.5,
      });
    }
    if (micro.shrinkWorstOverBy) {
      rows.push({
        target: `a list of ${micro.shrinkWorstOverBy.listLength} short ids, a shrinker that uses \`overBy\`: < 1 ms`,
        measured: `${fmt(micro.shrinkWorstOverBy.medianMs, 2)} ms (median of ${micro.shrinkWorstOverBy.runs})`,
        met: micro.shrinkWorstOverBy.medianMs < 1,
      });
    }
    if (micro.shrinkWorst) {
      rows.push({
        target: `a list of ${micro.shrinkWorst.listLength} short ids, one element at a time (no target: the shrinker's own copying grows with the list, the engine's cost per step is the next row)`,
        measured: `${fmt(micro.shrinkWorst.medianMs, 2)} ms (median of ${micro.shrinkWorst.runs})`,
        met: undefined,
      });
    }
    if (micro.shrinkSteps?.length) {
      // Constant: the longest list's step within 1.5× of the shortest's (CPU time, noisy machine).
      const steps = micro.shrinkSteps;
      const first = steps[0];
      const last = steps.at(-1);
      rows.push({
        target:
          "one element at a time: the engine's own cost per step does not grow with the list (µs per step, engine · shrinker's own copying)",
        measured: steps
          .map(
            (s) =>
              `${int(s.length)} ids: ${fmt(s.engineUsPerStep, 2)} · ${fmt(s.shrinkerUsPerStep, 2)}`,
          )
          .join('; '),
        met: last.engineUsPerStep <= 1.5 * first.engineUsPerStep,
      });
    }
    for (const s of micro.sizes) {
      const ratio = s.us.encrypt / s.us.floorEncrypt;
      rows.push({
        target: `(no target) seal + open alone, \`encrypt\`, ${s.label}, against the floor's`,
        measured: `${fmt(ratio, 2)}× (${fmt(s.us.encrypt, 1)} vs ${fmt(s.us.floorEncrypt, 1)} µs)`,
        met: undefined,
      });
    }
  }
  return rows;
}

function httpTables({ http, table, settings }) {
  const lines = [];
  for (const size of SIZES) {
    lines.push(`### ${size.label} session`, '');
    lines.push(
      '| variant | req/s | req/s ÷ ceiling | server CPU µs/req | ceiling µs ÷ CPU µs | session layer µs/req | p50 / p99 ms | Cookie header bytes |',
      '|---|---:|---:|---:|---:|---:|---:|---:|',
    );
    for (const v of http.names) {
      const c = table[v][size.key];
      const label = VARIANTS[v].label;
      if (!c.holds) {
        lines.push(`| ${label} | **cannot hold it** | | | | | | |`);
        continue;
      }
      const bad = c.invalid.length ? ` (${c.invalid.length} invalid cells)` : '';
      lines.push(
        `| ${label}${bad} | ${int(c.rps)} | ${fmt(c.rpsRatio, 2)} | ${fmt(c.cpu, 1)} | ${fmt(c.cpuRatio, 2)} | ${v === 'none' ? '–' : fmt(c.overheadMicros, 1)} | ${fmt(c.latencyP50)} / ${fmt(c.latencyP99)} | ${c.cookieBytes} |`,
      );
    }
    lines.push('');
  }
  const cannot = [];
  for (const v of http.names) {
    for (const size of SIZES) {
      const c = table[v][size.key];
      if (!c.holds) cannot.push(`- ${VARIANTS[v].label}, ${size.label}: ${c.reason}`);
    }
  }
  if (cannot.length)
    lines.push('Payloads a library cannot hold (found by the round trip):', '', ...cannot, '');
  for (const [v, why] of Object.entries(http.skipped))
    lines.push(`- ${VARIANTS[v].label}: skipped (${why})`);
  const invalid = http.cells.filter((c) => !c.valid);
  if (invalid.length) {
    lines.push('', 'Invalid cells (left out of the medians):', '');
    for (const c of invalid)
      lines.push(`- round ${c.round + 1}, ${c.variant}, ${c.size}: ${c.problem}`);
  }
  return lines;
}

function microTables(micro) {
  const names = {
    json: '`JSON.stringify` + `JSON.parse` only',
    floorEncrypt: 'floor `encrypt`: JSON + AES-256-GCM + base64url',
    encrypt: '**this library, `encrypt`** (envelope, seal, chunks; join, open, envelope)',
    floorSign: 'floor `sign`: JSON + base64url + HMAC-SHA256',
    sign: '**this library, `sign`**',
    iron: 'iron-session `sealData` + `unsealData`',
    cookieSignature: 'cookie-signature `sign` + `unsign` (base64url JSON)',
  };
  const lines = [
    `| seal + open, µs per session | ${micro.sizes.map((s) => s.label).join(' | ')} |`,
    `|---|${micro.sizes.map(() => '---:').join('|')}|`,
  ];
  for (const [key, label] of Object.entries(names)) {
    lines.push(`| ${label} | ${micro.sizes.map((s) => fmt(s.us[key], 1)).join(' | ')} |`);
  }
  lines.push(
    `| this library ÷ floor, \`encrypt\` | ${micro.sizes.map((s) => fmt(s.us.encrypt / s.us.floorEncrypt, 2) + '×').join(' | ')} |`,
    `| this library ÷ floor, \`sign\` | ${micro.sizes.map((s) => fmt(s.us.sign / s.us.floorSign, 2) + '×').join(' | ')} |`,
  );
  const shrinkRow = (s, what) =>
    `| ${what} | ${fmt(s.sessionBytes / 1024, 1)} KB, ${s.listLength} entries | ${s.keptEntries} entries, ${s.cookies} cookies, ${s.cookieHeaderBytes} bytes of Cookie header | ${fmt(s.medianMs, 2)} | ${fmt(s.maxMs, 2)} |`;
  lines.push(
    '',
    "| shrinking (the engine's save path, default limits of a Chromium request) | session | written | median ms | max ms |",
    '|---|---|---|---:|---:|',
    shrinkRow(micro.shrink, micro.shrink.what),
  );
  for (const s of [micro.shrinkOverBy, micro.shrinkWorst, micro.shrinkWorstOverBy]) {
    if (s) lines.push(shrinkRow(s, s.what));
  }
  return lines;
}

/** Grouped bars: requests per second by size (groups) and variant (bars). */
export function chart({ http, table }) {
  const palette = [
    '#9e9e9e',
    '#5d4037',
    '#1565c0',
    '#42a5f5',
    '#00897b',
    '#ef6c00',
    '#f9a825',
    '#8e24aa',
    '#c62828',
  ];
  const W = 980;
  const H = 470;
  const left = 70;
  const top = 50;
  const plotW = W - left - 20;
  const plotH = 300;
  const names = http.names;
  const max = Math.max(1, ...names.flatMap((v) => SIZES.map((s) => table[v][s.key].rps ?? 0)));
  const step = 10 ** Math.floor(Math.log10(max / 4));
  const tick = [1, 2, 5, 10].map((m) => m * step).find((t) => max / t <= 6);
  const yMax = Math.ceil(max / tick) * tick;
  const y = (v) => top + plotH - (v / yMax) * plotH;
  const groupW = plotW / SIZES.length;
  const barW = Math.min(28, (groupW - 30) / names.length);
  const out = [];
  const esc = (t) => String(t).replace(/&/g, '&amp;').replace(/</g, '&lt;');
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">Requests per second by session layer and session size (median of rounds; higher is better)</text>`,
  );
  for (let t = 0; t <= yMax; t += tick) {
    out.push(
      `<line x1="${left}" x2="${left + plotW}" y1="${y(t)}" y2="${y(t)}" stroke="#e0e0e0"/>`,
      `<text x="${left - 6}" y="${y(t) + 4}" text-anchor="end">${t.toLocaleString('en-US')}</text>`,
    );
  }
  out.push(
    `<text transform="translate(16 ${top + plotH / 2}) rotate(-90)" text-anchor="middle">requests / s</text>`,
  );
  SIZES.forEach((size, g) => {
    const x0 = left + g * groupW + (groupW - barW * names.length) / 2;
    names.forEach((v, i) => {
      const c = table[v][size.key];
      const x = x0 + i * barW;
      if (!c.holds) {
        out.push(
          `<text x="${x + barW / 2}" y="${top + plotH - 6}" text-anchor="middle" fill="${palette[i % palette.length]}" font-weight="bold">✕<title>${esc(VARIANTS[v].label)}: cannot hold ${size.label}</title></text>`,
        );
        return;
      }
      out.push(
        `<rect x="${x + 1}" y="${y(c.rps)}" width="${barW - 2}" height="${top + plotH - y(c.rps)}" fill="${palette[i % palette.length]}"><title>${esc(VARIANTS[v].label)}, ${size.label}: ${Math.round(c.rps)} req/s, ${fmt(c.rpsRatio, 2)} of the ceiling; ${fmt(c.cpu, 1)} µs CPU/req</title></rect>`,
        `<text x="${x + barW / 2}" y="${y(c.rps) - 4}" text-anchor="middle" font-size="9">${v === 'none' ? '' : fmt(c.rpsRatio, 2)}</text>`,
      );
    });
    out.push(
      `<text x="${left + g * groupW + groupW / 2}" y="${top + plotH + 20}" text-anchor="middle" font-weight="bold">${size.label}</text>`,
    );
  });
  out.push(
    `<line x1="${left}" x2="${left + plotW}" y1="${top + plotH}" y2="${top + plotH}" stroke="#000"/>`,
  );
  const legendTop = top + plotH + 42;
  names.forEach((v, i) => {
    const col = i % 3;
    const row = Math.floor(i / 3);
    const x = left + col * 300;
    const yy = legendTop + row * 20;
    out.push(
      `<rect x="${x}" y="${yy - 10}" width="12" height="12" fill="${palette[i % palette.length]}"/>`,
      `<text x="${x + 18}" y="${yy}">${esc(VARIANTS[v].label)}</text>`,
    );
  });
  out.push(
    `<text x="${left}" y="${H - 12}" fill="#555">Numbers over bars: req/s as a ratio to the no-session ceiling of the same round. ✕: the library cannot hold that session (a cookie over 4096 bytes).</text>`,
    '</svg>',
  );
  return out.join('\n') + '\n';
}

export function writeReport(outcome, dir) {
  const { settings, micro, http, table, versions, elapsedSeconds } = outcome;
  SIZES = ALL_SIZES.filter((s) => settings.sizes.includes(s.key));
  const m = outcome.machine ?? machine();
  const lines = [
    '# Benchmarks',
    '',
    `Written by \`npm run bench${settings.quick ? ' -- --quick' : ''}\` on ${(outcome.finishedAt ?? new Date().toISOString()).slice(0, 16).replace('T', ' ')} UTC; the run took ${fmt(elapsedSeconds)} s${settings.buildSeconds ? `, ${fmt(elapsedSeconds + settings.buildSeconds)} s with the build` : ' (the build not counted)'}.`,
    settings.quick
      ? '\n**A quick smoke run: one short round; the figures are indicative only.**\n'
      : '',
    '## Machine',
    '',
    `- ${m.cpus} CPUs: ${m.cpu}; ${m.memory} of memory; ${m.platform}`,
    `- Node.js ${m.node}; load average at the end of the run ${m.loadAverage} (the machine is shared)`,
    '',
    '## Versions',
    '',
    ...Object.entries(versions).map(([k, v]) => `- ${k} ${v}`),
    '',
  ];
  if (micro || table || outcome.memory) {
    lines.push('## Targets', '', '| target | measured | met |', '|---|---|:-:|');
    for (const r of targets(outcome)) {
      lines.push(
        `| ${r.target} | ${r.measured} | ${r.met === undefined ? '' : r.met ? 'yes' : '**no**'} |`,
      );
    }
    lines.push(
      '',
      'Judged on server CPU per request, as the issue derives its targets; req/s is shown beside it. The machine\'s load average during this run: see "Machine" below; on a shared machine every figure carries that noise.',
      ...(outcome.memory
        ? [
            '',
            `Bytes allocated per request (\`bench/memory.mjs\`, also runnable alone): in one process, for this library (\`SessionEngine\` load + one change + commit, \`encrypt\`) and for the floor (its middleware + save), ${outcome.memory.runs} runs of a few hundred to ${int(Math.max(...outcome.memory.sizes.map((s) => s.requests)))} requests each after \`gc()\`, in a young generation of ${outcome.memory.semiSpaceMB} MB so that no collection runs during them (checked with \`v8.GCProfiler\`; a run with one is not counted); the growth of \`heapUsed\` plus that of \`arrayBuffers\`, divided by the requests, the median of the runs. Deterministic, unlike the CPU figures: the machine's load does not change it.`,
          ]
        : []),
      '',
    );
  }
  const notes = join(dir, 'NOTES.md');
  if (existsSync(notes)) lines.push(readFileSync(notes, 'utf8').trim(), '');
  if (table) {
    lines.push(
      '## HTTP',
      '',
      `One Nest application per variant, each its own process, the same route (\`GET /hit\`: read the session, add one to a counter, answer JSON). Sessions of ${SIZES.map((s) => s.label).join(', ')} of JSON; every request carries the valid session cookie captured once from a round trip, so every request opens the session and writes it again (checked on the server: each response of a cookie variant carries Set-Cookie, each request saw the whole payload). Load: autocannon in its own process, ${settings.connections} connections, ${settings.duration} s per cell, ${settings.rounds} rounds after ${settings.warmup} warm-up round, variants interleaved round-robin (the starting variant rotating each round); figures are medians over rounds, ratios are taken to the no-session ceiling of the same round and size, then their median. ${settings.pinned ? 'Servers are pinned to CPU 1 and the load generator to CPU 0 (taskset).' : 'Nothing is pinned.'} Server CPU is \`process.cpuUsage()\` of the server process (user + system, every thread) before and after each cell, divided by the requests it served. The ceiling's requests carry no cookie. This library runs with \`limits: { maxTotalBytes: 32000 }\` so that 12 KB fits (each chunk still ≤ 4096 bytes), and every server with \`maxHeaderSize\` 64 KiB; User-Agent: a current Chrome.`,
      '',
      ...httpTables(outcome),
      '![requests per second by variant and size](results.svg)',
      '',
    );
  }
  if (micro) {
    lines.push(
      '## Micro-benchmarks',
      '',
      `One process; µs per call, the best of ${micro.samples} samples of about ${micro.sampleMs} ms each (wall time; the candidates' samples interleaved round-robin; other work on a shared machine only ever adds time, and each sample is long enough to include its own garbage collection). Every candidate's round trip is checked to give the data back. This library's figure is the engine's per-request work: \`JSON.stringify\`, the envelope (timestamps), the sealer, chunk planning and splitting; then joining the chunks, opening, and decoding the envelope (\`JSON.parse\`). The floors draw their IV from a pool of random bytes as this library does. Shrinking: the engine's save path (\`SessionEngine.commit\`, with \`maxTotalBytes\` 8000 and a response budget that carries them) on a fresh session each run, median time of the commit.`,
      '',
      ...microTables(micro),
      '',
    );
  }
  writeFileSync(join(dir, 'results.md'), lines.join('\n'));
  if (table) writeFileSync(join(dir, 'results.svg'), chart(outcome));
  writeFileSync(
    join(dir, 'results.json'),
    JSON.stringify({ ...outcome, machine: m }, null, 2) + '\n',
  );
}

/** Writes results.md and results.svg again from results.json (after editing NOTES.md). */
export function rewriteReport(dir) {
  writeReport(JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')), dir);
}
