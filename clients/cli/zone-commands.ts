/**
 * `raftns zone export | import`: whole zones as RFC 1035 master files.
 *
 *   raftns zone export ZONE [--region R] [--out FILE] [--mode M]
 *   raftns zone import ZONE FILE [--dry-run] [--regions a,b] [--region R]
 *
 * Export prints (or writes to FILE) the zone of one region's group as it stood at one
 * applied index, named in the file's first comment lines (clients/zone-import-export.ts).
 * Import parses FILE (RFC 1035 §5, RFC 3597 generic RDATA; `$INCLUDE` refused), checks the
 * zone (apex SOA and NS, names inside it, limits), and replaces the zone's content in every
 * region, atomically in each; `--dry-run` prints the difference against the zone as
 * `--region` holds it and changes nothing. Parsing and rendering run on a CPU pool thread
 * (runtime/cpu-pool.ts), so the event loop keeps serving NATS while a large file is read.
 *
 * Exit codes: 0 done (every region committed); 1 a region did not commit, or a transport
 * failure; 2 usage or a file that does not parse or is not a valid zone (nothing sent,
 * the error names file:line:column); 3 export of a zone the region does not hold.
 */

import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { ZoneFileResult } from '../../protocol/dns/master-file/zone-file.js';
import { withFinalDot } from '../../protocol/dns/wire/name.js';
import type { ReadModeText } from '../../protocol/read-mode.js';
import type { CpuPool } from '../../runtime/cpu-pool.js';
import type { RegionWriter } from '../region-writer.js';
import { registerCatalogCommand } from './catalog-command.js';
import { readModeArgument, usage } from './cli-arguments.js';
import { EXIT_FAILED, EXIT_NOT_FOUND, EXIT_USAGE } from './exit-codes.js';
import { registerNotifyCommand, registerTransferCommand } from './transfer-command.js';
import { registerZoneLifecycleCommands } from './zone-lifecycle-commands.js';

export interface GlobalOptions {
  readonly nats: string;
  readonly cluster: string;
  readonly region: string;
  readonly timeout: number;
  readonly json: boolean;
}

/** A parse or render of a 100k-record zone takes about a second; this bounds a stuck one. */
const ZONE_TASK_TIMEOUT_MS = 300_000;

async function openPool(): Promise<CpuPool> {
  const { CpuPool } = await import('../../runtime/cpu-pool.js');
  return new CpuPool({ maxThreads: 1, maxQueue: 2 });
}

export async function openWriter(
  globals: GlobalOptions,
  regions: readonly string[] | undefined,
): Promise<RegionWriter> {
  const { RegionWriter } = await import('../region-writer.js');
  return RegionWriter.open({
    natsUrls: globals.nats.split(',').map((url) => url.trim()),
    cluster: globals.cluster,
    deadlineMs: globals.timeout,
    ...(regions === undefined ? {} : { regions }),
  });
}

/** The zone as the plan names it, or undefined (after a usage message) when no group serves it as a zone. */
async function planZone(
  writer: RegionWriter,
  zone: string,
): Promise<{ zone: string; group: string } | undefined> {
  let route: ReturnType<RegionWriter['route']>;
  try {
    route = writer.route(zone);
  } catch (error) {
    usage((error as Error).message);
    return undefined;
  }
  if (route.zone.toLowerCase() !== withFinalDot(zone).toLowerCase()) {
    usage(
      `${withFinalDot(zone)} is not a zone of the cluster (it lies in ${route.zone}, served by group ${route.group.id})`,
    );
    return undefined;
  }
  return { zone: route.zone, group: route.group.id };
}

/** The global --region, unless left at its default: then the plan's first region. */
export function pickRegion(program: Command, writer: RegionWriter, region: string): string | undefined {
  const picked = program.getOptionValueSource('region') === 'default' ? writer.plan.regions[0] : region;
  if (picked === undefined || !writer.plan.regions.includes(picked)) {
    usage(`${picked} is not a region of the plan (${writer.plan.regions.join(', ')})`);
    return undefined;
  }
  return picked;
}

