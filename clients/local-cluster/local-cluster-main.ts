/**
 * `npm start`: the local cluster of the README's quick start. Starts nats-server (JetStream),
 * writes the plan (root → `org` → `wikipedia.org`, 3 replicas each, per region), starts
 * every replica as its own `runtime/main --bootstrap` process on its own loopback address,
 * waits for the groups to serve and delegate, seeds `www.wikipedia.org A 103.102.166.224`,
 * prints the topology and a resolution trace from the root, writes `.raftns/topology.json`,
 * and serves until Ctrl-C, which stops everything.
 *
 *   npm start [-- --regions N] [--nats-cluster 3] [--fresh] [--dir DIR]
 *
 * `--nats-cluster 3` runs three nats-servers joined by routes (127.0.0.1:4222-4224, routes
 * on 6222-6224) with clustered JetStream and R3 buckets, and gives every replica all three
 * URLs: one server can be lost without a bucket or a replica's connection going with it.
 *
 * `--fresh` deletes DIR (default `.raftns`) first: a plan with another number of regions is
 * refused on a cluster that already exists. NATS runs with authentication; the credentials
 * are in DIR/nats/ (the CLI finds `.raftns/nats/admin.creds` by itself).
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { RR_TYPE } from '../../protocol/dns/wire/codes.js';
import { Name } from '../../protocol/dns/wire/name.js';
import { IterativeResolver } from '../resolver/iterative-resolver.js';
import { resultToText, traceToText } from '../resolver/resolution-trace.js';
import { EXAMPLE_NAME, LocalCluster, type Topology } from './local-cluster.js';

const say = (line: string) => process.stderr.write(`raftns: ${line}\n`);

function printTopology(topology: Topology): void {
  console.log(`\ncluster ${topology.cluster} — NATS ${topology.nats}, DNS port ${topology.dnsPort}`);
  for (const region of topology.regions) {
    console.log(`\nregion ${region.region}`);
    for (const group of region.groups) {
      console.log(
        `  ${group.zone.padEnd(16)} group ${group.id.padEnd(14)} leader ${group.leader ?? '(none)'}`,
      );
      for (const replica of group.replicas)
        console.log(
          `    ${replica.instanceId.padEnd(12)} ${replica.dns.padEnd(18)} ${replica.role.padEnd(9)} ${replica.nameserver}${replica.http === null ? '' : `  http://${replica.http}/metrics`}`,
        );
    }
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      regions: { type: 'string', default: '1' },
      fresh: { type: 'boolean', default: false },
      dir: { type: 'string', default: '.raftns' },
      'nats-cluster': { type: 'string', default: '1' },
    },
  });
  const natsServers = Number(values['nats-cluster']);
  if (natsServers !== 1 && natsServers !== 3) {
    say('--nats-cluster must be 1 or 3');
    process.exit(2);
  }
  const regions = Number(values.regions);
  if (!Number.isInteger(regions) || regions < 1 || regions > 9) {
    say('--regions must be an integer from 1 to 9');
    process.exit(2);
  }
  if (values.fresh) await rm(values.dir, { recursive: true, force: true });
  const cluster = new LocalCluster({ dir: values.dir, regions, natsServers, say, logLevel: 'info' });
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say('stopping every replica and the nats-server(s)');
    await cluster.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  try {
    await cluster.start();
    say(`started ${cluster.replicaList().length} replica processes (logs in ${join(values.dir, 'logs')})`);
    await cluster.waitReady();
    await cluster.seedExample();
    const topology = await cluster.writeTopology(join(values.dir, 'topology.json'));
    printTopology(topology);
    const firstRegion = cluster.plan.regions[0] as string;
    const roots = await cluster.rootServers(firstRegion);
    const resolver = new IterativeResolver({
      roots: roots.map((host) => ({ host, port: cluster.dnsPort })),
      port: cluster.dnsPort,
    });
    const resolution = await resolver.resolve(Name.parse(EXAMPLE_NAME), RR_TYPE.A);
    console.log(`\nresolving ${EXAMPLE_NAME} A from the root of ${firstRegion}:\n`);
    console.log(traceToText(resolution.trace));
    console.log(resultToText(resolution.result));
    const port = cluster.dnsPort === 53 ? '' : ` -p ${cluster.dnsPort}`;
    const root = roots[0];
    console.log(
      `\ntry: dig @${root}${port} +norec ${EXAMPLE_NAME}   |   npx raftns resolve ${EXAMPLE_NAME} --root ${root}:${cluster.dnsPort} --port ${cluster.dnsPort}`,
    );
    console.log(
      'add a zone: npx raftns --cluster local zone create example.org   (then: npx raftns --cluster local write www.example.org A 300 192.0.2.1)',
    );
    const admin = cluster.credentialsFile('admin');
    if (admin !== undefined)
      console.log(
        `NATS credentials: ${admin} (admin; the CLI uses it when run from this directory, else --nats-creds), ${cluster.credentialsFile('reader')} (read-only)`,
      );
    console.log(`topology: ${join(values.dir, 'topology.json')}; Ctrl-C stops the cluster`);
  } catch (error) {
    say(`failed: ${error instanceof Error ? error.message : String(error)}`);
    await stop(1);
  }
}

void main();
