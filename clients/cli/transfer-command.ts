/**
 * A zone's transfer settings, stored with the cluster (bootstrap/transfer-acl-store.ts) and
 * applied by every replica within a second: `raftns zone allow-transfer` (who may transfer
 * a zone by AXFR/IXFR) and `raftns zone notify` (which secondaries hear of every change).
 *
 *   raftns zone allow-transfer ZONE --key NAME [--key ...] [--from CIDR ...]
 *   raftns zone allow-transfer ZONE --remove [--key NAME ...] [--from CIDR ...]
 *   raftns zone allow-transfer --list            (every zone's rule; ZONE narrows it)
 *
 * A transfer is allowed when its request is signed with a listed key (a key of
 * `raftns tsig add`) or comes from an address in a listed prefix. A zone with no rule
 * refuses every transfer (REFUSED).
 *
 *   raftns zone notify ZONE add ADDR[:PORT] [--key NAME]   (port 53 when absent; [v6]:port)
 *   raftns zone notify ZONE remove ADDR[:PORT]
 *   raftns zone notify ZONE list
 *
 * The leader of the zone's group in each region sends NOTIFY (RFC 1996) to every listed
 * secondary after every committed change, signed with the key when one is given.
 */

import { notifyTargetId, parseNotifyAddress, type TransferRule } from '../../protocol/dns/transfer-acl.js';
import { withFinalDot } from '../../protocol/dns/wire/name.js';
import { silentLogger } from '../../runtime/log.js';
import { type Command, InvalidArgumentError } from './commander.js';
import { EXIT_USAGE } from './exit-codes.js';
import { natsConnectOptions } from './nats-options.js';

interface AllowOptions {
  readonly key?: readonly string[];
  readonly from?: readonly string[];
  readonly remove?: boolean;
  readonly list?: boolean;
}

const collect = (value: string, previous: readonly string[] | undefined): string[] => [
  ...(previous ?? []),
  value,
];

async function withStore<T>(
  program: Command,
  use: (store: import('../../bootstrap/transfer-acl-store.js').TransferAclStore) => Promise<T>,
): Promise<T> {
  const globals = program.opts<{ nats: string; cluster: string }>();
  const [{ connectNats }, { TransferAclStore }] = await Promise.all([
    import('../../runtime/nats/nats-connection.js'),
    import('../../bootstrap/transfer-acl-store.js'),
  ]);
  const nc = await connectNats({
    ...natsConnectOptions(globals),
    name: 'raftns-cli/transfer',
    log: silentLogger,
  });
  try {
    return await use(await TransferAclStore.open(nc, globals.cluster));
  } finally {
    await nc.close();
  }
}

function ruleLine(rule: { zone: string; keys: readonly string[]; prefixes: readonly string[] }): string {
  const keys = rule.keys.map((k) => `key=${k}`);
  const prefixes = rule.prefixes.map((p) => `from=${p}`);
  return `${rule.zone}\t${[...keys, ...prefixes].join(' ') || '(none: refused)'}\n`;
}

function notifyLines(rule: TransferRule): string {
  return (rule.notify ?? [])
    .map(
      (t) =>
        `${rule.zone}\t${notifyTargetId(t.address, t.port)}${t.key === undefined ? '' : ` key=${t.key}`}\n`,
    )
    .join('');
}

/** Adds `allow-transfer` to the `zone` command (zone-commands.ts). */
export function registerTransferCommand(program: Command, zone: Command): void {
  zone
    .command('allow-transfer [zone]')
    .description('who may transfer a zone by AXFR/IXFR: TSIG keys and source prefixes (default: nobody)')
    .option(
      '--key <name>',
      'a TSIG key (raftns tsig add) whose signed requests may transfer (repeatable)',
      collect,
    )
    .option('--from <cidr>', 'a source prefix such as 192.0.2.0/24 or 2001:db8::/32 (repeatable)', collect)
    .option('--remove', 'remove the given keys and prefixes instead of adding them')
    .option('--list', "print the rules (every zone's, or ZONE's)")
    .action(async (zoneName: string | undefined, options: AllowOptions) => {
      const { parsePrefix } = await import('../../protocol/dns/transfer-acl.js');
      const json = program.opts<{ json: boolean }>().json;
      if (options.list) {
        const rules = await withStore(program, (store) => store.list());
        const shown =
          zoneName === undefined
            ? rules
            : rules.filter((r) => r.zone === withFinalDot(zoneName).toLowerCase());
        process.stdout.write(json ? `${JSON.stringify(shown)}\n` : shown.map(ruleLine).join(''));
        return;
      }
      if (zoneName === undefined) throw new InvalidArgumentError('give a zone (or --list)');
      const keys = (options.key ?? []).map(withFinalDot);
      const prefixes = options.from ?? [];
      for (const prefix of prefixes)
        if (parsePrefix(prefix) === undefined)
          throw new InvalidArgumentError(`--from ${prefix}: not an address prefix`);
      if (keys.length === 0 && prefixes.length === 0) {
        process.stderr.write('raftns: zone allow-transfer: give --key and/or --from (or --list)\n');
        process.exitCode = EXIT_USAGE;
        return;
      }
      const edit = { keys, prefixes };
      try {
        const rule = await withStore(program, (store) =>
          options.remove ? store.remove(zoneName, edit) : store.allow(zoneName, edit),
        );
        process.stdout.write(json ? `${JSON.stringify(rule)}\n` : ruleLine(rule));
      } catch (error) {
        if (!(error instanceof RangeError)) throw error;
        process.stderr.write(`raftns: zone allow-transfer: ${error.message}\n`);
        process.exitCode = EXIT_USAGE;
      }
    });
}

/** Adds `notify` to the `zone` command (zone-commands.ts). */
export function registerNotifyCommand(program: Command, zone: Command): void {
  zone
    .command('notify <zone> <action> [address]')
    .description(
      'secondaries told of every change of a zone (RFC 1996 NOTIFY): add ADDR[:PORT], remove ADDR[:PORT], list',
    )
    .option('--key <name>', 'sign the NOTIFYs with this TSIG key (raftns tsig add), with add')
    .action(
      async (zoneName: string, action: string, address: string | undefined, options: { key?: string }) => {
        const json = program.opts<{ json: boolean }>().json;
        const show = (rule: TransferRule | undefined) => {
          const empty: TransferRule = { zone: withFinalDot(zoneName).toLowerCase(), keys: [], prefixes: [] };
          const shown = rule ?? empty;
          process.stdout.write(json ? `${JSON.stringify(shown.notify ?? [])}\n` : notifyLines(shown));
        };
        if (action === 'list') {
          const rules = await withStore(program, (store) => store.list());
          show(rules.find((r) => r.zone === withFinalDot(zoneName).toLowerCase()));
          return;
        }
        if (action !== 'add' && action !== 'remove')
          throw new InvalidArgumentError(`action "${action}": expected add, remove or list`);
        const target = address === undefined ? undefined : parseNotifyAddress(address);
        if (target === undefined)
          throw new InvalidArgumentError(`give the secondary as ADDR[:PORT] (got "${address ?? ''}")`);
        try {
          const rule = await withStore(program, (store) =>
            action === 'add'
              ? store.addNotify(zoneName, {
                  ...target,
                  ...(options.key === undefined ? {} : { key: withFinalDot(options.key) }),
                })
              : store.removeNotify(zoneName, target.address, target.port),
          );
          show(rule);
        } catch (error) {
          if (!(error instanceof RangeError)) throw error;
          process.stderr.write(`raftns: zone notify: ${error.message}\n`);
          process.exitCode = EXIT_USAGE;
        }
      },
    );
}
