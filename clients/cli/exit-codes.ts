/** The `raftns` CLI's exit codes, one meaning each, so scripts can branch on them. */
export const EXIT_OK = 0;
/** The operation failed (or did not complete everywhere it had to). */
export const EXIT_FAILED = 1;
/** The command line was wrong; nothing was attempted. */
export const EXIT_USAGE = 2;
/** What was asked for does not exist. */
export const EXIT_NOT_FOUND = 3;
