import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/** Temporary files start with it; a reader of the folder skips them. */
export const TEMP_PREFIX = '.tmp-';

/**
 * Writes `text` to `dir/name` atomically: into a new temporary file in the same folder (created
 * exclusively, so a planted link is never followed), with exactly `mode` whatever the umask,
 * then renamed over the target (rename(2) replaces it in one step: a reader sees the old file
 * or the new one, never a part). The temporary file is removed when anything fails.
 * No fsync: a file lost to a power cut reads as missing, which is the safe failure for a session.
 */
export async function writeAtomically(
  dir: string,
  name: string,
  text: string,
  mode: number,
): Promise<void> {
  const temp = join(dir, `${TEMP_PREFIX}${name}-${randomBytes(6).toString('hex')}`);
  const handle = await open(temp, 'wx', mode);
  try {
    try {
      await handle.chmod(mode);
      await handle.writeFile(text, 'utf8');
    } finally {
      await handle.close();
    }
    await rename(temp, join(dir, name));
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}
