/**
 * Every NATS subject raftns uses, named in one place (DESIGN §5). Subjects are scoped per
 * cluster, region and group, so two groups (or two regions of the same group) never hear
 * each other, even when their replica ids are the same:
 *
 *   raftns.<cluster>.<region>.<group>.raft.<replica>            raftSubject: a replica's peer inbox prefix
 *   raftns.<cluster>.<region>.<group>.raft.<replica>.<channel>  peerSubject: where a replica's channel listens
 *   raftns.<cluster>.<region>.<group>.write                     writeSubject: client writes (the leader answers)
 *   raftns.<cluster>.<region>.<group>.read                      readSubject: client reads
 *   raftns.<cluster>.<region>.<group>.client.<replica>          clientSubject: reads and status from one replica
 *   raftns.<cluster>.<region>.<group>.client.<replica>.write    clientWriteSubject: writes to one replica
 *   raftns.<cluster>.<region>.<group>.sync                      syncSubject: anti-entropy between regions (the leader answers; replicas only)
 *
 * A `PeerTransport` is opened per channel (`raft` for Raft's own messages), so a replica's
 * channel listens on `peerSubject`, for example `raftns.prod.us-east-1.root.raft.r1.raft`.
 * The channel is the last token so `raftns.<cluster>.<region>.<group>.raft.>` observes all
 * peer traffic of a group and `...raft.<replica>.>` all of one replica's.
 *
 * Client requests (runtime/client-intake.ts, clients/raft-client.ts): every replica listens
 * on its own `clientSubject`; only the replica that believes it leads listens on the
 * group's `writeSubject` and `readSubject`, so NATS routes those to the leader (and answers
 * "no responders" at once while there is none).
 *
 * Writes and reads travel on different subjects, and a replica refuses a write that arrives
 * on a read subject (`wrong-subject`), so NATS permissions can let a reader ask for reads
 * and status (`…read`, `…client.*`) without letting it write (bootstrap/nats-roles.ts).
 *
 * Every part must be a single subject token: non-empty, at most SUBJECT_TOKEN_BYTES_MAX
 * UTF-8 bytes, without `.` (the separator), `*` or `>` (wildcards), whitespace or control
 * characters. A group named after a zone (`wikipedia.org`) therefore needs a token form
 * (`wikipedia_org`) chosen by whoever names groups.
 */

export const SUBJECT_PREFIX = 'raftns';
/** Longest token; matches the codec's replica-id bound. */
export const SUBJECT_TOKEN_BYTES_MAX = 255;

export type SubjectTokenProblem = 'empty' | 'too-long' | 'separator' | 'wildcard' | 'whitespace' | 'control';

/** A name that cannot be one NATS subject token. */
export class InvalidSubjectTokenError extends Error {
  readonly code = 'INVALID_SUBJECT_TOKEN';
  constructor(
    /** Which part of the subject: `cluster`, `region`, `group`, `replica` or `channel`. */
    readonly part: string,
    readonly token: string,
    readonly problem: SubjectTokenProblem,
  ) {
    super(`${part} ${JSON.stringify(token)} is not a valid NATS subject token: ${describe(problem)}`);
    this.name = 'InvalidSubjectTokenError';
  }
}

function describe(problem: SubjectTokenProblem): string {
  switch (problem) {
    case 'empty':
      return 'it is empty';
    case 'too-long':
      return `it is longer than ${SUBJECT_TOKEN_BYTES_MAX} UTF-8 bytes`;
    case 'separator':
      return 'it contains "."';
    case 'wildcard':
      return 'it contains a wildcard ("*" or ">")';
    case 'whitespace':
      return 'it contains whitespace';
    case 'control':
      return 'it contains a control character';
  }
}

const utf8 = new TextEncoder();

/** Why `token` cannot be a subject token, or undefined when it can. */
export function subjectTokenProblem(token: string): SubjectTokenProblem | undefined {
  if (token.length === 0) return 'empty';
  if (token.includes('.')) return 'separator';
  if (token.includes('*') || token.includes('>')) return 'wildcard';
  if (/\s/u.test(token)) return 'whitespace';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this rejects
  if (/[\u0000-\u001f\u007f-\u009f]/u.test(token)) return 'control';
  if (token.length > SUBJECT_TOKEN_BYTES_MAX / 3 && utf8.encode(token).byteLength > SUBJECT_TOKEN_BYTES_MAX) {
    return 'too-long';
  }
  return undefined;
}

/** Returns `token` if it is a valid subject token; throws InvalidSubjectTokenError otherwise. */
export function checkSubjectToken(part: string, token: string): string {
  const problem = subjectTokenProblem(token);
  if (problem !== undefined) throw new InvalidSubjectTokenError(part, token, problem);
  return token;
}

function groupPrefix(cluster: string, region: string, group: string): string {
  return `${SUBJECT_PREFIX}.${checkSubjectToken('cluster', cluster)}.${checkSubjectToken('region', region)}.${checkSubjectToken('group', group)}`;
}

/** `raftns.<cluster>.<region>.<group>.raft.<replica>`: the prefix of a replica's peer inboxes. */
export function raftSubject(cluster: string, region: string, group: string, replica: string): string {
  return `${groupPrefix(cluster, region, group)}.raft.${checkSubjectToken('replica', replica)}`;
}

/** `raftns.<cluster>.<region>.<group>.raft.<replica>.<channel>`: where a replica's transport channel listens. */
export function peerSubject(
  cluster: string,
  region: string,
  group: string,
  replica: string,
  channel: string,
): string {
  return `${raftSubject(cluster, region, group, replica)}.${checkSubjectToken('channel', channel)}`;
}

/** `raftns.<cluster>.<region>.<group>.write`: client writes; only the leader answers. */
export function writeSubject(cluster: string, region: string, group: string): string {
  return `${groupPrefix(cluster, region, group)}.write`;
}

/** `raftns.<cluster>.<region>.<group>.read`: client reads. */
export function readSubject(cluster: string, region: string, group: string): string {
  return `${groupPrefix(cluster, region, group)}.read`;
}

/**
 * `raftns.<cluster>.<region>.<group>.sync`: digest and version reads of anti-entropy between
 * regions, asked by other regions' leaders of the same group; only the leader answers, and
 * only replicas may use it (bootstrap/nats-roles.ts).
 */
export function syncSubject(cluster: string, region: string, group: string): string {
  return `${groupPrefix(cluster, region, group)}.sync`;
}

/** `raftns.<cluster>.<region>.<group>.client.<replica>`: reads and status addressed to one replica. */
export function clientSubject(cluster: string, region: string, group: string, replica: string): string {
  return `${groupPrefix(cluster, region, group)}.client.${checkSubjectToken('replica', replica)}`;
}

/** `raftns.<cluster>.<region>.<group>.client.<replica>.write`: writes addressed to one replica. */
export function clientWriteSubject(cluster: string, region: string, group: string, replica: string): string {
  return `${clientSubject(cluster, region, group, replica)}.write`;
}
