/**
 * `raftns plan apply` lowering `replicasPerGroup` on a running cluster of real processes.
 * 3 → 1: every group grown from 1 to 3 replicas, wikipedia-org's leadership handed to a replica of a
 * slot that goes (so its leader removes itself), then shrunk back to 1 while records are
 * written and resolved. The holders of the removed slots (the highest-numbered) leave the
 * Raft configuration one at a time, release their slots, withdraw their registrations and
 * exit with code 0; the zone's NS and the parent's glue name only the replica that stays
 * (checked with dig); a replica that was down during the shrink is removed too and its slot
 * released by its leader; every acknowledged write is there afterwards, and no resolution got a
 * wrong answer; a removed replica started again with its data dir refuses to start. An even
 * count is refused. 5 → 3: a cluster of 3 replicas per group grown to 5 and shrunk back,
 * written meanwhile: slots 3 and 4 leave, the rest stay voters and nameservers.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { PlanStore } from '../../../bootstrap/plan-store.js';
import { EXIT_OK, EXIT_USAGE } from '../../../clients/cli/exit-codes.js';
import type { LocalCluster } from '../../../clients/local-cluster/local-cluster.js';
import { RaftClient } from '../../../clients/raft-client.js';
import { RegionWriter } from '../../../clients/region-writer.js';
import { IterativeResolver } from '../../../clients/resolver/iterative-resolver.js';
import { RR_TYPE } from '../../../protocol/dns/wire/codes.js';
import { Name } from '../../../protocol/dns/wire/name.js';
import { rdataToText } from '../../../protocol/dns/wire/rdata.js';
import { type ClusterPlan, slotKey } from '../../../protocol/plan.js';
import { silentLogger } from '../../../runtime/log.js';
import { connectNats } from '../../../runtime/nats/nats-connection.js';
import { EXIT_CONFIG } from '../../../runtime/process-lifecycle.js';
import { pollUntil } from '../../fixtures/poll-until.js';
import { adminCredentials } from '../../fixtures/raftns-cli.js';
import { type SpecCluster, startSpecCluster } from '../../fixtures/spec-cluster.js';

const run = promisify(execFile);
const GROUPS = ['root', 'org', 'wikipedia-org'] as const;
const ZONE = 'wikipedia.org.';

describe('shrinking every group of a running cluster from 3 replicas to 1 (real processes)', function () {
  this.timeout(420_000);
  let dir: string;
  let cluster: LocalCluster;
  let spec: SpecCluster;
  const raftns = (args: readonly string[]) => spec.raftns(args);
  const applyReplicas = async (plan: ClusterPlan, replicasPerGroup: number, extra: string[] = []) => {
    const file = join(dir, `replicas-${replicasPerGroup}.json`);
    await writeFile(file, JSON.stringify({ ...plan, replicasPerGroup }));
    return raftns(['plan', 'apply', file, ...extra]);
  };
  /** The NS RRset (target names, sorted) `server` answers for `zone`: authoritative or referral. */
  const digNs = async (server: string, zone: string): Promise<{ ns: string[]; glue: string[] }> => {
    const { stdout } = await run('dig', [
      `@${server}`,
      '-p',
      String(cluster.dnsPort),
      '+norec',
      '+time=2',
      '+tries=1',
      zone,
      'NS',
    ]);
    const records = stdout
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith(';'))
      .map((line) => line.split(/\s+/));
    return {
      ns: records
        .filter((r) => r[0]?.toLowerCase() === zone && r[3] === 'NS')
        .map((r) => (r[4] ?? '').toLowerCase())
        .sort(),
      glue: records
        .filter((r) => r[3] === 'A')
        .map((r) => `${r[0]?.toLowerCase()} ${r[4]}`)
        .sort(),
    };
  };

  before(async () => {
    spec = await startSpecCluster({ name: 'plan-shrink', subnet: 68 });
    ({ dir, cluster } = spec);
  });

  after(async () => {
    await spec?.stop();
  });

  it('removes the highest-numbered slots one voter at a time; their replicas leave and exit 0; writes and resolution go on', async () => {
    const shown = JSON.parse((await raftns(['--json', 'plan', 'show'])).stdout) as { plan: ClusterPlan };
    const grown = await applyReplicas(shown.plan, 3);
    expect(grown.code, grown.stderr).to.equal(EXIT_OK);
    const nc = await connectNats({
      urls: [cluster.natsUrl],
      credsFile: adminCredentials(cluster),
      name: 'plan-shrink-spec',
      log: silentLogger,
    });
    const store = await PlanStore.open(nc, 'local');
    const clients = new Map<string, RaftClient>();
    const writer = await RegionWriter.open({
      natsUrls: [cluster.natsUrl],
      natsCredsFile: adminCredentials(cluster),
      cluster: 'local',
      deadlineMs: 10_000,
    });
    try {
      for (const group of GROUPS)
        clients.set(group, await RaftClient.connect({ nc, cluster: 'local', region: 'region1', group }));
      for (let i = 0; i < 6; i++) await cluster.addReplica('region1');
      const client = (group: string) => clients.get(group) as RaftClient;
      const leaderStatus = (group: string) =>
        client(group)
          .status(undefined, { deadlineMs: 2_000 })
          .catch(() => undefined);
      for (const group of GROUPS)
        await pollUntil(`${group} to have 3 voters`, 180_000, async () => {
          const status = await leaderStatus(group);
          return status?.voters.length === 3 ? true : undefined;
        });
      const holders = async (group: string) =>
        Promise.all(
          [0, 1, 2].map(async (index) => {
            const entry = await store.slots.get(slotKey('region1', group, index));
            return entry !== null && entry.operation === 'PUT' ? entry.string() : undefined;
          }),
        );
      const slotHolders = new Map<string, (string | undefined)[]>();
      for (const group of GROUPS) slotHolders.set(group, await holders(group));
      const address = (instanceId: string | undefined) =>
        cluster.replicaList().find((r) => r.instanceId === instanceId)?.address as string;
      const wiki = slotHolders.get('wikipedia-org') ?? [];
      const org = slotHolders.get('org') ?? [];
      await pollUntil('wikipedia.org. to name 3 nameservers', 60_000, async () =>
        (await digNs(address(wiki[0]), ZONE)).ns.length === 3 ? true : undefined,
      );

      // wikipedia-org's leadership moves to a replica whose slot goes: its slot-0 replica is
      // stopped (a planned stop hands leadership off) and started again.
      const keeper = wiki[0] as string;
      await cluster.kill(keeper, 'SIGTERM');
      const handedTo = await pollUntil('a new wikipedia-org leader', 30_000, async () => {
        const status = await leaderStatus('wikipedia-org');
        return status !== undefined && status.replica !== keeper ? status.replica : undefined;
      });
      const keeperTopology = cluster.replicaList().find((r) => r.instanceId === keeper);
      if (keeperTopology === undefined) throw new Error(`no topology for ${keeper}`);
      await cluster.spawnReplica(keeperTopology);
      await pollUntil(`${keeper} to follow ${handedTo} again`, 60_000, async () => {
        const status = await client('wikipedia-org')
          .status(keeper, { deadlineMs: 2_000 })
          .catch(() => undefined);
        return status?.leaderId === handedTo ? true : undefined;
      });
      expect(wiki.slice(1)).to.include(handedTo);

      // org's slot-2 replica is down during the shrink: it cannot release its slot itself.
      const down = org[2] as string;
      await cluster.kill(down, 'SIGKILL');

      const refusedEven = await applyReplicas(shown.plan, 2, ['--dry-run']);
      expect(refusedEven.code).to.equal(EXIT_USAGE);
      expect(refusedEven.stderr).to.match(/replicasPerGroup: 2 is even/);
      const refusedZero = await applyReplicas(shown.plan, 0, ['--dry-run']);
      expect(refusedZero.code).to.equal(EXIT_USAGE);
      expect(refusedZero.stderr).to.match(/replicasPerGroup/);

      // Seeds, then writes and resolutions around the shrink.
      const SEEDS = 4;
      const seeds = Array.from({ length: SEEDS }, (_, i) => ({
        op: 'upsert' as const,
        name: `s${i}.${ZONE}`,
        type: 'A',
        ttl: 60,
        rdata: [`192.0.2.${i + 1}`],
      }));
      expect((await writer.write(seeds)).complete).to.equal(true);
      const resolver = new IterativeResolver({
        roots: (await cluster.rootServers('region1')).map((host) => ({ host, port: cluster.dnsPort })),
        port: cluster.dnsPort,
        deadlineMs: 8_000,
      });
      const acked: Array<{ name: string; value: string }> = [];
      const unacked: string[] = [];
      const wrong: string[] = [];
      const outcomes = new Map<string, number>();
      let stop = false;
      const writing = (async () => {
        for (let n = 0; !stop; n++) {
          const name = `w${n}.${ZONE}`;
          const value = `"${n}"`;
          const report = await writer.write([{ op: 'upsert', name, type: 'TXT', ttl: 60, rdata: [value] }]);
          if (report.complete) acked.push({ name, value });
          else unacked.push(`${name}: ${report.regions.map((r) => r.status).join(',')}`);
        }
      })();
      const resolving = (async () => {
        for (let k = 0; !stop; k++) {
          const seed = k % SEEDS;
          const resolution = await resolver.resolve(Name.parse(`s${seed}.${ZONE}`), RR_TYPE.A);
          const kind = resolution.result.kind;
          outcomes.set(kind, (outcomes.get(kind) ?? 0) + 1);
          const got = kind === 'answer' ? resolution.result.records.map((r) => rdataToText(r.rdata)) : [];
          // A timeout or SERVFAIL (every server asked failed) is a failure to resolve, counted;
          // an answer other than the seed's address, NXDOMAIN, NODATA or a lame delegation is wrong.
          if (
            kind === 'answer'
              ? got.join() !== `192.0.2.${seed + 1}`
              : kind === 'nxdomain' || kind === 'nodata' || kind === 'lame-delegation'
          )
            wrong.push(`s${seed}: ${kind} ${JSON.stringify(got)}`);
        }
      })();
      const leaving = GROUPS.flatMap((group) => (slotHolders.get(group) ?? []).slice(1)) as string[];
      let shrunk: { code: number; stdout: string; stderr: string } | undefined;
      const started = performance.now();
      let shrinkMs = 0;
      try {
        while (acked.length < 5) await new Promise((resolve) => setTimeout(resolve, 20));
        shrunk = await applyReplicas(shown.plan, 1);
        expect(shrunk.code, shrunk.stderr).to.equal(EXIT_OK);
        // Every group down to its slot-0 replica.
        for (const group of GROUPS)
          await pollUntil(`${group} to have 1 voter`, 120_000, async () => {
            const status = await leaderStatus(group);
            return status?.voters.length === 1 ? status : undefined;
          });
        await pollUntil('every removed replica to exit', 60_000, async () =>
          leaving.every((id) => id === down || cluster.exitOf(id) !== undefined) ? true : undefined,
        );
        shrinkMs = performance.now() - started;
        const settled = acked.length;
        while (acked.length < settled + 5) await new Promise((resolve) => setTimeout(resolve, 20));
      } finally {
        stop = true;
        await Promise.all([writing, resolving]);
      }
      expect(shrunk?.stdout).to.match(/~ replicasPerGroup: 3 → 1\n- slots 1, 2 of every group/);
      process.stdout.write(
        `      shrink 3 → 1 (apply to every removed replica exited): ${Math.round(shrinkMs)} ms; ` +
          `${acked.length} writes acknowledged, ${unacked.length} not; resolutions ${JSON.stringify(Object.fromEntries(outcomes))}\n`,
      );

      for (const group of GROUPS) {
        const [kept, ...gone] = slotHolders.get(group) ?? [];
        const status = await leaderStatus(group);
        expect(status?.voters, group).to.deep.equal([kept]);
        for (const [i, id] of (gone as string[]).entries()) {
          if (id !== down)
            expect(cluster.exitOf(id), `${id}'s exit`).to.deep.equal({ code: 0, signal: null });
          // The down replica's slot is released by its leader once its registration expired.
          await pollUntil(`${id}'s slot to be released`, 30_000, async () => {
            const entry = await store.slots.get(slotKey('region1', group, i + 1));
            return entry === null || entry.operation !== 'PUT' ? true : undefined;
          });
        }
      }
      await pollUntil('no removed replica to be registered', 30_000, async () => {
        const live = await cluster.liveInstanceIds();
        return leaving.every((id) => !live.has(id)) ? true : undefined;
      });

      // A removed replica started again with its data dir refuses (exit 78): that Raft state
      // belongs to a group that no longer counts it.
      const again = cluster.replicaList().find((r) => r.instanceId === wiki[1]);
      if (again === undefined) throw new Error(`no topology for ${wiki[1]}`);
      await cluster.spawnReplica(again);
      const refusedStart = await pollUntil(`${again.instanceId} to refuse its start`, 60_000, async () =>
        cluster.exitOf(again.instanceId),
      );
      expect(refusedStart).to.deep.equal({ code: EXIT_CONFIG, signal: null });
      expect((await leaderStatus('wikipedia-org'))?.voters).to.deep.equal([wiki[0]]);

      // The zone's NS and the parent's referral name only the replica that stays.
      const nameserver = `ns-${wiki[0]}.${ZONE}`;
      await pollUntil('wikipedia.org. to name 1 nameserver', 30_000, async () => {
        const own = await digNs(address(wiki[0]), ZONE);
        const referral = await digNs(address(org[0]), ZONE);
        return own.ns.length === 1 && referral.ns.length === 1 ? true : undefined;
      });
      const own = await digNs(address(wiki[0]), ZONE);
      const referral = await digNs(address(org[0]), ZONE);
      expect(own.ns).to.deep.equal([nameserver]);
      expect(referral.ns).to.deep.equal([nameserver]);
      expect(referral.glue).to.deep.equal([`${nameserver} ${address(wiki[0])}`]);

      expect(wrong, wrong.slice(0, 5).join('\n')).to.deep.equal([]);
      expect(unacked, unacked.slice(0, 5).join('\n')).to.deep.equal([]);
      for (const { name, value } of acked) {
        const view = await writer.rrsets('region1', name, 'linearizable');
        expect(view?.rrsets.find((r) => r.type === 'TXT')?.rdata, name).to.deep.equal([value]);
      }
      const last = acked.at(-1);
      if (last !== undefined) {
        const resolution = await resolver.resolve(Name.parse(last.name), RR_TYPE.TXT);
        expect(resolution.result.kind).to.equal('answer');
      }
    } finally {
      await writer.close();
      for (const c of clients.values()) await c.close();
      await nc.close();
    }
  });
});

