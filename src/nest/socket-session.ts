import type { IncomingMessage } from 'node:http';
import { nowSeconds } from '../core/clock.js';
import { loadSession } from '../core/load-session.js';
import type { SessionData, SessionHandle } from '../core/session-handle.js';
import { setOwn, type RequestSession } from '../core/session-state.js';
import { callStore } from '../core/store-call.js';
import type { Partition } from '../core/partition.js';
import type { ResolvedOptions } from '../options/resolved-options.js';

/**
 * The session of one WebSocket connection, read once from its handshake request. A socket has
 * no response to carry cookies, so only store partitions can be written: a store partition's
 * fields go to its store when a handler ends; a change to a cookie partition's field is undone
 * (the next message sees the session as it was read), and the first one on a connection logs a
 * warning naming the field. This file is the gateways' one coupling to the engine.
 */
export class SocketSession implements SessionHandle {
  private wasNew: boolean;
  private destroyRequested = false;
  private warned = false;
  private committing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly options: ResolvedOptions,
    readonly data: SessionData,
    private readonly parts: SocketPartition[],
    /** Whether the handshake's session was marked "keep me signed in". */
    readonly isRemembered: boolean,
  ) {
    this.wasNew = parts.every((p) => !p.valid);
  }

  /** Reads the session from a handshake request: synchronously unless a store record is read. */
  static load(
    options: ResolvedOptions,
    partitions: readonly Partition[],
    req: IncomingMessage,
  ): SocketSession | Promise<SocketSession> {
    const loaded = loadSession(options, partitions, req);
    const build = (session: RequestSession) =>
      new SocketSession(
        options,
        session.data,
        session.partitions.map((ps) => {
          const json = ps.valid && ps.snapshot !== undefined ? ps.snapshot : '{}';
          return {
            partition: ps.partition,
            valid: ps.valid,
            storeId: ps.partition.kind === 'store' ? ps.storeId : undefined,
            createdAt: ps.createdAt,
            writtenAt: ps.writtenAt,
            json,
            values: JSON.parse(json) as Record<string, unknown>,
          };
        }),
        session.isRemembered,
      );
    return loaded instanceof Promise ? loaded.then(build) : build(loaded);
  }

  get isNew(): boolean {
    return this.wasNew;
  }

  /** Deletes the store records when the handler ends; the data is emptied at once. */
  destroy(): void {
    this.destroyRequested = true;
    this.wasNew = true;
    for (const key of Object.keys(this.data)) delete this.data[key];
  }

  /** New ids would need new cookies: not possible on a socket. */
  regenerate(): void {
    this.options.logger.warn(
      'regenerate() was called in a WebSocket handler: new session ids need new cookies, which a socket cannot set; call it over HTTP (on login)',
    );
  }

  /** The mark lives in the sealed cookies, which a socket cannot re-write. */
  remember(): void {
    this.options.logger.warn(
      'remember() was called in a WebSocket handler: the mark is sealed in the cookies, which a socket cannot set; call it over HTTP (on login)',
    );
  }

  /** The idle window lives in the sealed cookie, which a socket cannot re-write: nothing to do. */
  touch(): void {}

  /**
   * Empties the partitions whose idle or absolute timeout has passed since the handshake, so
   * that a long-lived connection does not outlive its session. Called before every message.
   */
  expire(now = nowSeconds()): void {
    for (const part of this.parts) {
      if (!part.valid || lifeLeft(part, now, this.isRemembered) >= 0) continue;
      for (const key of Object.keys(this.data)) {
        if (this.partOf(key) === part) delete this.data[key];
      }
      part.valid = false;
      part.storeId = undefined;
      part.json = '{}';
      part.values = {};
    }
    if (this.parts.every((p) => !p.valid)) this.wasNew = true;
  }

  /**
   * Writes what a handler changed: store partitions' fields to their stores, records deleted
   * after `destroy()`; cookie partitions' changes are undone. One commit at a time per
   * connection. A failing store rejects with `SessionStoreUnavailableError`, and the fields it
   * should have kept go back to what the store holds.
   */
  commit(): Promise<void> {
    const run = () => this.write();
    this.committing = this.committing.then(run, run);
    return this.committing;
  }

  private async write(): Promise<void> {
    const { options } = this;
    const now = nowSeconds();
    if (this.destroyRequested) {
      this.destroyRequested = false;
      await this.destroyRecords();
    }
    const routed = this.parts.map(() => ({}) as Record<string, unknown>);
    for (const key of Object.keys(this.data)) {
      const part = this.partOf(key);
      if (part) setOwn(routed[this.parts.indexOf(part)]!, key, this.data[key]);
    }
    const pending: { part: SocketPartition; fields: Record<string, unknown>; json: string }[] = [];
    const refused: string[] = [];
    this.parts.forEach((part, i) => {
      const fields = routed[i]!;
      const json = JSON.stringify(fields);
      if (json === part.json) return;
      if (
        part.partition.kind === 'store' &&
        part.storeId !== undefined &&
        lifeLeft(part, now, this.isRemembered) >= 0
      ) {
        pending.push({ part, fields, json });
        return;
      }
      refused.push(...this.undo(part, fields));
    });
    if (refused.length > 0 && !this.warned) {
      this.warned = true;
      options.logger.warn(
        `the session field${refused.length > 1 ? 's' : ''} ${refused.map((f) => `"${f}"`).join(', ')} changed in a WebSocket handler ${refused.length > 1 ? 'are' : 'is'} not kept: a socket cannot set cookies, and only a store partition whose record the handshake found can be written there; change ${refused.length > 1 ? 'them' : 'it'} over HTTP`,
      );
    }
    for (const [index, { part, fields, json }] of pending.entries()) {
      const store = (part.partition as Partition & { kind: 'store' }).store;
      const id = part.storeId!;
      const name = part.partition.cookieName;
      try {
        await callStore(`set in the store of "${name}"`, options.storeTimeout, () =>
          json === '{}'
            ? store.destroy(id)
            : store.set(id, fields, Math.max(1, Math.ceil(lifeLeft(part, now, this.isRemembered)))),
        );
      } catch (error) {
        for (const left of pending.slice(index))
          this.undo(left.part, routed[this.parts.indexOf(left.part)]!);
        throw error;
      }
      part.json = json;
      part.values = JSON.parse(json) as Record<string, unknown>;
    }
  }

  private async destroyRecords(): Promise<void> {
    const { options } = this;
    const kept: string[] = [];
    for (const part of this.parts) {
      const store = part.partition.kind === 'store' ? part.partition.store : undefined;
      if (store && part.storeId !== undefined) {
        const id = part.storeId;
        await callStore(
          `destroy a record of "${part.partition.cookieName}"`,
          options.storeTimeout,
          () => store.destroy(id),
        );
      } else if (part.valid && part.json !== '{}') {
        kept.push(part.partition.cookieName);
      }
      part.valid = false;
      part.storeId = undefined;
      part.json = '{}';
      part.values = {};
    }
    if (kept.length > 0) {
      options.logger.warn(
        `destroy() in a WebSocket handler deleted the store records, but the data kept in the cookies of ${kept.map((n) => `"${n}"`).join(', ')} stays until an HTTP response destroys the session: a socket cannot delete cookies`,
      );
    }
  }

  /** Puts a partition's fields back as they were read (or last written); returns the fields that differed. */
  private undo(part: SocketPartition, fields: Record<string, unknown>): string[] {
    const changed: string[] = [];
    for (const key of new Set([...Object.keys(fields), ...Object.keys(part.values)])) {
      const had = Object.prototype.hasOwnProperty.call(part.values, key);
      const has = Object.prototype.hasOwnProperty.call(fields, key);
      if (had && has && JSON.stringify(fields[key]) === JSON.stringify(part.values[key])) continue;
      changed.push(key);
      if (had) setOwn(this.data, key, structuredClone(part.values[key]));
      else delete this.data[key];
    }
    return changed;
  }

  /** The partition that keeps `key`, or `undefined` when none does (an excluded field). */
  private partOf(key: string): SocketPartition | undefined {
    const claimed = this.parts.find((p) => p.partition.claims?.has(key));
    if (claimed) return claimed;
    const catchAll = this.parts.find((p) => p.partition.isCatchAll);
    return catchAll && !catchAll.partition.excludes.has(key) ? catchAll : undefined;
  }
}

interface SocketPartition {
  readonly partition: Partition;
  /** Whether the handshake carried a valid, unexpired session for this partition. */
  valid: boolean;
  /** The store record's id; only for a store partition whose record was found. */
  storeId: string | undefined;
  createdAt: number;
  writtenAt: number;
  /** The partition's fields as read or last written, as JSON and as values. */
  json: string;
  values: Record<string, unknown>;
}

/**
 * Seconds until a partition expires: the idle window (the `remember` one for a remembered
 * session) counts from the cookie's last write, which a socket cannot renew, and the absolute
 * one from the session's creation.
 */
function lifeLeft(part: SocketPartition, now: number, remembered: boolean): number {
  const { partition } = part;
  const idleTimeout = remembered ? partition.remember.idleTimeout : partition.idleTimeout;
  return Math.min(part.writtenAt + idleTimeout, part.createdAt + partition.absoluteTimeout) - now;
}
