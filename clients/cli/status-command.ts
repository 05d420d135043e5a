/**
 * `raftns cluster-status`: every replica of every group in every region, from the plan and
 * the slot claims in NATS KV (gathered by clients/cluster-status.ts), with what each replica
 * says of itself: role, term, leader, applied index, and its lag behind its group's leader (the
 * difference of applied indexes). `status --replicas` (program.ts) stays the one-group view.
 * Below it, when any leader compares its zones with other regions (anti-entropy), one line
 * per zone and other region: whether they agree, and since when they are what they are.
 *
 *   raftns cluster-status [--regions a,b] [--json]
 *
 * Exit 0 when every claimed replica answered and every group has a leader, 1 otherwise.
 */
import type { Command } from 'commander';
import { silentLogger } from '../../runtime/log.js';
import type { GroupRow } from '../cluster-status.js';
import { EXIT_FAILED } from './exit-codes.js';
import { natsConnectOptions } from './nats-options.js';

interface GlobalOptions {
  readonly nats: string;
  readonly cluster: string;
  readonly timeout: number;
  readonly json: boolean;
}

export function table(groups: readonly GroupRow[]): string {
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
  const sections = [columns(header, rows)];
  const agreement = groups.flatMap((g) =>
    g.agreement.map((a) => [
      g.region,
      g.group,
      a.zone,
      a.region,
      a.state,
      new Date(a.sinceMs).toISOString(),
      String(a.repaired),
      a.tombstones === undefined ? '-' : String(a.tombstones),
      String(a.collected ?? 0),
    ]),
  );
  if (agreement.length > 0)
    sections.push(
      columns(
        [
          'region',
          'group',
          'zone',
          'other-region',
          'regions',
          'since',
          'repaired',
          'tombstones',
          'collected',
        ],
        agreement,
      ),
    );
  return sections.join('\n\n');
}

function columns(header: readonly string[], rows: readonly (readonly string[])[]): string {
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
    ...natsConnectOptions(g),
    name: 'raftns-cli',
    log: silentLogger,
  });
  try {
    const { clusterStatus } = await import('../cluster-status.js');
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
