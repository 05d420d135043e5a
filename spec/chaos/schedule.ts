/**
 * The fault schedule of a chaos run, derived from its seed alone: the same seed, duration and
 * shape give the same schedule, so a failing run names everything needed to try it again
 * (the processes' own timing is not reproducible, the faults are).
 *
 * Faults come one at a time, each followed by a quiet stretch, so a 3-replica group always
 * keeps a majority of live members and every fault's unavailability is measured on its own.
 * Whom a fault hits is decided when it fires (the leader at that moment, or a follower);
 * `pick` chooses among the candidates.
 */
import { seededRandom } from '../checkers/generate.js';

export type ReplicaRole = 'leader' | 'follower';

export type ScheduledFault =
  /** SIGKILL, down for `downMs`, then started again on the same data directory. */
  | {
      readonly kind: 'kill';
      readonly role: ReplicaRole;
      readonly atMs: number;
      readonly downMs: number;
      readonly pick: number;
    }
  /** SIGSTOP, frozen for `frozenMs`, then SIGCONT. */
  | {
      readonly kind: 'stop';
      readonly role: ReplicaRole;
      readonly atMs: number;
      readonly frozenMs: number;
      readonly pick: number;
    }
  /**
   * Every fsync/fdatasync of the replica's process delayed by `fsyncDelayMs` (strace
   * fault injection, all threads) for `slowMs`: a disk that stalls.
   */
  | {
      readonly kind: 'slow-fsync';
      readonly role: ReplicaRole;
      readonly atMs: number;
      readonly slowMs: number;
      readonly fsyncDelayMs: number;
      readonly pick: number;
    }
  /**
   * The replica restarted with its clocks (wall and monotonic) running at `rate` (libfaketime)
   * for `driftMs`, then restarted with true clocks: frequency error within the bound the
   * read lease assumes (runtime/composition/replica-plan.ts, CLOCK_DRIFT_BOUND_TICKS).
   */
  | {
      readonly kind: 'drift';
      readonly role: ReplicaRole;
      readonly atMs: number;
      readonly driftMs: number;
      readonly rate: number;
      readonly pick: number;
    }
  /** SIGKILL of NATS server `server` (the single one, or one of a cluster), restarted after `downMs`. */
  | {
      readonly kind: 'nats-restart';
      readonly server: number;
      readonly atMs: number;
      readonly downMs: number;
    }
  /**
   * The replica cut off from the network (iptables DROP in its own namespace, both ways) for
   * `cutMs`, then healed: with every peer and every NATS server out of reach, it is alone.
   */
  | {
      readonly kind: 'partition';
      readonly role: ReplicaRole;
      readonly atMs: number;
      readonly cutMs: number;
      readonly pick: number;
    }
  /**
   * NATS server `server` cut off for `cutMs` from the other servers and from every client
   * (its connections go silent, no reset), then healed.
   */
  | {
      readonly kind: 'partition-nats';
      readonly server: number;
      readonly atMs: number;
      readonly cutMs: number;
    };

/** A fault's kind as the summary counts it: `kill-leader`, `stop-follower`, `nats-restart`, ... */
export type FaultLabel =
  | `${'kill' | 'stop' | 'slow-fsync' | 'drift' | 'partition'}-${ReplicaRole}`
  | 'nats-restart'
  | 'partition-nats';

export function faultLabel(fault: ScheduledFault): FaultLabel {
  return fault.kind === 'nats-restart' || fault.kind === 'partition-nats'
    ? fault.kind
    : `${fault.kind}-${fault.role}`;
}

/** Fault kinds that need network namespaces and iptables (spec/fixtures/chaos-network.ts). */
export const PARTITION_LABELS: readonly FaultLabel[] = [
  'partition-leader',
  'partition-follower',
  'partition-nats',
];

/** Clock rates a drift fault draws from: ±20 %, within the lease's drift bound over one lease. */
const DRIFT_RATES = [0.8, 1.2] as const;
const FSYNC_DELAY_MS_MIN = 20;
const FSYNC_DELAY_MS_MAX = 200;

export interface ScheduleOptions {
  readonly seed: number;
  /** The span in which faults start and end, from the start of the load. */
  readonly durationMs: number;
  readonly natsServers: number;
  /** Which faults may be drawn; default all. */
  readonly labels?: readonly FaultLabel[];
}

export const ALL_FAULT_LABELS: readonly FaultLabel[] = [
  'kill-leader',
  'kill-follower',
  'stop-leader',
  'stop-follower',
  'nats-restart',
  'slow-fsync-leader',
  'slow-fsync-follower',
  'drift-leader',
  'drift-follower',
  ...PARTITION_LABELS,
];

