/**
 * `raftns cluster-status`: every replica of every group in every region, from the plan and
 * the slot claims in NATS KV (clients/plan-reader.ts), with what each replica says of
 * itself: role, term, leader, applied index, and its lag behind its group's leader (the
 * difference of applied indexes). `status --replicas` (program.ts) stays the one-group view.
 *
 *   raftns cluster-status [--regions a,b] [--json]
 *
 * Exit 0 when every claimed replica answered and every group has a leader, 1 otherwise.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { Command } from 'commander';
import { silentLogger } from '../../runtime/log.js';
import { EXIT_FAILED } from './exit-codes.js';

const STATUS_DEADLINE_MS_MAX = 2_000;

interface GlobalOptions {
  readonly nats: string;
  readonly cluster: string;
  readonly timeout: number;
  readonly json: boolean;
}

export interface ReplicaRow {
  readonly region: string;
  readonly group: string;
  readonly index: number;
  readonly replica: string;
  readonly reachable: boolean;
  readonly role: string | null;
  readonly term: number | null;
  readonly leader: string | null;
  readonly commitIndex: number | null;
  readonly appliedIndex: number | null;
  /** The group leader's applied index minus this replica's (null: unknown). */
  readonly lag: number | null;
  readonly error: string | null;
}

export interface GroupRow {
  readonly region: string;
  readonly group: string;
  readonly zone: string;
  /** The leader of the highest term any replica reported; null if none. */
  readonly leader: string | null;
  readonly replicas: readonly ReplicaRow[];
}

/** Every group of the plan in `regions`, its claimed replicas queried at once. */
export async function clusterStatus(
  nc: NatsConnection,
  cluster: string,
  options: { readonly regions?: readonly string[]; readonly deadlineMs: number },
): Promise<GroupRow[]> {
  const { readPlan, readSlots } = await import('../plan-reader.js');
  const { RaftClient } = await import('../raft-client.js');
  const plan = await readPlan(nc, cluster);
  const regions = options.regions ?? plan.regions;
  const unknown = regions.filter((r) => !plan.regions.includes(r));
  if (unknown.length > 0) throw new RangeError(`not regions of the plan: ${unknown.join(', ')}`);
  const claims = await readSlots(nc, cluster);
  const deadlineMs = Math.min(options.deadlineMs, STATUS_DEADLINE_MS_MAX);
  const groups = regions.flatMap((region) => plan.groups.map((group) => ({ region, group })));
  return Promise.all(
    groups.map(async ({ region, group }) => {
      const slots = claims.filter((c) => c.region === region && c.group === group.id);
      const client = await RaftClient.connect({ nc, cluster, region, group: group.id, deadlineMs });
      try {
        const answers = await Promise.all(
          slots.map(async (slot) => {
            try {
              return { slot, status: await client.status(slot.instanceId, { deadlineMs }), error: null };
            } catch (error) {
              return { slot, status: null, error: error instanceof Error ? error.message : String(error) };
            }
          }),
        );
        const maxTerm = Math.max(0, ...answers.map((a) => a.status?.term ?? 0));
        const leaderStatus = answers.find(
          (a) => a.status?.role === 'leader' && a.status.term === maxTerm,
        )?.status;
        const replicas = answers.map(
          ({ slot, status, error }): ReplicaRow => ({
            region,
            group: group.id,
            index: slot.index,
            replica: slot.instanceId,
            reachable: status !== null,
            role: status?.role ?? null,
            term: status?.term ?? null,
            leader: status?.leaderId ?? null,
            commitIndex: status?.commitIndex ?? null,
            appliedIndex: status?.appliedIndex ?? null,
            lag:
              status === null || leaderStatus === undefined || leaderStatus === null
                ? null
                : Math.max(0, leaderStatus.appliedIndex - status.appliedIndex),
            error,
          }),
        );
        return { region, group: group.id, zone: group.zone, leader: leaderStatus?.replica ?? null, replicas };
      } finally {
        await client.close();
      }
    }),
  );
}

function table(groups: readonly GroupRow[]): string {
  const header = ['region', 'group', 'zone', 'replica', 'role', 'term', 'leader', 'commit', 'applied', 'lag'];
  const rows: string[][] = [];
  for (const g of groups) {
    if (g.replicas.length === 0)
      rows.push([g.region, g.group, g.zone, '-', 'no replicas claimed', '', '', '', '', '']);
    for (const r of g.replicas) {
      rows.push(
        r.reachable
          ? [
              r.region,
              r.group,
              g.zone,
              r.replica,
              r.role ?? '-',
              String(r.term ?? '-'),
              r.leader ?? '-',
              String(r.commitIndex ?? '-'),
              String(r.appliedIndex ?? '-'),
              String(r.lag ?? '-'),
            ]
          : [
              r.region,
              r.group,
              g.zone,
              r.replica,
              'unreachable',
              '',
              '',
              '',
              '',
              `(${r.error ?? 'no answer'})`,
            ],
      );
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** Adds `cluster-status` to the program (`status` without `--replicas` runs it too). */
export function registerStatusCommand(program: Command): void {
  program
    .command('cluster-status')
    .description('every replica of every group in every region: role, term, leader, applied index, lag')
    .option('--regions <list>', 'only these regions, comma-separated (default: all in the plan)')
    .action((options: { regions?: string }) => runClusterStatus(program, options));
}

/** The cluster-wide status table (or JSON), exit 1 when a replica is unreachable or a group leaderless. */
export async function runClusterStatus(
  program: Command,
  options: { readonly regions?: string },
): Promise<void> {
  const g = program.opts<GlobalOptions>();
  const regions = options.regions
    ?.split(',')
    .map((r) => r.trim())
    .filter((r) => r.length > 0);
  const { connectNats } = await import('../../runtime/nats/nats-connection.js');
  const nc = await connectNats({
    urls: g.nats.split(',').map((url) => url.trim()),
    name: 'raftns-cli',
    log: silentLogger,
  });
  try {
    const groups = await clusterStatus(nc, g.cluster, {
      deadlineMs: g.timeout,
      ...(regions === undefined ? {} : { regions }),
    });
    process.stdout.write(`${g.json ? JSON.stringify(groups) : table(groups)}\n`);
    const unhealthy = groups.filter((x) => x.leader === null || x.replicas.some((r) => !r.reachable));
    if (unhealthy.length > 0) {
      process.stderr.write(
        `raftns: unhealthy: ${unhealthy
          .map(
            (x) =>
              `${x.region}/${x.group}${x.leader === null ? ' (no leader)' : ''}${x.replicas
                .filter((r) => !r.reachable)
                .map((r) => ` ${r.replica} unreachable`)
                .join(',')}`,
          )
          .join('; ')}\n`,
      );
      process.exitCode = EXIT_FAILED;
    }
  } finally {
    await nc.close();
  }
}
