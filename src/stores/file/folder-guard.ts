import { chmod, lstat, mkdir } from 'node:fs/promises';

/** Says what went wrong with the folder: a verb ("cannot create", "refuses") and why. */
export type FolderFailure = (what: string, cause: unknown) => Error;

/**
 * Creates the folder (mode 0o700, whatever the umask) if it is missing, then checks it may hold
 * sessions: a real directory (not a symbolic link), owned by this process's user, not writable
 * by group or others — a folder another local user could tamper with is refused.
 */
export async function prepareFolder(dir: string, fail: FolderFailure): Promise<void> {
  try {
    const created = await mkdir(dir, { recursive: true, mode: 0o700 });
    if (created !== undefined) await chmod(dir, 0o700);
  } catch (error) {
    throw fail('cannot create', error);
  }
  let stat;
  try {
    stat = await lstat(dir);
  } catch (error) {
    throw fail('cannot use', error);
  }
  if (!stat.isDirectory()) {
    throw fail('cannot use', new Error('it is not a directory (or is a symbolic link)'));
  }
  const uid = process.getuid?.();
  if (uid !== undefined && stat.uid !== uid) {
    throw fail(
      'refuses',
      new Error(`it belongs to uid ${stat.uid}, not to this process's uid ${uid}`),
    );
  }
  if (process.platform !== 'win32' && (stat.mode & 0o022) !== 0) {
    throw fail(
      'refuses',
      new Error(
        `group or others may write to it (mode 0o${(stat.mode & 0o777).toString(8)}); ` +
          `run chmod 700 on it or choose another dir`,
      ),
    );
  }
}

/** Whether `error` is a Node system error with this `code`. */
export function isCode(error: unknown, code: string): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === code;
}
