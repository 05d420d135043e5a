/**
 * Files that are either absent or whole: write under a temporary name, fsync, rename over
 * the final name, then fsync the directory so the rename itself survives a crash (POSIX
 * makes a rename durable only once its directory is synced).
 */
import { open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** Writes `bytes` to `dir/name` durably and atomically (see the header). */
export async function writeFileDurably(dir: string, name: string, bytes: Uint8Array): Promise<void> {
  const final = join(dir, name);
  const temporary = join(dir, `.${name}.tmp`);
  const handle = await open(temporary, 'w', 0o644);
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temporary, { force: true });
    throw error;
  }
  await handle.close();
  await rename(temporary, final);
  await syncDirectory(dir);
}

/** fsync of a directory: makes the names created or renamed in it durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
