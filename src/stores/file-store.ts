import { constants as fsConstants } from 'node:fs';
import { lstat, open, readdir, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import {
  ChunkedSessionError,
  ChunkedSessionOptionsError,
  SessionStoreUnavailableError,
} from '../errors/errors.js';
import { TEMP_PREFIX, writeAtomically } from './file/atomic-write.js';
import { fileRecordText, parseFileRecord, type FileRecord } from './file/file-record.js';
import { isCode, prepareFolder } from './file/folder-guard.js';
import { SerialQueue } from './file/serial-queue.js';
import type { SessionStore } from './session-store.js';
import { checkId, expiresAt, reasonOf, recordToJson } from './store-support.js';

const STORE = 'FileStore';

export interface FileStoreOptions {
  /**
   * The folder holding one JSON file per session. Created (mode 0o700) on the first write.
   * Default `<os tmpdir>/nestjs-chunked-session`.
   */
  dir?: string;
  /** Permission bits of the session files. Default 0o600 (readable by the owner only). */
  mode?: number;
}

/**
 * The ids a `FileStore` accepts: letters, digits, `_` and `-`, 16 to 128 of them (a base64url
 * id of 128 bits is 22 characters). Nothing else can reach the file system, so no id can name a
 * path outside the folder.
 */
export const FILE_STORE_ID = /^[A-Za-z0-9_-]{16,128}$/;

const SUFFIX = '.json';
/** A temporary file this old was left by a crashed write; `prune()` deletes it. */
const STALE_TEMP_MS = 10 * 60 * 1000;
const O_NOFOLLOW = fsConstants.O_NOFOLLOW ?? 0;

/**
 * Keeps each session in its own file, `<dir>/<id>.json`, holding `{ "expires", "data" }`.
 * For single-host deployments and development; several processes on one host may share a folder.
 *
 * - Writes are atomic: the record goes to a temporary file in the same folder, which is then
 *   renamed over the old one, so a reader sees either the old record or the new one.
 *   Writes to one id from this process are also serialised, so a `touch` never re-writes data
 *   that a concurrent `set` has replaced.
 * - Files are created with `mode` (0o600 by default), the folder with 0o700. A folder that
 *   already exists must be a real directory (not a symbolic link) owned by this process's user
 *   and not writable by group or others; otherwise the store refuses it rather than trust a
 *   folder another local user could tamper with.
 * - Ids are checked against {@link FILE_STORE_ID}. `set`, `destroy` and `touch` reject any other
 *   id with `ChunkedSessionError` code `'ERR_SESSION_STORE_ID'`; `get` answers `undefined`.
 * - An expired or unreadable file reads as `undefined`; `prune()` deletes such files.
 * - A folder that cannot be created or written rejects with `SessionStoreUnavailableError`
 *   naming the folder, the failing error as `cause`.
 */
export class FileStore implements SessionStore {
  readonly dir: string;
  readonly mode: number;
  private dirReady: Promise<void> | undefined;
  private readonly queue = new SerialQueue();

  constructor(options: FileStoreOptions = {}) {
    const { dir = join(tmpdir(), 'nestjs-chunked-session'), mode = 0o600 } = options ?? {};
    if (typeof dir !== 'string' || dir.length === 0 || dir.includes('\0')) {
      throw new ChunkedSessionOptionsError(
        'FileStore.dir',
        'must be a non-empty path',
        'Pass the folder that should hold the session files, or leave it out for the default.',
      );
    }
    if (typeof mode !== 'number' || !Number.isInteger(mode) || mode < 0 || mode > 0o777) {
      throw new ChunkedSessionOptionsError(
        'FileStore.mode',
        `must be permission bits between 0 and 0o777 (got ${String(mode)})`,
        'Pass a mode such as 0o600, or leave it out for the default.',
      );
    }
    if ((mode & 0o600) !== 0o600) {
      throw new ChunkedSessionOptionsError(
        'FileStore.mode',
        `must let the owner read and write the files (got 0o${mode.toString(8)})`,
        'Include 0o600 in the mode.',
      );
    }
    this.dir = resolve(dir);
    this.mode = mode;
  }

  async get(id: string): Promise<Record<string, unknown> | undefined> {
    checkId(STORE, id);
    if (!FILE_STORE_ID.test(id)) return undefined;
    if (!(await this.checkDir(false))) return undefined;
    const record = await this.read(id);
    if (record === 'unreadable' || record === undefined) return undefined;
    if (record.expires <= Date.now()) {
      await this.serialised(id, async () => {
        // Delete it unless a concurrent write has just replaced it.
        const again = await this.read(id);
        if (again !== 'unreadable' && again !== undefined && again.expires <= Date.now()) {
          await this.remove(this.file(id));
        }
      });
      return undefined;
    }
    return record.data;
  }

  async set(id: string, data: Record<string, unknown>, ttlSeconds: number): Promise<void> {
    this.checkId(id);
    const text = fileRecordText(expiresAt(STORE, ttlSeconds), recordToJson(STORE, data));
    await this.serialised(id, () => this.write(id, text));
  }

  async destroy(id: string): Promise<void> {
    this.checkId(id);
    if (!(await this.checkDir(false))) return;
    await this.serialised(id, () => this.remove(this.file(id)));
  }

  async touch(id: string, ttlSeconds: number): Promise<void> {
    this.checkId(id);
    const expires = expiresAt(STORE, ttlSeconds);
    if (!(await this.checkDir(false))) return;
    await this.serialised(id, async () => {
      const record = await this.read(id);
      if (record === 'unreadable' || record === undefined || record.expires <= Date.now()) return;
      await this.write(id, fileRecordText(expires, JSON.stringify(record.data)));
    });
  }

  /** Every live id (each file is read to check its expiry). */
  async *ids(): AsyncIterable<string> {
    for (const id of await this.listIds()) {
      const record = await this.read(id);
      if (record !== 'unreadable' && record !== undefined && record.expires > Date.now()) {
        yield id;
      }
    }
  }

  /**
   * Deletes expired and unreadable session files (and temporary files left by a crashed
   * write); resolves to the number of session files deleted.
   */
  async prune(): Promise<number> {
    if (!(await this.checkDir(false))) return 0;
    let removed = 0;
    for (const id of await this.listIds()) {
      await this.serialised(id, async () => {
        const record = await this.read(id);
        if (record === undefined) return; // already gone
        if (record === 'unreadable' || record.expires <= Date.now()) {
          if (await this.remove(this.file(id))) removed++;
        }
      });
    }
    for (const name of await this.readdir()) {
      if (!name.startsWith(TEMP_PREFIX)) continue;
      const path = join(this.dir, name);
      try {
        const stat = await lstat(path);
        if (Date.now() - stat.mtimeMs > STALE_TEMP_MS) await this.remove(path);
      } catch {
        // Renamed or deleted meanwhile.
      }
    }
    return removed;
  }

  private file(id: string): string {
    return join(this.dir, id + SUFFIX);
  }

  private checkId(id: string): void {
    checkId(STORE, id);
    if (!FILE_STORE_ID.test(id)) {
      throw new ChunkedSessionError(
        'ERR_SESSION_STORE_ID',
        `nestjs-chunked-session: FileStore refuses an id (${describeId(id)}): ` +
          'an id must be 16 to 128 characters from A-Z, a-z, 0-9, "_" and "-".',
      );
    }
  }

  /** Ids of the `<id>.json` files in the folder (none when it does not exist yet). */
  private async listIds(): Promise<string[]> {
    if (!(await this.checkDir(false))) return [];
    const ids: string[] = [];
    for (const name of await this.readdir()) {
      if (!name.endsWith(SUFFIX)) continue;
      const id = name.slice(0, -SUFFIX.length);
      if (FILE_STORE_ID.test(id)) ids.push(id);
    }
    return ids;
  }

  private async readdir(): Promise<string[]> {
    try {
      return await readdir(this.dir);
    } catch (error) {
      if (isCode(error, 'ENOENT')) return [];
      throw this.unavailable('cannot list', error);
    }
  }

  /** The record, `undefined` when there is no file, `'unreadable'` when it cannot be parsed. */
  private async read(id: string): Promise<FileRecord | undefined | 'unreadable'> {
    let text: string;
    try {
      const handle = await open(this.file(id), fsConstants.O_RDONLY | O_NOFOLLOW);
      try {
        text = await handle.readFile('utf8');
      } finally {
        await handle.close();
      }
    } catch (error) {
      if (isCode(error, 'ENOENT')) return undefined;
      if (isCode(error, 'ELOOP') || isCode(error, 'EISDIR')) return 'unreadable';
      throw this.unavailable('cannot read', error);
    }
    return parseFileRecord(text);
  }

  private async write(id: string, json: string): Promise<void> {
    await this.checkDir(true);
    try {
      await writeAtomically(this.dir, id + SUFFIX, json, this.mode);
    } catch (error) {
      if (!isCode(error, 'ENOENT')) throw this.unavailable('cannot write to', error);
      // The folder was removed since it was checked (a tmp cleaner, say): create it again.
      this.dirReady = undefined;
      await this.checkDir(true);
      try {
        await writeAtomically(this.dir, id + SUFFIX, json, this.mode);
      } catch (again) {
        throw this.unavailable('cannot write to', again);
      }
    }
  }

  /** Resolves to whether a file existed and was deleted. */
  private async remove(path: string): Promise<boolean> {
    try {
      await unlink(path);
      return true;
    } catch (error) {
      if (isCode(error, 'ENOENT')) return false;
      throw this.unavailable('cannot delete from', error);
    }
  }

  /**
   * Checks the folder once per store (creating it first when `create` is true).
   * Resolves to false when it does not exist and `create` is false.
   */
  private async checkDir(create: boolean): Promise<boolean> {
    if (this.dirReady) {
      await this.dirReady;
      return true;
    }
    if (!create) {
      try {
        await lstat(this.dir);
      } catch (error) {
        if (isCode(error, 'ENOENT')) return false;
        throw this.unavailable('cannot use', error);
      }
    }
    this.dirReady ??= this.prepareDir();
    try {
      await this.dirReady;
    } catch (error) {
      this.dirReady = undefined; // a later call tries again
      throw error;
    }
    return true;
  }

  private prepareDir(): Promise<void> {
    return prepareFolder(this.dir, (what, cause) => this.unavailable(what, cause));
  }

  private unavailable(what: string, cause: unknown): SessionStoreUnavailableError {
    return new SessionStoreUnavailableError(
      `nestjs-chunked-session: FileStore ${what} its folder ${JSON.stringify(this.dir)}: ` +
        `${reasonOf(cause)}. Pass a \`dir\` this process can create and write to.`,
      { cause },
    );
  }

  /** Runs `task` after every earlier task for `id` in this process has finished. */
  private serialised<T>(id: string, task: () => Promise<T>): Promise<T> {
    return this.queue.run(id, task);
  }
}

/** Says what is wrong with an id without repeating it (ids are secrets; messages get logged). */
function describeId(id: unknown): string {
  if (typeof id !== 'string') return `a ${id === null ? 'null' : typeof id}, not a string`;
  if (id.length < 16 || id.length > 128) return `${id.length} characters long`;
  return 'it contains other characters';
}