describe('shrinking every group of a running cluster from 5 replicas to 3 (real processes)', function () {
  this.timeout(480_000);
  let dir: string;
  let cluster: LocalCluster;
  let spec: SpecCluster;
  const raftns = (args: readonly string[]) => spec.raftns(args);

  before(async () => {
    spec = await startSpecCluster({
      name: 'plan-shrink5',
      subnet: 72,
      replicasPerGroup: 3,
      readyTimeoutMs: 180_000,
    });
    ({ dir, cluster } = spec);
  });

  after(async () => {
    await spec?.stop();
  });

  it('grows to 5, then slots 3 and 4 leave: 3 voters and 3 nameservers per group, every acknowledged write kept', async () => {
    const shown = JSON.parse((await raftns(['--json', 'plan', 'show'])).stdout) as { plan: ClusterPlan };
    const apply = async (replicasPerGroup: number) => {
      const file = join(dir, `replicas-${replicasPerGroup}.json`);
      await writeFile(file, JSON.stringify({ ...shown.plan, replicasPerGroup }));
      const applied = await raftns(['plan', 'apply', file]);
      expect(applied.code, applied.stderr).to.equal(EXIT_OK);
      return applied;
    };
    await apply(5);
    const nc = await connectNats({
      urls: [cluster.natsUrl],
      credsFile: adminCredentials(cluster),
      name: 'plan-shrink5-spec',
      log: silentLogger,
    });
    const store = await PlanStore.open(nc, 'local');
    const writer = await RegionWriter.open({
      natsUrls: [cluster.natsUrl],
      natsCredsFile: adminCredentials(cluster),
      cluster: 'local',
      deadlineMs: 10_000,
    });
    const clients = new Map<string, RaftClient>();
    try {
      for (const group of GROUPS)
        clients.set(group, await RaftClient.connect({ nc, cluster: 'local', region: 'region1', group }));
      for (let i = 0; i < 6; i++) await cluster.addReplica('region1');
      const voters = async (group: string) =>
        (
          await clients
            .get(group)
            ?.status(undefined, { deadlineMs: 2_000 })
            .catch(() => undefined)
        )?.voters ?? [];
      for (const group of GROUPS)
        await pollUntil(`${group} to have 5 voters`, 240_000, async () =>
          (await voters(group)).length === 5 ? true : undefined,
        );
      const slotHolder = async (group: string, index: number) => {
        const entry = await store.slots.get(slotKey('region1', group, index));
        return entry !== null && entry.operation === 'PUT' ? entry.string() : undefined;
      };
      const leaving = new Map<string, string[]>();
      const kept = new Map<string, string[]>();
      for (const group of GROUPS) {
        leaving.set(group, [(await slotHolder(group, 3)) as string, (await slotHolder(group, 4)) as string]);
        kept.set(
          group,
          await Promise.all([0, 1, 2].map(async (i) => (await slotHolder(group, i)) as string)),
        );
      }

      const acked: Array<{ name: string; value: string }> = [];
      const unacked: string[] = [];
      let stop = false;
      const writing = (async () => {
        for (let n = 0; !stop; n++) {
          const name = `f${n}.${ZONE}`;
          const value = `"${n}"`;
          const report = await writer.write([{ op: 'upsert', name, type: 'TXT', ttl: 60, rdata: [value] }]);
          if (report.complete) acked.push({ name, value });
          else unacked.push(name);
        }
      })();
      try {
        while (acked.length < 5) await new Promise((resolve) => setTimeout(resolve, 20));
        const shrunk = await apply(3);
        expect(shrunk.stdout).to.match(/- slots 3, 4 of every group/);
        for (const group of GROUPS)
          await pollUntil(`${group} to have 3 voters`, 120_000, async () =>
            (await voters(group)).length === 3 ? true : undefined,
          );
        const all = [...leaving.values()].flat();
        await pollUntil('every removed replica to exit', 60_000, async () =>
          all.every((id) => cluster.exitOf(id) !== undefined) ? true : undefined,
        );
        const settled = acked.length;
        while (acked.length < settled + 5) await new Promise((resolve) => setTimeout(resolve, 20));
      } finally {
        stop = true;
        await writing;
      }
      for (const group of GROUPS) {
        expect([...(await voters(group))].sort(), group).to.deep.equal([...(kept.get(group) ?? [])].sort());
        for (const id of leaving.get(group) ?? [])
          expect(cluster.exitOf(id), `${id}'s exit`).to.deep.equal({ code: 0, signal: null });
        expect(await slotHolder(group, 3), `${group} slot 3`).to.equal(undefined);
        expect(await slotHolder(group, 4), `${group} slot 4`).to.equal(undefined);
      }
      const wikiKept = kept.get('wikipedia-org') ?? [];
      const server = cluster.replicaList().find((r) => r.instanceId === wikiKept[0])?.address as string;
      await pollUntil('wikipedia.org. to name its 3 kept nameservers', 30_000, async () => {
        const { stdout } = await run('dig', [
          `@${server}`,
          '-p',
          String(cluster.dnsPort),
          '+norec',
          '+short',
          ZONE,
          'NS',
        ]);
        const names = stdout.trim().split('\n').filter(Boolean).sort();
        return names.join() ===
          wikiKept
            .map((id) => `ns-${id}.${ZONE}`)
            .sort()
            .join()
          ? true
          : undefined;
      });
      expect(unacked).to.deep.equal([]);
      for (const { name, value } of acked) {
        const view = await writer.rrsets('region1', name, 'linearizable');
        expect(view?.rrsets.find((r) => r.type === 'TXT')?.rdata, name).to.deep.equal([value]);
      }
      process.stdout.write(`      5 → 3: ${acked.length} writes acknowledged, 0 lost\n`);
    } finally {
      await writer.close();
      for (const c of clients.values()) await c.close();
      await nc.close();
    }
  });
});
