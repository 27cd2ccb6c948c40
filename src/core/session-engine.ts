import type { IncomingMessage } from 'node:http';
import type { ResolvedOptions } from '../options/resolved-options.js';
import type { ShrinkerRegistration } from '../shrinking/shrink-types.js';
import { nowSeconds } from './clock.js';
import { loadSession } from './load-session.js';
import { isPromise, then, type MaybePromise } from './maybe-async.js';
import { toPartition, type Partition } from './partition.js';
import type { StoreOp } from './partition-plan.js';
import { planCommit, type CommitPlan } from './plan-commit.js';
import type { ResponseHead } from './response-head.js';
import { setOwn, type RequestSession } from './session-state.js';
import { callStore } from './store-call.js';

const NO_LINES: readonly string[] = Object.freeze([]);

/**
 * The framework-free engine. Its whole boundary:
 * - `load(req)`: the request's session, once per request (`req.session`, `req.sessionHandle`);
 *   synchronous unless a store record has to be read.
 * - `commit(session, head)`: the session's `Set-Cookie` lines for the response that `head`
 *   describes, computed once, after its store calls have succeeded (a Promise only then). The
 *   platform adds them after the application's own lines, just before the headers go out
 *   (`node-response.ts` for Node and Express). A failing store rejects, and no cookie changes.
 */
export class SessionEngine {
  readonly partitions: readonly Partition[];
  private readonly sessions = new WeakMap<IncomingMessage, RequestSession>();
  private readonly loading = new WeakMap<IncomingMessage, Promise<RequestSession>>();
  private readonly warnedFields = new Set<string>();

  constructor(readonly options: ResolvedOptions) {
    this.partitions = options.partitions.map(toPartition);
  }

  /** Adds shrink policies (the Nest module adds those found on providers). */
  addShrinkers(shrinkers: readonly ShrinkerRegistration[]): void {
    this.options.shrinkers.push(
      ...shrinkers.map((s) => ({ key: s.key, priority: s.priority ?? 0, shrink: s.shrink })),
    );
  }

  /** The request's session, if it was loaded. */
  sessionOf(req: IncomingMessage): RequestSession | undefined {
    return this.sessions.get(req);
  }

  /**
   * Loads the session once per request and exposes it as `req.session` / `req.sessionHandle`.
   * Synchronous when no store has to be read; a failing store throws or rejects
   * (`SessionStoreUnavailableError`).
   */
  load(req: IncomingMessage): MaybePromise<RequestSession> {
    const known = this.sessions.get(req) ?? this.loading.get(req);
    if (known) return known;
    const loaded = loadSession(this.options, this.partitions, req);
    if (!isPromise(loaded)) return this.attach(req, loaded);
    const loading = loaded.then((session) => this.attach(req, session));
    this.loading.set(req, loading);
    return loading;
  }

  private attach(req: IncomingMessage, session: RequestSession): RequestSession {
    this.sessions.set(req, session);
    const r = req as IncomingMessage & { session?: unknown; sessionHandle?: unknown };
    r.session = session.data;
    r.sessionHandle = session;
    return session;
  }

  /**
   * The session's `Set-Cookie` lines for this response (deletions included), after its store
   * calls. Once per response: a second call gives no lines.
   */
  commit(session: RequestSession, head: ResponseHead): MaybePromise<readonly string[]> {
    if (session.committed) return NO_LINES;
    session.committed = true;
    const planned = planCommit(this.options, this.partitions, session, head, this.warnedFields);
    return then(planned, (plan) => {
      if (!plan) return NO_LINES;
      if (plan.storeOps.length === 0) return this.finish(session, plan);
      return this.runStoreOps(plan.storeOps).then(() => this.finish(session, plan));
    });
  }

  /** One store call after the other, each bounded by `storeTimeout`. */
  private async runStoreOps(ops: readonly StoreOp[]): Promise<void> {
    const timeout = this.options.storeTimeout;
    for (const op of ops) {
      if (op.kind === 'destroy') {
        await callStore('destroy a record', timeout, () => op.store.destroy(op.id));
      } else if (op.kind === 'touch' && op.store.touch) {
        const { store } = op;
        await callStore(op.what, timeout, () => store.touch!(op.id, op.ttl));
      } else {
        await callStore(op.what, timeout, () => op.store.set(op.id, op.data, op.ttl));
      }
    }
  }

  /** The plan is done: the session's state and the handler's object show what was written. */
  private finish(session: RequestSession, plan: CommitPlan): readonly string[] {
    const now = nowSeconds();
    const { logger, onShrink } = this.options;
    for (const p of plan.partitions) {
      if (p.tidyOnly) continue;
      const { state } = p;
      state.valid = p.set !== undefined;
      state.snapshot = p.snapshot;
      state.storeId = p.storeId;
      state.writtenAt = now;
      state.reseal = false;
      if (p.written) {
        // The handler's object shows what was written (shrunk, or dropped), so the data a later
        // reader of `req.session` sees is the data the next request will read.
        const { from, to } = p.written;
        for (const key of Object.keys(from)) {
          if (Object.prototype.hasOwnProperty.call(to, key)) setOwn(session.data, key, to[key]);
          else delete session.data[key];
        }
      }
      if (p.event) {
        const e = p.event;
        logger.warn(
          `the session cookie "${e.cookieName}" did not fit (${e.bytesBefore} → ${e.bytesAfter} bytes)` +
            (e.shrunkKeys.length ? `; shrunk: ${e.shrunkKeys.join(', ')}` : '') +
            (e.removedKeys.length ? `; removed: ${e.removedKeys.join(', ')}` : '') +
            (e.shrunkKeys.length + e.removedKeys.length === 0
              ? '; moved to its overflow store'
              : ''),
        );
        if (onShrink) {
          try {
            onShrink(e);
          } catch (error) {
            logger.error(
              `onShrink threw: ${error instanceof Error ? error.message : String(error)}`,
            );
          }
        }
      }
      if (p.error) logger.error(p.error);
    }
    session.stale.length = 0;
    // `destroyed` stays set for the rest of the request.
    session.regenerated = false;
    session.touched = false;
    return plan.lines;
  }
}
