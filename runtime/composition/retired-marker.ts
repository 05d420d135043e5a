/**
 * The mark a replica leaves in its data directory when it leaves its group for good
 * (slot-retirement.ts): the directory holds the Raft state of a group that no longer counts
 * it, so a later start with it must not claim a slot (of that group after it grows again,
 * or of another) and vote with that state. A start that finds the mark refuses with the
 * reason; an operator starts a new instance with an empty data directory instead.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const MARKER_FILE = 'RETIRED';
/** Bounds what a start reads back (the mark is one line of JSON). */
const MARKER_MAX_BYTES = 4_096;

export interface RetiredMark {
  readonly group: string;
  readonly slot: string;
  readonly reason: string;
  readonly at: string;
}

export async function markRetired(dataDir: string, mark: RetiredMark): Promise<void> {
  await writeFile(join(dataDir, MARKER_FILE), `${JSON.stringify(mark)}\n`, { flush: true });
}

/** The mark in `dataDir` as text, or undefined when there is none. */
export async function retiredMark(dataDir: string): Promise<string | undefined> {
  try {
    const text = await readFile(join(dataDir, MARKER_FILE), 'utf8');
    return text.slice(0, MARKER_MAX_BYTES).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
