/**
 * `raftns backup | restore`: a consistent, checksummed copy of every zone of every group,
 * and a cluster (or one zone) rebuilt from it (clients/backup/).
 *
 *   raftns backup --out DIR [--zone Z] [--region R]
 *   raftns restore DIR [--zone Z] [--dry-run] [--regions a,b] [--region R]
 *
 * Backup reads one region (the plan's first unless --region): regions receive the same
 * writes, so one holds the data. Restore checks the whole backup first and writes nothing
 * if any check fails; then it replaces each zone's content in every region (or --regions).
 *
 * Exit codes: 0 done; 1 a region did not commit, a group kept changing, or a transport
 * failure; 2 usage, a backup that is incomplete or corrupt (the file and byte offset are
 * named), a zone the target does not serve, or a directory that already holds a backup.
 */
import type { Command } from 'commander';
import { withFinalDot } from '../../protocol/dns/wire/name.js';
import { usage } from './cli-arguments.js';
import { EXIT_FAILED, EXIT_USAGE } from './exit-codes.js';
import { type GlobalOptions, openWriter, pickRegion } from './zone-commands.js';

function regionList(text: string | undefined): readonly string[] | undefined {
  if (text === undefined) return undefined;
  return text
    .split(',')
    .map((r) => r.trim())
    .filter((r) => r.length > 0);
}

