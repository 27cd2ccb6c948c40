import type { ServerResponse } from 'node:http';

type Method = (...args: any[]) => any;

/**
 * Holds a response's head and body until `commit` has settled, so the session's Set-Cookie
 * lines go out with the headers whichever way the response is written (`res.end`,
 * `res.write`, `res.writeHead`, Express's `send`/`json`, a hand-written `@Res()`).
 * When `commit` rejects, what was held is dropped and `onFailure` answers instead.
 */
export function holdUntilCommitted(
  res: ServerResponse,
  commit: () => Promise<void>,
  onFailure: (error: unknown) => void,
): void {
  const writeHead = res.writeHead as Method;
  const write = res.write as Method;
  const end = res.end as Method;
  let phase: 'open' | 'committing' | 'done' = 'open';
  let head: unknown[] | undefined;
  const held: (() => void)[] = [];

  const restore = () => {
    res.writeHead = writeHead as typeof res.writeHead;
    res.write = write as typeof res.write;
    res.end = end as typeof res.end;
  };
  const start = () => {
    if (phase !== 'open') return;
    phase = 'committing';
    commit().then(
      () => {
        phase = 'done';
        restore();
        if (head) writeHead.apply(res, head);
        for (const replay of held.splice(0)) replay();
      },
      (error: unknown) => {
        phase = 'done';
        restore();
        head = undefined;
        held.length = 0;
        onFailure(error);
      },
    );
  };

  res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    if (phase === 'done') return writeHead.apply(this, args);
    head = args;
    return this;
  } as typeof res.writeHead;
  res.write = function (this: ServerResponse, ...args: unknown[]) {
    if (phase === 'done') return write.apply(this, args);
    held.push(() => write.apply(res, args));
    start();
    return true;
  } as typeof res.write;
  res.end = function (this: ServerResponse, ...args: unknown[]) {
    if (phase === 'done') return end.apply(this, args);
    held.push(() => end.apply(res, args));
    start();
    return this;
  } as typeof res.end;
}