export function registerZoneCommands(program: Command): void {
  const globals = () => program.opts<GlobalOptions>();
  const zone = program
    .command('zone')
    .description(
      'zones of the cluster (create, delete, list); whole zones as RFC 1035 master files; who may transfer them (allow-transfer); catalog zones',
    );
  registerZoneLifecycleCommands(program, zone);
  registerTransferCommand(program, zone);
  registerNotifyCommand(program, zone);
  registerCatalogCommand(program, zone);

  zone
    .command('export <zone>')
    .description("the zone as one region's group holds it at one applied index, as a master file")
    .option('--out <file>', 'write the file here instead of printing it')
    .option('--mode <mode>', 'linearizable, lease or bounded:<ms>', readModeArgument, 'linearizable')
    .action(async (zoneName: string, options: { out?: string; mode: ReadModeText }) => {
      const g = globals();
      const writer = await openWriter(g, undefined);
      try {
        const target = await planZone(writer, zoneName);
        if (target === undefined) return;
        const region = pickRegion(program, writer, g.region);
        if (region === undefined) return;
        const { readZone } = await import('../zone-import-export.js');
        const client = await writer.client(region, target.group);
        const snapshot = await readZone(client, target.zone, { mode: options.mode, deadlineMs: g.timeout });
        if (snapshot === null) {
          process.stderr.write(`raftns: zone ${target.zone}: not found in ${region}\n`);
          process.exitCode = EXIT_NOT_FOUND;
          return;
        }
        const pool = await openPool();
        let text: string;
        try {
          text = await pool.run(
            {
              kind: 'render-zone-file',
              zone: snapshot.zone,
              rrsets: snapshot.rrsets,
              comments: [
                `zone ${snapshot.zone} of cluster ${g.cluster}, region ${region}, group ${target.group}`,
                `read at applied index ${snapshot.appliedIndex}, serial ${snapshot.serial}, ${snapshot.rrsets.length} RRsets`,
              ],
            },
            { timeoutMs: ZONE_TASK_TIMEOUT_MS },
          );
        } finally {
          await pool.close();
        }
        if (options.out === undefined) process.stdout.write(text);
        else {
          await writeFile(options.out, text);
          process.stderr.write(
            `raftns: ${snapshot.zone}: ${snapshot.rrsets.length} RRsets at applied index ${snapshot.appliedIndex} written to ${options.out}\n`,
          );
        }
      } finally {
        await writer.close();
      }
    });

  zone
    .command('import <zone> <file>')
    .description("replace the zone's content with the master file's, atomically, in every region")
    .option('--dry-run', 'print the difference against --region and change nothing', false)
    .option('--regions <list>', 'only these regions, comma-separated (default: all in the plan)')
    .action(async (zoneName: string, file: string, options: { dryRun: boolean; regions?: string }) => {
      const g = globals();
      const apex = withFinalDot(zoneName);
      let bytes: Buffer;
      try {
        bytes = await readFile(file);
      } catch (error) {
        return usage(`cannot read ${file}: ${(error as Error).message}`);
      }
      const { parseName } = await import('../../protocol/dns/wire/name.js');
      const checked = parseName(apex);
      if (!checked.ok) return usage(`zone ${zoneName}: ${checked.error.message}`);
      const pool = await openPool();
      let parsed: ZoneFileResult;
      try {
        const buffer = bytes.buffer.slice(
          bytes.byteOffset,
          bytes.byteOffset + bytes.byteLength,
        ) as ArrayBuffer;
        parsed = await pool.run(
          { kind: 'parse-zone-file', bytes: buffer, file, zone: apex },
          { timeoutMs: ZONE_TASK_TIMEOUT_MS, transfer: [buffer] },
        );
      } finally {
        await pool.close();
      }
      if (!parsed.ok) {
        // The file is the input at fault: its error, as file:line:column, and nothing sent.
        process.stderr.write(`raftns: ${parsed.text}\n`);
        process.exitCode = EXIT_USAGE;
        return;
      }
      const regions =
        options.regions === undefined
          ? undefined
          : options.regions
              .split(',')
              .map((r) => r.trim())
              .filter((r) => r.length > 0);
      const writer = await openWriter(g, regions);
      try {
        const target = await planZone(writer, apex);
        if (target === undefined) return;
        const transfer = await import('../zone-import-export.js');
        if (options.dryRun) {
          const region = pickRegion(program, writer, g.region);
          if (region === undefined) return;
          const { Name } = await import('../../protocol/dns/wire/name.js');
          const { diffZoneContent, zoneDiffText } = await import('../../protocol/dns/zone-content.js');
          const current = await transfer.readZone(await writer.client(region, target.group), target.zone, {
            deadlineMs: g.timeout,
          });
          const diff = diffZoneContent(Name.parse(target.zone), current?.rrsets ?? [], parsed.rrsets);
          const where =
            current === null
              ? `${region} holds no zone ${target.zone}: the import creates it`
              : `against ${region} at applied index ${current.appliedIndex}, serial ${current.serial}`;
          if (g.json)
            process.stdout.write(
              `${JSON.stringify({ region, dryRun: true, created: current === null, ...diff })}\n`,
            );
          else process.stdout.write(`; dry run ${where}\n${zoneDiffText(diff)}`);
          return;
        }
        const report = await transfer.importZone(writer, target.zone, parsed.rrsets, {
          deadlineMs: g.timeout,
        });
        if (g.json) process.stdout.write(`${JSON.stringify({ records: parsed.records, ...report })}\n`);
        else
          for (const o of report.regions)
            process.stdout.write(
              `${o.region}: ${
                o.status === 'applied'
                  ? `applied ${parsed.rrsets.length} RRsets (${parsed.records} records, ${report.chunks} chunks), serial ${o.serial ?? '?'}`
                  : o.status === 'rejected'
                    ? `rejected: ${o.message}`
                    : `unreachable${o.maybeApplied ? ' (may have applied)' : ''}: ${o.message}`
              }\n`,
            );
        if (!report.complete) {
          process.stderr.write(
            `raftns: not committed in ${report.regions
              .filter((o) => o.status !== 'applied')
              .map((o) => o.region)
              .join(', ')}\n`,
          );
          process.exitCode = EXIT_FAILED;
        }
      } finally {
        await writer.close();
      }
    });
}