/** Load before the first fault, so the group is measured healthy first. */
const WARMUP_MS = 3_000;
/** Long enough to force an election when the leader is hit (election timeout ≤ 300 ms). */
const DOWN_MS_MIN = 400;
const DOWN_MS_MAX = 2_500;
const QUIET_MS_MIN = 1_000;
const QUIET_MS_MAX = 2_500;
/** A bound on the schedule whatever the duration asked for. */
export const FAULTS_MAX = 1_000;

export function faultSchedule(options: ScheduleOptions): ScheduledFault[] {
  const labels = options.labels ?? ALL_FAULT_LABELS;
  if (labels.length === 0) throw new RangeError('faultSchedule: no fault kinds to draw from');
  if (options.natsServers < 1) throw new RangeError('faultSchedule: natsServers must be at least 1');
  const random = seededRandom(options.seed);
  const between = (min: number, max: number) => Math.round(min + random() * (max - min));
  const faults: ScheduledFault[] = [];
  let atMs = WARMUP_MS;
  while (faults.length < FAULTS_MAX) {
    const label = labels[Math.floor(random() * labels.length)]!;
    const lastsMs = between(DOWN_MS_MIN, DOWN_MS_MAX);
    if (atMs + lastsMs > options.durationMs) break;
    faults.push(scheduled(label, atMs, lastsMs, random, options.natsServers));
    atMs += lastsMs + between(QUIET_MS_MIN, QUIET_MS_MAX);
  }
  return faults;
}

function scheduled(
  label: FaultLabel,
  atMs: number,
  lastsMs: number,
  random: () => number,
  natsServers: number,
): ScheduledFault {
  const pick = Math.floor(random() * 1_000_000);
  switch (label) {
    case 'kill-leader':
    case 'kill-follower':
      return {
        kind: 'kill',
        role: label === 'kill-leader' ? 'leader' : 'follower',
        atMs,
        downMs: lastsMs,
        pick,
      };
    case 'stop-leader':
    case 'stop-follower':
      return {
        kind: 'stop',
        role: label === 'stop-leader' ? 'leader' : 'follower',
        atMs,
        frozenMs: lastsMs,
        pick,
      };
    case 'nats-restart':
      return { kind: 'nats-restart', server: pick % natsServers, atMs, downMs: lastsMs };
    case 'slow-fsync-leader':
    case 'slow-fsync-follower':
      return {
        kind: 'slow-fsync',
        role: label === 'slow-fsync-leader' ? 'leader' : 'follower',
        atMs,
        slowMs: lastsMs,
        fsyncDelayMs: Math.round(FSYNC_DELAY_MS_MIN + random() * (FSYNC_DELAY_MS_MAX - FSYNC_DELAY_MS_MIN)),
        pick,
      };
    case 'partition-leader':
    case 'partition-follower':
      return {
        kind: 'partition',
        role: label === 'partition-leader' ? 'leader' : 'follower',
        atMs,
        cutMs: lastsMs,
        pick,
      };
    case 'partition-nats':
      return { kind: 'partition-nats', server: pick % natsServers, atMs, cutMs: lastsMs };
    case 'drift-leader':
    case 'drift-follower':
      return {
        kind: 'drift',
        role: label === 'drift-leader' ? 'leader' : 'follower',
        atMs,
        driftMs: lastsMs,
        rate: DRIFT_RATES[pick % DRIFT_RATES.length] as number,
        pick,
      };
  }
}

/** How long the fault lasts before it is healed. */
export function faultLastsMs(fault: ScheduledFault): number {
  switch (fault.kind) {
    case 'stop':
      return fault.frozenMs;
    case 'slow-fsync':
      return fault.slowMs;
    case 'drift':
      return fault.driftMs;
    case 'partition':
    case 'partition-nats':
      return fault.cutMs;
    default:
      return fault.downMs;
  }
}

/** The schedule as text, one fault a line, for failure reports. */
export function describeSchedule(faults: readonly ScheduledFault[]): string {
  return faults
    .map((fault) => {
      const lasts = faultLastsMs(fault);
      const target =
        fault.kind === 'nats-restart' || fault.kind === 'partition-nats'
          ? ` server n${fault.server}`
          : fault.kind === 'slow-fsync'
            ? ` (${fault.fsyncDelayMs} ms per fsync)`
            : fault.kind === 'drift'
              ? ` (clock rate ${fault.rate})`
              : '';
      return `${fault.atMs} ms ${faultLabel(fault)}${target} for ${lasts} ms`;
    })
    .join('\n');
}
