import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** BIND's and Knot's zone checkers, run on a zone text written to a temporary file. */
const run = promisify(execFile);

export const ZONE_CHECKERS = {
  'named-checkzone': '/usr/bin/named-checkzone',
  kzonecheck: '/usr/bin/kzonecheck',
} as const;
export type ZoneChecker = keyof typeof ZONE_CHECKERS;

export function checkerAvailable(checker: ZoneChecker): boolean {
  return existsSync(ZONE_CHECKERS[checker]);
}

/** The checker's verdict and output for `text` as zone `origin`. */
export async function checkZone(
  checker: ZoneChecker,
  origin: string,
  text: string,
): Promise<{ readonly ok: boolean; readonly output: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'raftns-zone-'));
  try {
    const file = join(dir, 'zone.db');
    await writeFile(file, text);
    const args = checker === 'named-checkzone' ? ['-q', origin, file] : ['-o', origin, file];
    const verdict = await run(ZONE_CHECKERS[checker], args, { timeout: 120_000, maxBuffer: 64 << 20 }).then(
      ({ stdout, stderr }) => ({ ok: true, output: stdout + stderr }),
      (error: { stdout?: string; stderr?: string; message: string }) => ({
        ok: false,
        output: `${error.stdout ?? ''}${error.stderr ?? ''}${error.message}`,
      }),
    );
    return verdict;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
