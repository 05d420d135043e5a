/**
 * What a data directory's identity record says (actors/identity/identity-actor.ts), read on
 * the main thread before any actor opens the store: bootstrap claims a slot of the group
 * whose Raft state the directory holds. Undefined for a directory never started.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeIdentity, IDENTITY_KEY, type IdentityRecord } from '../../actors/identity/identity-actor.js';

export async function readDataDirIdentity(dataDir: string): Promise<IdentityRecord | undefined> {
  const path = join(dataDir, 'identity');
  try {
    await stat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  // Closed before the identity actor opens it (RocksDB locks a directory to one opener).
  // RocksDB loads here only when there is a directory to read: the main thread needs it for
  // nothing else (the actors' storage runs on a worker).
  const { RocksKvStore } = await import('../storage/rocks-kv-store.js');
  const store = await RocksKvStore.open(path);
  try {
    const bytes = await store.get(IDENTITY_KEY);
    return bytes === undefined ? undefined : decodeIdentity(bytes);
  } finally {
    await store.close();
  }
}
