/**
 * `/livez` and `/readyz` (after etcd's): what each decides, from a look at the actors.
 *
 * - Live: the process serves HTTP (this code runs), no actor exhausted its restart budget,
 *   and every actor answered a status ask within the last `silenceMsMax` — a worker stuck
 *   in a loop is not live, while one the supervisor is restarting is still given time.
 *   An orchestrator restarts a replica that is not live.
 * - Ready: a voter of its group that knows the term's leader and has heard from it (or, as
 *   the leader, from a majority) within `leaderContactMsMax`; its state machine and its DNS
 *   copy are within `appliedLagMax` entries of the commit index; its DNS listeners are all
 *   open. A load balancer sends queries only to a ready replica.
 *
 * Each check that fails gives its reason; the body lists all of them.
 */
import type { ReplicaLook } from './replica-probe.js';

export interface HealthBounds {
  /** How long every actor may go without answering before the replica is not live. */
  readonly silenceMsMax: number;
  /** How old the last proof of the leader's commit index may be for the replica to be ready. */
  readonly leaderContactMsMax: number;
  /** How many committed entries the state machine and the DNS copy may still have to apply. */
  readonly appliedLagMax: number;
}

export type HealthVerdict =
  | { readonly ok: true; readonly checks: readonly string[] }
  | { readonly ok: false; readonly checks: readonly string[]; readonly reasons: readonly string[] };

export interface ReadinessFacts {
  readonly self: string;
  /** DNS listeners configured (0 when the replica runs no DNS actor). */
  readonly dnsListenersExpected: number;
}

function verdict(checks: readonly string[], reasons: readonly string[]): HealthVerdict {
  return reasons.length === 0 ? { ok: true, checks } : { ok: false, checks, reasons };
}

export function readiness(look: ReplicaLook, facts: ReadinessFacts, bounds: HealthBounds): HealthVerdict {
  const checks = ['member', 'leader', 'applied', 'dns'];
  const reasons: string[] = [];
  const election = look.election;
  if (!election.answered) {
    reasons.push(`election actor did not answer: ${election.error}`);
  } else {
    const e = election.value;
    if (!e.voters.includes(facts.self))
      reasons.push(`not a voter of the group (voters: ${e.voters.join(',') || 'none'})`);
    if (e.leaderId === null) reasons.push(`no known leader in term ${e.term} (role ${e.role})`);
  }
  let commitIndex: number | undefined;
  const contact = look.contact;
  if (!contact.answered) reasons.push(`log actor did not answer: ${contact.error}`);
  else if (!contact.value.ok) reasons.push('no contact with a leader yet in this term');
  else if (contact.value.ageMs > bounds.leaderContactMsMax)
    reasons.push(
      `last contact with the leader ${Math.round(contact.value.ageMs)} ms ago (bound ${bounds.leaderContactMsMax} ms)`,
    );
  else commitIndex = contact.value.commitIndex;
  const machine = look.machine;
  if (!machine.answered) reasons.push(`state machine did not answer: ${machine.error}`);
  else if (commitIndex !== undefined && commitIndex - machine.value.appliedIndex > bounds.appliedLagMax)
    reasons.push(
      `applied index ${machine.value.appliedIndex} is ${commitIndex - machine.value.appliedIndex} behind commit index ${commitIndex} (bound ${bounds.appliedLagMax})`,
    );
  if (facts.dnsListenersExpected > 0) {
    const dns = look.dns;
    if (dns === undefined || !dns.answered)
      reasons.push(`DNS actor did not answer: ${dns?.answered === false ? dns.error : 'not running'}`);
    else {
      if (dns.value.listeners.length < facts.dnsListenersExpected)
        reasons.push(`${dns.value.listeners.length} of ${facts.dnsListenersExpected} DNS listeners open`);
      if (commitIndex !== undefined && commitIndex - dns.value.appliedIndex > bounds.appliedLagMax)
        reasons.push(
          `DNS copy at index ${dns.value.appliedIndex} is ${commitIndex - dns.value.appliedIndex} behind commit index ${commitIndex} (bound ${bounds.appliedLagMax})`,
        );
    }
  }
  return verdict(checks, reasons);
}

/**
 * Liveness over time: remembers when each actor last answered. An actor never seen
 * answering counts from `startedAtMs`.
 */
export class LivenessTracker {
  private readonly lastAnsweredMs = new Map<string, number>();

  constructor(
    private readonly startedAtMs: number,
    private readonly bounds: Pick<HealthBounds, 'silenceMsMax'>,
  ) {}

  judge(look: ReplicaLook, escalation: string | undefined): HealthVerdict {
    const answers: Array<[string, boolean]> = [
      ['election', look.election.answered],
      ['log', look.contact.answered],
      ['state-machine', look.machine.answered],
    ];
    if (look.dns !== undefined) answers.push(['dns', look.dns.answered]);
    if (look.awsLease !== undefined) answers.push(['aws-lease', look.awsLease.answered]);
    if (look.awsServing !== undefined) answers.push(['aws-serving', look.awsServing.answered]);
    const reasons: string[] = [];
    if (escalation !== undefined) reasons.push(`restart budget exhausted: ${escalation}`);
    for (const [actor, answered] of answers) {
      if (answered) this.lastAnsweredMs.set(actor, look.atMs);
      const silentMs = look.atMs - (this.lastAnsweredMs.get(actor) ?? this.startedAtMs);
      if (!answered && silentMs > this.bounds.silenceMsMax)
        reasons.push(`actor ${actor} has not answered for ${Math.round(silentMs)} ms`);
    }
    return verdict(['process', 'supervisor', 'actors'], reasons);
  }
}
