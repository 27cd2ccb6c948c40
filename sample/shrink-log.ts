import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ShrinkEvent } from './library.js';

/** What the page shows about the last time this browser's session had to shrink. */
export interface ShrinkRecord {
  event: ShrinkEvent;
  /** When it happened. */
  at: Date;
  /** The request that caused it (`POST /cart/add-many`). */
  request: string;
}

/** Browsers remembered; past it the oldest record is forgotten. */
const MAX_VISITORS = 1000;

/**
 * Remembers the last shrink event of each browser, in memory. `onShrink` is told about the
 * partition, not the request, so a middleware keeps the request in an AsyncLocalStorage for the
 * length of the request; the record is filed under the session's `visitor` id.
 */
export class ShrinkLog {
  private readonly current = new AsyncLocalStorage<IncomingMessage>();
  private readonly records = new Map<string, ShrinkRecord>();

  /** Express middleware: runs the rest of the request inside its own context. */
  readonly middleware = (req: IncomingMessage, _res: ServerResponse, next: () => void): void => {
    this.current.run(req, next);
  };

  /** The module's `onShrink`. */
  record(event: ShrinkEvent): void {
    const req = this.current.getStore() as
      (IncomingMessage & { session?: { visitor?: unknown } }) | undefined;
    const visitor = req?.session?.visitor;
    if (typeof visitor !== 'string') return;
    this.records.delete(visitor);
    if (this.records.size >= MAX_VISITORS) {
      this.records.delete(this.records.keys().next().value as string);
    }
    this.records.set(visitor, { event, at: new Date(), request: `${req!.method} ${req!.url}` });
  }

  lastFor(visitor: string | undefined): ShrinkRecord | undefined {
    return visitor === undefined ? undefined : this.records.get(visitor);
  }
}
