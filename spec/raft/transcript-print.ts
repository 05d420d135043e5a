import type { RaftMessage } from '../../actors/raft/peer-messages.js';
import type { LogEntry } from '../../actors/raft/types.js';
import type { ReadResult, SubmitResult } from '../../actors/state-machine/protocol.js';
import { decodeSessionCommand } from '../../protocol/group/command-codec.js';
import type { GroupCommand } from '../../protocol/group/commands.js';

/**
 * How transcripts print things. Everything here is a pure function of its input, and
 * nothing printed depends on wall-clock time or on the order the simulator happened to
 * pick between independent steps. Logs print as `index:term` lists, like Figure 7.
 */

// ------------------------------------------------------------------ a replica at a moment

/** What `status` shows of a replica and what the change lines compare. */
export interface ReplicaView {
  readonly up: boolean;
  readonly role: string;
  readonly term: number;
  readonly vote: string;
  readonly leader: string;
  readonly commit: number;
  readonly applied: number;
  /** The log's first index (1 until a snapshot compacts it) and the terms of its entries from there. */
  readonly first: number;
  readonly terms: readonly number[];
}

export const DOWN: ReplicaView = {
  up: false,
  role: 'down',
  term: 0,
  vote: 'none',
  leader: 'none',
  commit: 0,
  applied: 0,
  first: 1,
  terms: [],
};

export function logText(terms: readonly number[], from = 1): string {
  return `[${terms.map((t, k) => `${k + from}:${t}`).join(' ')}]`;
}

export function fullState(v: ReplicaView): string {
  const compacted = v.first > 1 ? `snapshot=${v.first - 1} ` : '';
  return (
    `${v.role} term=${v.term} vote=${v.vote} leader=${v.leader} commit=${v.commit} ` +
    `applied=${v.applied} last=${v.first + v.terms.length - 1} ${compacted}log=${logText(v.terms, v.first)}`
  );
}

export function describeChange(id: string, before: ReplicaView, after: ReplicaView): string | undefined {
  if (!after.up) return before.up ? `${id}: down` : undefined;
  if (!before.up) return `${id}: up ${fullState(after)}`;
  const parts: string[] = [];
  const field = (name: string, a: string | number, b: string | number) => {
    if (a !== b) parts.push(`${name} ${a}→${b}`);
  };
  field('role', before.role, after.role);
  field('term', before.term, after.term);
  field('vote', before.vote, after.vote);
  field('leader', before.leader, after.leader);
  field('commit', before.commit, after.commit);
  field('applied', before.applied, after.applied);
  if (before.first !== after.first) {
    parts.push(`log compacted to ${after.first - 1}, now ${logText(after.terms, after.first)}`);
    return `${id}: ${parts.join(', ')}`;
  }
  const first = after.first;
  let common = 0;
  while (
    common < before.terms.length &&
    common < after.terms.length &&
    before.terms[common] === after.terms[common]
  )
    common++;
  const removed = before.terms.slice(common);
  const added = after.terms.slice(common);
  if (removed.length > 0 || added.length > 0) {
    const log: string[] = [];
    if (removed.length > 0) log.push(`-${logText(removed, first + common)}`);
    if (added.length > 0) log.push(`+${logText(added, first + common)}`);
    parts.push(`log ${log.join(' ')}`);
  }
  return parts.length === 0 ? undefined : `${id}: ${parts.join(', ')}`;
}

// ------------------------------------------------------------------ messages, entries, answers

