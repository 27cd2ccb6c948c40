import type { IncomingMessage, ServerResponse } from 'node:http';

type Method = (...args: any[]) => any;

/** What commits a request's session (the engine). */
export interface Committer {
  commit(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

/** A held `write` or `end` call (`writeHead` is kept apart: it goes first). */
interface Held {
  end: boolean;
  args: unknown[];
}

/**
 * Holds a response's head and body until the commit has settled, so the session's Set-Cookie
 * lines go out with the headers whichever way the response is written (`res.end`,
 * `res.write`, `res.writeHead`, Express's `send`/`json`, a hand-written `@Res()`).
 * When the commit fails, what was held is dropped and `onFailure` answers instead.
 * The wrappers stay in place once it is done (putting the methods back would change every
 * response's shape twice more): they call the originals.
 */
export function holdUntilCommitted(
  res: ServerResponse,
  committer: Committer,
  req: IncomingMessage,
  onFailure: (error: unknown) => void,
): void {
  const hold = new Hold(res, committer, req, onFailure);
  res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    if (hold.phase === DONE) return hold.writeHead.apply(this, args);
    hold.head = args;
    return this;
  } as typeof res.writeHead;
  res.write = function (this: ServerResponse, ...args: unknown[]) {
    if (hold.phase === DONE) return hold.write.apply(this, args);
    hold.held.push({ end: false, args });
    hold.start();
    return true;
  } as typeof res.write;
  res.end = function (this: ServerResponse, ...args: unknown[]) {
    if (hold.phase === DONE) return hold.end.apply(this, args);
    hold.held.push({ end: true, args });
    hold.start();
    return this;
  } as typeof res.end;
}

const OPEN = 0;
const COMMITTING = 1;
const DONE = 2;

class Hold {
  readonly writeHead: Method;
  readonly write: Method;
  readonly end: Method;
  phase = OPEN;
  head: unknown[] | undefined;
  held: Held[] = [];

  constructor(
    private readonly res: ServerResponse,
    private readonly committer: Committer,
    private readonly req: IncomingMessage,
    private readonly onFailure: (error: unknown) => void,
  ) {
    this.writeHead = res.writeHead as Method;
    this.write = res.write as Method;
    this.end = res.end as Method;
  }

  start(): void {
    if (this.phase !== OPEN) return;
    this.phase = COMMITTING;
    this.committer.commit(this.req, this.res).then(
      () => this.release(),
      (error: unknown) => this.fail(error),
    );
  }

  private release(): void {
    this.phase = DONE;
    const { res, head } = this;
    if (head) this.writeHead.apply(res, head);
    for (const { end, args } of this.held.splice(0)) (end ? this.end : this.write).apply(res, args);
  }

  private fail(error: unknown): void {
    this.phase = DONE;
    this.head = undefined;
    this.held.length = 0;
    this.onFailure(error);
  }
}
