/**
 * Keeps a group's Raft voters equal to its slot holders, from the leader: a holder that is
 * not a voter (a replacement that took a dead replica's slot) is added, then a voter that
 * holds no slot any more (the dead replica) is removed — one single-server change at a
 * time, adding before removing so the group never shrinks below its size while the
 * newcomer catches up (thesis §4.1, §4.2.1; the log actor refuses overlapping changes and
 * counts a new voter only once it has caught up). A holder without a live registration is
 * not added. Runs on a timer; a pass is skipped unless this replica leads.
 */
import type { ElectionMessage } from '../../actors/election/protocol.js';
import type { LogMessage } from '../../actors/log/protocol.js';
import { ELECTION, LOG } from '../../actors/raft/actor-names.js';
import type { MembershipChange } from '../../actors/raft/membership.js';
import type { ExternalEndpoint } from '../external-endpoint.js';
import type { Logger } from '../log.js';
import type { MessageOf } from '../message.js';
import { PeriodicTask } from './periodic-task.js';

export interface MembershipReconcilerOptions {
  readonly external: ExternalEndpoint;
  /** The group's slot holders (instance ids) and which of them are registered and alive. */
  readonly holders: () => Promise<{
    readonly holders: readonly string[];
    readonly live: ReadonlySet<string>;
  }>;
  readonly log: Logger;
  readonly intervalMs: number;
}

export type MembershipPass =
  | { readonly kind: 'not-leader' }
  | { readonly kind: 'in-sync' }
  | { readonly kind: 'changed'; readonly change: MembershipChange }
  | { readonly kind: 'refused'; readonly change: MembershipChange; readonly reason: string };

const STATUS_TIMEOUT_MS = 1_000;
/** An added voter must catch up first: allow it time. */
const CHANGE_TIMEOUT_MS = 60_000;

/** The next single-server change that moves `voters` toward `holders`, if any. */
export function nextMembershipChange(
  voters: readonly string[],
  holders: readonly string[],
  live: ReadonlySet<string>,
): MembershipChange | undefined {
  const add = holders.find((holder) => !voters.includes(holder) && live.has(holder));
  if (add !== undefined) return { op: 'add', replica: add };
  if (holders.some((holder) => !voters.includes(holder))) return undefined; // wait for the newcomer
  const remove = voters.find((voter) => !holders.includes(voter));
  return remove === undefined ? undefined : { op: 'remove', replica: remove };
}

export class MembershipReconciler {
  private readonly task: PeriodicTask<MembershipPass>;

  constructor(private readonly options: MembershipReconcilerOptions) {
    this.task = new PeriodicTask(
      () => this.pass(),
      options.intervalMs,
      (outcome) => {
        if (outcome.kind === 'changed' || outcome.kind === 'refused')
          options.log.info({ ...outcome }, 'membership pass');
      },
      (error) => options.log.warn({ err: String(error) }, 'membership pass failed; retrying'),
    );
  }

  start(): void {
    this.task.start();
  }

  stop(): Promise<void> {
    return this.task.stop();
  }

  async pass(): Promise<MembershipPass> {
    const status = await this.options.external.request<MessageOf<ElectionMessage, 'status'>>(
      ELECTION,
      { type: 'status' },
      { timeoutMs: STATUS_TIMEOUT_MS },
    );
    if (status.role !== 'leader') return { kind: 'not-leader' };
    const { holders, live } = await this.options.holders();
    const change = nextMembershipChange(status.voters, holders, live);
    if (change === undefined) return { kind: 'in-sync' };
    this.options.log.info(
      { change, voters: status.voters, holders },
      'changing the group membership to match the slots',
    );
    const result = await this.options.external.request<MessageOf<LogMessage, 'change-membership'>>(
      LOG,
      { type: 'change-membership', change },
      { timeoutMs: CHANGE_TIMEOUT_MS },
    );
    if (result.ok) return { kind: 'changed', change };
    return {
      kind: 'refused',
      change,
      reason: 'detail' in result ? `${result.reason}: ${result.detail}` : result.reason,
    };
  }
}
