/**
 * `raftns write | delete | get`: DNS records in every region (clients/region-writer.ts); the
 * key-value commands of one group live under `raftns kv`.
 *
 *   raftns write NAME TYPE TTL RDATA...  [--regions a,b]   upsert the RRset NAME/TYPE
 *   raftns delete NAME [TYPE]            [--regions a,b]   the RRset, or the whole name
 *   raftns get NAME [TYPE] [--region R] [--mode M]         RRsets with their versions
 *
 * with the global `--nats`, `--cluster`, `--timeout` (the whole write, every region and
 * retry included) and `--json`. A write prints one line per region (`us-east: applied,
 * serial 42`); exit 0 only if every region committed, 1 naming the regions that did not,
 * 2 for usage errors (checked with the store's validateBatchSyntax before anything is
 * sent), 3 when `get` finds nothing.
 */

import type { DnsChange } from '../../protocol/dns/changes.js';
import { versionToText } from '../../protocol/dns/version.js';
import { withFinalDot } from '../../protocol/dns/wire/name.js';
import { TTL_SECONDS_MAX } from '../../protocol/limits.js';
import type { ReadModeText } from '../../protocol/read-mode.js';
import type { RecordReader } from '../record-reader.js';
import type { RegionWriter, WriteReport, WriterChange } from '../region-writer.js';
import { readModeArgument, usage } from './cli-arguments.js';
import { type Command, InvalidArgumentError } from './commander.js';
import { EXIT_FAILED, EXIT_NOT_FOUND } from './exit-codes.js';
import { raftClientNatsOptions } from './nats-options.js';

interface GlobalOptions {
  readonly nats: string;
  readonly cluster: string;
  readonly region: string;
  readonly timeout: number;
  readonly json: boolean;
}

interface WriteOptions {
  readonly regions?: string;
}

function regionList(value: string): string[] {
  const regions = value
    .split(',')
    .map((r) => r.trim())
    .filter((r) => r.length > 0);
  if (regions.length === 0) throw new InvalidArgumentError('expected region names, comma-separated');
  return regions;
}

/**
 * The store's syntax check before the plan is even read: the change as it would be sent
 * in the root zone (every name is in it), with a placeholder version. The check (the DNS
 * presentation parsers) loads here: `raftns get` needs none of it.
 */
async function syntaxProblem(change: WriterChange): Promise<string | undefined> {
  const { validateBatchSyntax } = await import('../../protocol/dns/changes.js');
  const version = { hlcMs: 1, counter: 0, writer: 'check' };
  let dns: DnsChange;
  switch (change.op) {
    case 'upsert':
    case 'delete-rrset':
    case 'delete-name':
      dns = { ...change, zone: '.', name: withFinalDot(change.name), version };
      break;
    default:
      return undefined;
  }
  const result = validateBatchSyntax({ changes: [dns] });
  return result.ok ? undefined : result.error.message;
}

async function openWriter(
  globals: GlobalOptions,
  regions: readonly string[] | undefined,
): Promise<RegionWriter> {
  // The writer (NATS, zod) loads here rather than at start-up: `raftns --help` needs none of it.
  const { RegionWriter } = await import('../region-writer.js');
  return RegionWriter.open({
    ...raftClientNatsOptions(globals),
    cluster: globals.cluster,
    deadlineMs: globals.timeout,
    ...(regions === undefined ? {} : { regions }),
  });
}

async function isInvalidBatch(error: unknown): Promise<boolean> {
  const { InvalidBatchError } = await import('../invalid-batch-error.js');
  return error instanceof InvalidBatchError;
}

function reportLine(outcome: WriteReport['regions'][number]): string {
  switch (outcome.status) {
    case 'applied': {
      const superseded = outcome.outcomes.filter((o) => o === 'superseded').length;
      return `${outcome.region}: applied, serial ${outcome.serial ?? '?'}${superseded > 0 ? ` (${superseded} change(s) superseded by newer versions)` : ''}`;
    }
    case 'rejected':
      return `${outcome.region}: rejected (${outcome.error.code}): ${outcome.error.message}`;
    default:
      return `${outcome.region}: unreachable${outcome.maybeApplied ? ' (may have applied)' : ''}: ${outcome.error.message}`;
  }
}

function reportJson(report: WriteReport): unknown {
  return {
    group: report.group,
    zone: report.zone,
    complete: report.complete,
    missing: report.missing,
    changes: report.batch.changes,
    regions: report.regions.map((o) =>
      o.status === 'unreachable'
        ? { region: o.region, status: o.status, maybeApplied: o.maybeApplied, error: o.error.message }
        : o,
    ),
  };
}

