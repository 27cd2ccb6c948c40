import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import {
  ChunkedSessionError,
  ChunkedSessionOptionsError,
  SessionStoreUnavailableError,
} from '../../src/errors/errors.js';
import { FileStore } from '../../src/stores/file-store.js';
import { describeStoreConformance, randomId } from './store-conformance.js';

let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'file-store-spec-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A store in a folder that does not exist yet (the store creates it). */
async function freshStore(
  options: { mode?: number } = {},
): Promise<{ store: FileStore; dir: string }> {
  const parent = join(root, randomId());
  await mkdir(parent);
  const dir = join(parent, 'sessions');
  return { store: new FileStore({ dir, ...options }), dir };
}

describeStoreConformance(
  'FileStore',
  async () => {
    const { store, dir } = await freshStore();
    return { store, close: () => rm(join(dir, '..'), { recursive: true, force: true }) };
  },
  {
    touch: true,
    ids: true,
    prune: true,
    // A folder under a plain file cannot be created.
    unreachable: async () => {
      const parent = join(root, randomId());
      await writeFile(parent, 'a file, not a folder');
      return { store: new FileStore({ dir: join(parent, 'sessions') }), close: () => rm(parent) };
    },
  },
);

async function errorOf(promise: Promise<unknown>): Promise<ChunkedSessionError> {
  try {
    await promise;
  } catch (error) {
    return error as ChunkedSessionError;
  }
  throw new Error('expected a rejection');
}