export function printMessage(m: RaftMessage): string {
  const head = `${m.from}->${m.to}`;
  switch (m.type) {
    case 'pre-vote':
      return `${head} PreVote term=${m.term} last=${m.lastLogIndex}:${m.lastLogTerm}`;
    case 'pre-vote-response':
      return `${head} PreVoteResp term=${m.term} ${m.granted ? 'granted' : 'denied'}`;
    case 'request-vote':
      return `${head} Vote term=${m.term} last=${m.lastLogIndex}:${m.lastLogTerm}${m.transfer ? ' transfer' : ''}`;
    case 'request-vote-response':
      return `${head} VoteResp term=${m.term} ${m.granted ? 'granted' : 'denied'}`;
    case 'append-entries':
      return (
        `${head} App term=${m.term} prev=${m.prevLogIndex}:${m.prevLogTerm} commit=${m.leaderCommit} ` +
        `entries=[${m.entries.map((e) => `${e.index}:${e.term}`).join(' ')}]`
      );
    case 'append-entries-response':
      return m.success
        ? `${head} AppResp term=${m.term} ok match=${m.matchIndex}`
        : `${head} AppResp term=${m.term} reject conflictTerm=${m.conflictTerm} conflictIndex=${m.conflictIndex}`;
    case 'install-snapshot':
      return `${head} Snapshot term=${m.term} last=${m.meta.lastIndex}:${m.meta.lastTerm} offset=${m.offset}`;
    case 'install-snapshot-response':
      return `${head} SnapshotResp term=${m.term} installed=${m.installed} last=${m.lastIndex}`;
    case 'timeout-now':
      return `${head} TimeoutNow term=${m.term}${m.vote ? ` vote=${m.term + 1}` : ''}`;
    case 'read-index':
      return `${head} ReadIndex term=${m.term} id=${m.requestId}`;
    case 'lease-read-index':
      return `${head} LeaseReadIndex term=${m.term} id=${m.requestId}`;
    case 'read-index-response':
      return `${head} ReadIndexResp term=${m.term} id=${m.requestId} ${m.ok ? `ok index=${m.readIndex}` : 'refused'}`;
  }
}

export function printEntry(entry: LogEntry): string {
  const head = `${entry.index}:${entry.term}`;
  if (entry.kind !== 'command') return `${head} ${entry.kind}`;
  const decoded = decodeSessionCommand(entry.data);
  if (!decoded.ok) return `${head} command <undecodable: ${decoded.error.message}>`;
  return `${head} ${printCommand(decoded.value.command)}`;
}

export function printCommand(c: GroupCommand): string {
  switch (c.kind) {
    case 'kv-put':
      return `put ${c.key}=${c.value}`;
    case 'kv-delete':
      return `delete ${c.key}`;
    case 'kv-cas':
      return `cas ${c.key}@${c.expectedRevision}=${c.value}`;
    case 'dns-batch':
      return `dns changes=${c.batch.changes.length}`;
    case 'dns-import':
      return `dns-import ${c.import.zone} chunks=${c.import.chunks}`;
    case 'dns-collect-tombstones':
      return `dns-collect-tombstones ${c.collection.zone} ${c.collection.tombstones.length}`;
  }
}

export function printSubmit(r: SubmitResult): string {
  switch (r.status) {
    case 'applied':
      return r.result.kind === 'kv-cas-mismatch'
        ? `applied index=${r.index} (cas-mismatch)`
        : `applied index=${r.index}`;
    case 'rejected':
      return `rejected ${r.reason}`;
    case 'not-leader':
      return `not-leader leader=${r.leaderId ?? 'none'}`;
    case 'retry':
      return `retry ${r.reason}`;
  }
}

export function printRead(key: string, r: ReadResult): string {
  switch (r.status) {
    case 'ok': {
      const q = r.result;
      if (q.op === 'range') return `ok applied=${r.index} range(${q.entries.length})`;
      if (q.op !== 'get') return `ok applied=${r.index} ${q.op}`;
      const value = q.entry === null ? `${key} absent` : `${key}=${q.entry.value} (rev ${q.entry.revision})`;
      return `ok applied=${r.index} ${value}`;
    }
    case 'not-leader':
      return `not-leader leader=${r.leaderId ?? 'none'}`;
    case 'stale':
      return 'stale';
    case 'retry':
      return `retry ${r.reason}`;
  }
}

export function printError(error: unknown): string {
  return error instanceof Error ? `error ${error.name}: ${error.message}` : `error ${String(error)}`;
}