async function writeAndReport(
  globals: GlobalOptions,
  options: WriteOptions,
  change: WriterChange,
): Promise<void> {
  const problem = await syntaxProblem(change);
  if (problem !== undefined) return usage(problem);
  const regions = options.regions === undefined ? undefined : regionList(options.regions);
  const writer = await openWriter(globals, regions);
  try {
    let report: WriteReport;
    try {
      report = await writer.write([change]);
    } catch (error) {
      if (await isInvalidBatch(error)) return usage((error as Error).message);
      throw error;
    }
    process.stdout.write(
      `${globals.json ? JSON.stringify(reportJson(report)) : report.regions.map(reportLine).join('\n')}\n`,
    );
    if (!report.complete) {
      process.stderr.write(
        `raftns: not committed in ${report.missing.join(', ')} (committed in ${
          report.regions
            .filter((o) => o.status === 'applied')
            .map((o) => o.region)
            .join(', ') || 'no region'
        })\n`,
      );
      process.exitCode = EXIT_FAILED;
    }
  } finally {
    await writer.close();
  }
}

/** Adds `write`, `delete` and `get` (DNS records in every region) to the program. */
export function registerRecordCommands(program: Command): void {
  const globals = () => program.opts<GlobalOptions>();

  program
    .command('write <name> <type> <ttl> <rdata...>')
    .description('set the RRset NAME/TYPE to exactly these records, in every region')
    .option('--regions <list>', 'only these regions, comma-separated (default: all in the plan)')
    .action(async (name: string, type: string, ttlText: string, rdata: string[], options: WriteOptions) => {
      const ttl = Number(ttlText);
      if (!/^[0-9]+$/.test(ttlText) || !Number.isSafeInteger(ttl) || ttl > TTL_SECONDS_MAX)
        return usage(`TTL "${ttlText}" is not an integer in 0..=${TTL_SECONDS_MAX}`);
      await writeAndReport(globals(), options, { op: 'upsert', name, type: type.toUpperCase(), ttl, rdata });
    });

  program
    .command('delete <name> [type]')
    .description('delete the RRset NAME/TYPE, or every RRset at NAME, in every region')
    .option('--regions <list>', 'only these regions, comma-separated (default: all in the plan)')
    .action(async (name: string, type: string | undefined, options: WriteOptions) => {
      await writeAndReport(
        globals(),
        options,
        type === undefined
          ? { op: 'delete-name', name }
          : { op: 'delete-rrset', name, type: type.toUpperCase() },
      );
    });

  program
    .command('get <name> [type]')
    .description("the RRsets at NAME (of TYPE) with their versions, as one region's group holds them")
    .option('--mode <mode>', 'linearizable, lease or bounded:<ms>', readModeArgument, 'linearizable')
    .action(async (name: string, type: string | undefined, options: { mode: ReadModeText }) => {
      const g = globals();
      // A one-shot read: no writer (no clock, no watches), only what the read needs.
      const { RecordReader } = await import('../record-reader.js');
      const reader = await RecordReader.open({
        ...raftClientNatsOptions(g),
        cluster: g.cluster,
        deadlineMs: g.timeout,
      });
      try {
        // The global --region, unless left at its default: then the plan's first region.
        const region =
          program.getOptionValueSource('region') === 'default' ? reader.plan.regions[0] : g.region;
        if (region === undefined || !reader.plan.regions.includes(region))
          return usage(`${region} is not a region of the plan (${reader.plan.regions.join(', ')})`);
        let view: Awaited<ReturnType<RecordReader['rrsets']>>;
        try {
          view = await reader.rrsets(region, name, options.mode);
        } catch (error) {
          if (await isInvalidBatch(error)) return usage((error as Error).message);
          throw error;
        }
        const wanted = type?.toUpperCase();
        const rrsets = (view?.rrsets ?? []).filter((s) => wanted === undefined || s.type === wanted);
        if (view === null || rrsets.length === 0) {
          process.stderr.write(
            `raftns: ${withFinalDot(name)}${wanted === undefined ? '' : ` ${wanted}`}: not found in ${region}${view === null ? ' (no such zone)' : ''}\n`,
          );
          process.exitCode = EXIT_NOT_FOUND;
          return;
        }
        const text = rrsets
          .flatMap((s) =>
            s.rdata.map((r) => `${s.name}\t${s.ttl}\t${s.type}\t${r}\t${versionToText(s.version)}`),
          )
          .join('\n');
        process.stdout.write(`${g.json ? JSON.stringify({ region, ...view, rrsets }) : text}\n`);
      } finally {
        await reader.close();
      }
    });
}