describe('FileStore', () => {
  it('defaults to <tmpdir>/nestjs-chunked-session and mode 0o600', () => {
    const store = new FileStore();
    expect(store.dir).toBe(join(tmpdir(), 'nestjs-chunked-session'));
    expect(store.mode).toBe(0o600);
  });

  it('refuses bad options with an error naming the option', () => {
    expect(() => new FileStore({ dir: '' })).toThrow(ChunkedSessionOptionsError);
    expect(() => new FileStore({ mode: 0o1777 })).toThrow(
      'nestjs-chunked-session: option `FileStore.mode` must be permission bits between 0 and 0o777 (got 1023). ' +
        'Pass a mode such as 0o600, or leave it out for the default.',
    );
    expect(() => new FileStore({ mode: 0o400 })).toThrow(
      'nestjs-chunked-session: option `FileStore.mode` must let the owner read and write the files (got 0o400). ' +
        'Include 0o600 in the mode.',
    );
  });

  it('creates nothing until the first write, then the folder with 0o700 and files with 0o600', async () => {
    const { store, dir } = await freshStore();
    const id = randomId();
    expect(await store.get(id)).toBeUndefined();
    await store.destroy(id);
    await store.touch(id, 60);
    expect(await store.prune()).toBe(0);
    await expect(stat(dir)).rejects.toMatchObject({ code: 'ENOENT' });

    await store.set(id, { a: 1 }, 60);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(join(dir, `${id}.json`))).mode & 0o777).toBe(0o600);
    const onDisk = JSON.parse(await readFile(join(dir, `${id}.json`), 'utf8'));
    expect(onDisk).toEqual({ expires: expect.any(Number), data: { a: 1 } });
    expect(onDisk.expires).toBeGreaterThan(Date.now() + 59_000);
    expect(onDisk.expires).toBeLessThanOrEqual(Date.now() + 60_000);
  });

  it('creates files with the mode given, whatever the umask', async () => {
    const { store, dir } = await freshStore({ mode: 0o660 });
    const id = randomId();
    const previous = process.umask(0o077);
    try {
      await store.set(id, { a: 1 }, 60);
    } finally {
      process.umask(previous);
    }
    expect((await stat(join(dir, `${id}.json`))).mode & 0o777).toBe(0o660);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
  });

  it('writes atomically: many concurrent writes leave one whole file and no temporary files', async () => {
    const { store, dir } = await freshStore();
    const id = randomId();
    const values = Array.from({ length: 30 }, (_, i) => ({ i, pad: 'y'.repeat(50_000) }));
    await Promise.all(values.map((value) => store.set(id, value, 60)));
    expect(await readdir(dir)).toEqual([`${id}.json`]);
    expect(values).toContainEqual(await store.get(id));
  });

  const badIds = [
    '../x',
    '../../../../etc/passwd',
    '..',
    '.',
    'a/b/c/d/e/f/g/h/i/j',
    'abcdefghijklmnop/..',
    'abcdefghijklmnopq\0',
    '..\\..\\windows\\x',
    'short',
    'x'.repeat(129),
    'abcdefghijklmnop.json',
    'abcdefghijklmnop q',
    'abcdefghijklmnop%2f..',
  ];

  it.each(badIds)('refuses the id %j: set, destroy, touch reject, get is undefined', async (id) => {
    const { store, dir } = await freshStore();
    for (const call of [
      store.set(id, { evil: true }, 60),
      store.destroy(id),
      store.touch(id, 60),
    ]) {
      const error = await errorOf(call);
      expect(error).toBeInstanceOf(ChunkedSessionError);
      expect(error.code).toBe('ERR_SESSION_STORE_ID');
      expect(error.message).toMatch(
        /^nestjs-chunked-session: FileStore refuses an id \(.+\): an id must be 16 to 128 characters from A-Z, a-z, 0-9, "_" and "-"\.$/,
      );
    }
    await expect(store.get(id)).resolves.toBeUndefined();
    await expect(stat(dir)).rejects.toMatchObject({ code: 'ENOENT' });
    // Nothing was written anywhere: not the folder, not beside it.
    expect(await readdir(join(dir, '..'))).toEqual([]);
    expect((await readdir(root)).filter((name) => !/^[A-Za-z0-9_-]{22}$/.test(name))).toEqual([]);
  });

  it('does not reveal a refused id in the error message', async () => {
    const { store } = await freshStore();
    const error = await errorOf(store.set('secret-but-too/long-id', {}, 60));
    expect(error.message).not.toContain('secret');
  });

  it('rejects with SessionStoreUnavailableError, not the base class, when the folder cannot be created (issue 14)', async () => {
    const file = join(root, `plain-file-${randomId()}`);
    await writeFile(file, 'not a folder');
    const dir = join(file, 'sessions');
    const store = new FileStore({ dir });
    const error = await errorOf(store.set(randomId(), { a: 1 }, 60));
    expect(error).toBeInstanceOf(SessionStoreUnavailableError);
    expect(error.code).toBe('ERR_SESSION_STORE_UNAVAILABLE');
    expect((error as SessionStoreUnavailableError).status).toBe(503);
    expect(error.message).toBe(
      `nestjs-chunked-session: FileStore cannot create its folder ${JSON.stringify(dir)}: ` +
        `ENOTDIR: not a directory, mkdir '${dir}'. Pass a \`dir\` this process can create and write to.`,
    );
    expect(error.cause).toMatchObject({ code: 'ENOTDIR' });
    // Reads fail the same way rather than pretend the session is empty.
    await expect(store.get(randomId())).rejects.toMatchObject({
      code: 'ERR_SESSION_STORE_UNAVAILABLE',
    });
    // A later call tries again (and fails again) rather than remembering the failure forever.
    await expect(store.set(randomId(), {}, 60)).rejects.toMatchObject({
      code: 'ERR_SESSION_STORE_UNAVAILABLE',
    });
  });

  it('refuses an existing folder that group or others may write to', async () => {
    const dir = join(root, randomId());
    await mkdir(dir);
    await chmod(dir, 0o777);
    const store = new FileStore({ dir });
    const error = await errorOf(store.set(randomId(), { a: 1 }, 60));
    expect(error.code).toBe('ERR_SESSION_STORE_UNAVAILABLE');
    expect(error.message).toContain('group or others may write to it (mode 0o777)');
    await chmod(dir, 0o700);
    const id = randomId();
    await store.set(id, { a: 1 }, 60);
    expect(await store.get(id)).toEqual({ a: 1 });
  });

  it('recreates the folder if it disappears after first use', async () => {
    const { store, dir } = await freshStore();
    await store.set(randomId(), { a: 1 }, 60);
    await rm(dir, { recursive: true });
    const id = randomId();
    await store.set(id, { b: 2 }, 60);
    expect(await store.get(id)).toEqual({ b: 2 });
  });

  it('reads a corrupt or foreign file as undefined, and prune deletes it', async () => {
    const { store, dir } = await freshStore();
    const live = randomId();
    await store.set(live, { ok: true }, 60);
    const torn = randomId();
    const foreign = randomId();
    await writeFile(join(dir, `${torn}.json`), '{"expires": 99999999999999, "data": {"a"');
    await writeFile(join(dir, `${foreign}.json`), '[1, 2, 3]');
    await writeFile(join(dir, 'not-a-session.txt'), 'left alone');
    expect(await store.get(torn)).toBeUndefined();
    expect(await store.get(foreign)).toBeUndefined();
    expect(await store.prune()).toBe(2);
    expect((await readdir(dir)).sort()).toEqual([`${live}.json`, 'not-a-session.txt'].sort());
  });

  it('ids lists only files named like session ids', async () => {
    const { store, dir } = await freshStore();
    const id = randomId();
    await store.set(id, { a: 1 }, 60);
    await writeFile(
      join(dir, 'bad id.json'),
      JSON.stringify({ expires: Date.now() + 60_000, data: {} }),
    );
    const ids: string[] = [];
    for await (const each of store.ids()) ids.push(each);
    expect(ids).toEqual([id]);
  });
});
