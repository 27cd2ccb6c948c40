// The shrinkers and the per-step measurement shared by bench/shrink-targets.mjs and
// bench/micro.mjs (whose figures feed the Targets table of bench/results.md).

/** API.md's shrinker: the oldest entry goes, one per call. */
export const oneAtATime = (list, { last }) => (last || list.length < 2 ? undefined : list.slice(1));
/** The README's: as many of the oldest entries as `overBy` asks for, in one call. */
export const withOverBy = (list, { last, overBy }) => {
  if (last) return undefined;
  let drop = 0;
  for (let bytes = 0; bytes < overBy && drop < list.length - 1; drop++) {
    bytes += Buffer.byteLength(list[drop]) + 3; // its quotes and comma (at most its JSON's bytes)
  }
  return drop === 0 ? list : list.slice(drop);
};

/** CPU time (user + system, every thread) since `t0`, in ms: other work on the machine adds less to it than to wall time. */
export const cpuMs = (t0) => {
  const { user, system } = process.cpuUsage(t0);
  return (user + system) / 1000;
};
export const minimum = (xs) => Math.min(...xs);
export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * One element at a time on a list of `length` ids (the engine's fit check a plain allowance), the
 * marginal cost of a step from runs of `few` and `many` steps (what is paid once, measuring the
 * list at the start and serializing the fitting candidate at the end, cancels out):
 * - the engine's own: the shrinker hands out lists cut beforehand (`list.slice(i)`, made outside
 *   the timing), so that a step costs the engine's work and nothing else;
 * - the shrinker's own copying: the same `slice(1)` calls, timed alone;
 * - both, as a real one-at-a-time shrinker costs them.
 */
export async function perStep(engine, length, few, many, runs) {
  const list = Array.from({ length }, (_, i) => `product-${1_000_000 + i}`);
  const full = Buffer.byteLength(JSON.stringify({ list }));
  const perElement = Buffer.byteLength(JSON.stringify(list[0])) + 1;
  const cut = Array.from({ length: many + 1 }, (_, i) => list.slice(i));
  const handOut = (l) => cut[length - l.length + 1];
  const run = async (steps, shrink) => {
    const limit = full - steps * perElement; // fits after exactly `steps` calls
    const t0 = process.cpuUsage();
    const result = await engine({
      data: { list },
      shrinkers: [{ key: 'list', shrink }],
      overBy: (jsonBytes) => jsonBytes - limit,
    });
    const ms = cpuMs(t0);
    if (!result.fits || result.data.list.length !== length - steps) throw new Error('wrong');
    return ms;
  };
  const copy = (steps) => {
    const ctx = { last: false };
    let l = list;
    const t0 = process.cpuUsage();
    for (let i = 0; i < steps; i++) l = oneAtATime(l, ctx);
    const ms = cpuMs(t0);
    if (l.length !== length - steps) throw new Error('wrong');
    return ms;
  };
  for (let i = 0; i < 5; i++) (await run(many, handOut), await run(many, oneAtATime), copy(many));
  const samples = { engine: [[], []], both: [[], []], copy: [[], []] };
  for (let i = 0; i < runs; i++) {
    samples.engine[0].push(await run(few, handOut));
    samples.engine[1].push(await run(many, handOut));
    samples.both[0].push(await run(few, oneAtATime));
    samples.both[1].push(await run(many, oneAtATime));
    samples.copy[0].push(copy(few));
    samples.copy[1].push(copy(many));
  }
  const perStepUs = ([a, b]) => ((median(b) - median(a)) * 1000) / (many - few);
  return {
    length,
    steps: many - few,
    engineUsPerStep: perStepUs(samples.engine),
    shrinkerUsPerStep: perStepUs(samples.copy),
    totalUsPerStep: perStepUs(samples.both),
  };
}