export function registerBackupCommands(program: Command): void {
  const globals = () => program.opts<GlobalOptions>();

  program
    .command('backup')
    .description(
      'write every zone of every group, each group at one applied index, into a checksummed directory',
    )
    .requiredOption('--out <dir>', 'the backup directory (created; must not hold a backup)')
    .option('--zone <zone>', 'only this zone')
    .action(async (options: { out: string; zone?: string }) => {
      const g = globals();
      const writer = await openWriter(g, undefined);
      try {
        const region = pickRegion(program, writer, g.region);
        if (region === undefined) return;
        const backup = await import('../backup/take-backup.js');
        if (options.zone !== undefined) {
          let served: string;
          try {
            served = writer.route(options.zone).zone;
          } catch (error) {
            return usage((error as Error).message);
          }
          if (served.toLowerCase() !== withFinalDot(options.zone).toLowerCase())
            return usage(`${withFinalDot(options.zone)} is not a zone of the cluster (it lies in ${served})`);
        }
        let summary: Awaited<ReturnType<typeof backup.takeBackup>>;
        try {
          summary = await backup.takeBackup(writer, options.out, {
            region,
            createdAt: new Date(),
            deadlineMs: g.timeout,
            ...(options.zone === undefined ? {} : { zone: options.zone }),
          });
        } catch (error) {
          if (error instanceof backup.BackupExistsError) return usage(error.message);
          if (error instanceof backup.GroupChangingError) {
            process.stderr.write(`raftns: ${error.message}\n`);
            process.exitCode = EXIT_FAILED;
            return;
          }
          throw error;
        }
        const { manifest } = summary;
        const zones = manifest.groups.flatMap((group) => group.zones.map((zone) => ({ group, zone })));
        if (g.json) {
          process.stdout.write(
            `${JSON.stringify({
              dir: options.out,
              region,
              bytes: summary.bytes,
              groups: manifest.groups.map((group) => ({
                group: group.group,
                appliedIndex: group.appliedIndex,
                zones: group.zones.map(({ blockSha256: _, ...zone }) => zone),
              })),
            })}\n`,
          );
          return;
        }
        for (const group of manifest.groups)
          if (group.zones.length === 0) process.stdout.write(`${group.group}: no zone\n`);
        for (const { group, zone } of zones)
          process.stdout.write(
            `${group.group} ${zone.zone}: applied index ${group.appliedIndex}, serial ${zone.serial}, ${zone.rrsets} RRsets, ${zone.records} records, ${zone.bytes} bytes in ${zone.file}\n`,
          );
        process.stdout.write(
          `backup of ${manifest.cluster} region ${region}: ${manifest.groups.length} groups, ${zones.length} zones, ${zones.reduce((n, z) => n + z.zone.records, 0)} records, ${summary.bytes} bytes in ${options.out}\n`,
        );
      } finally {
        await writer.close();
      }
    });

  program
    .command('restore <dir>')
    .description("check a backup whole, then replace each zone's content with it in every region")
    .option('--zone <zone>', 'only this zone of the backup')
    .option('--dry-run', 'check the backup, print the difference against --region, change nothing', false)
    .option('--regions <list>', 'only these regions, comma-separated (default: all in the plan)')
    .action(async (dir: string, options: { zone?: string; dryRun: boolean; regions?: string }) => {
      const g = globals();
      const restore = await import('../backup/restore-backup.js');
      let verified: Awaited<ReturnType<typeof restore.verifyBackup>>;
      try {
        verified = await restore.verifyBackup(dir, options.zone);
      } catch (error) {
        if (!(error instanceof restore.BackupRefusedError)) throw error;
        process.stderr.write(`raftns: backup refused, nothing written: ${dir}/${error.message}\n`);
        process.exitCode = EXIT_USAGE;
        return;
      }
      const writer = await openWriter(g, regionList(options.regions));
      try {
        try {
          restore.checkTargets(writer, verified);
        } catch (error) {
          if (!(error instanceof restore.BackupRefusedError)) throw error;
          process.stderr.write(`raftns: backup refused, nothing written: ${dir}/${error.message}\n`);
          process.exitCode = EXIT_USAGE;
          return;
        }
        if (options.dryRun) {
          const region = pickRegion(program, writer, g.region);
          if (region === undefined) return;
          const { readZone } = await import('../zone-import-export.js');
          const { diffZoneContent, zoneDiffText } = await import('../../protocol/dns/zone-content.js');
          const { Name } = await import('../../protocol/dns/wire/name.js');
          for (const zone of verified.zones) {
            const target = writer.route(zone.entry.zone);
            const current = await readZone(await writer.client(region, target.group.id), target.zone, {
              deadlineMs: g.timeout,
            });
            const diff = diffZoneContent(Name.parse(target.zone), current?.rrsets ?? [], zone.rrsets);
            if (g.json)
              process.stdout.write(
                `${JSON.stringify({ zone: target.zone, region, dryRun: true, created: current === null, ...diff })}\n`,
              );
            else
              process.stdout.write(
                `; dry run of ${target.zone} ${current === null ? `(${region} holds no such zone: the restore creates it)` : `against ${region} at applied index ${current.appliedIndex}`}\n${zoneDiffText(diff)}`,
              );
          }
          return;
        }
        const reports = await restore.restoreBackup(writer, verified, { deadlineMs: g.timeout });
        const missing: string[] = [];
        for (const [i, report] of reports.entries()) {
          const zone = verified.zones[i];
          if (zone === undefined) continue;
          for (const o of report.regions) {
            if (o.status !== 'applied') missing.push(`${report.zone} in ${o.region}`);
            if (g.json) continue;
            process.stdout.write(
              `${o.region} ${report.zone}: ${
                o.status === 'applied'
                  ? `restored ${zone.entry.rrsets} RRsets (${zone.entry.records} records) from applied index ${zone.appliedIndex}, serial ${o.serial ?? '?'}`
                  : o.status === 'rejected'
                    ? `rejected: ${o.message}`
                    : `unreachable${o.maybeApplied ? ' (may have applied)' : ''}: ${o.message}`
              }\n`,
            );
          }
        }
        if (g.json)
          process.stdout.write(`${JSON.stringify({ zones: reports, complete: missing.length === 0 })}\n`);
        if (missing.length > 0) {
          process.stderr.write(`raftns: not restored: ${missing.join(', ')} (run the restore again)\n`);
          process.exitCode = EXIT_FAILED;
        }
      } finally {
        await writer.close();
      }
    });
}
