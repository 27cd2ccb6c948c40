// One request of the engine and one of the floor, as plain functions for the loops that measure
// them in one process (bench/engine-loop.mjs: CPU; bench/memory.mjs: bytes allocated).
//   engine: load + change + one commit, as every platform does, on a new request object.
//   floor:  bench/floor-session.mjs's middleware + save on a new request object.
import { resolveOptions } from '../dist/esm/options/resolve-options.js';
import { SessionEngine } from '../dist/esm/core/session-engine.js';
import { floorSession } from './floor-session.mjs';
import { PAYLOADS } from './payloads.mjs';

const UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';
/** The `Cookie` header of the `Set-Cookie` lines. */
const cookieOf = (lines) => lines.map((l) => l.slice(0, l.indexOf(';'))).join('; ');

/** This library's request with a session of `kind` (`200b`, `3k`, `12k`), in `protection`. */
export function engineRequest(kind, protection = 'encrypt') {
  const options = resolveOptions(
    { secret: 'x'.repeat(40), protection, limits: { maxTotalBytes: 32000 } },
    { warn() {}, error() {} },
  );
  const engine = new SessionEngine(options);
  /** What a small JSON response carries before the session's lines. */
  const head = { headerBytes: 200, setCookies: [], secure: false };
  const s0 = engine.load({ headers: { 'user-agent': UA }, socket: {} });
  Object.assign(s0.data, PAYLOADS[kind]);
  const headers = { 'user-agent': UA, cookie: cookieOf(engine.commit(s0, head)) };
  return () => {
    // A new request object each time, as on a server (the engine keeps one session per request).
    const s = engine.load({ headers, socket: {} });
    s.data.count = (s.data.count ?? 0) + 1;
    return engine.commit(s, head);
  };
}

/** The floor's request with a session of `kind`. */
export function floorRequest(kind) {
  const floor = floorSession('x'.repeat(40));
  let lines;
  const res = { setHeader: (_, value) => (lines = value) };
  const next = () => {};
  const req0 = { headers: {} };
  floor.middleware(req0, res, next);
  Object.assign(req0.session, PAYLOADS[kind]);
  floor.save(req0);
  const headers = { cookie: cookieOf(lines) };
  return () => {
    const req = { headers };
    floor.middleware(req, res, next);
    req.session.count = (req.session.count ?? 0) + 1;
    floor.save(req);
    return lines;
  };
}
