/**
 * The HTTP API in a cluster of two groups (one region, one replica each): any replica
 * answers for every zone of the plan, reading and writing through the group that serves it
 * (runtime/composition/http/zone-router.ts), and that group's DNS answers the write.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { expect } from 'chai';
import { EXIT_OK } from '../../clients/cli/exit-codes.js';
import { PLAN_KEY, PLAN_VERSION, planBucket, slotKey, slotsBucket } from '../../protocol/plan.js';
import { silentLogger } from '../../runtime/log.js';
import { connectNats } from '../../runtime/nats/nats-connection.js';
import { createZoneChange } from '../fixtures/dns-zone.js';
import { type NatsServerHandle, startNatsServer } from '../fixtures/nats-server.js';
import { pollUntil } from '../fixtures/poll-until.js';
import { type DnsListenerInfo, RaftCluster } from '../fixtures/raft-cluster.js';
import { raftns } from '../fixtures/raftns-cli.js';

const execFileAsync = promisify(execFile);
const CLUSTER = 'apigroups';
const REGION = 'r1';
const GROUPS: ReadonlyArray<{ readonly id: string; readonly zone: string; readonly parent?: string }> = [
  { id: 'g1', zone: 'example.org.' },
  // A child zone: the plan is a hierarchy (one top group).
  { id: 'g2', zone: 'shop.example.org.', parent: 'g1' },
];

describe('HTTP API across two groups: any replica answers for every zone of the plan', function () {
  this.timeout(240_000);
  let nats: NatsServerHandle;
  let nc: NatsConnection;
  let key: string;
  const groups = new Map<string, RaftCluster>();

  const httpOf = (group: string): string => {
    const http = groups.get(group)?.replicas[0]?.http;
    if (http === undefined) throw new Error(`${group} has no HTTP listener`);
    return `http://${http.host}:${http.port}`;
  };
  const dnsOf = (group: string): DnsListenerInfo => groups.get(group)?.replicas[0]?.dns[0] as DnsListenerInfo;
  const call = async (
    group: string,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const response = await fetch(`${httpOf(group)}${path}`, {
      method,
      headers: {
        'x-api-key': key,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return {
      status: response.status,
      text,
      headers: response.headers,
      json: text === '' ? undefined : JSON.parse(text),
    };
  };

  before(async () => {
    nats = await startNatsServer({ jetstream: true });
    nc = await connectNats({ urls: [nats.url], name: 'api-groups-spec', log: silentLogger });
    const kvm = new Kvm(nc);
    const plan = {
      version: PLAN_VERSION,
      cluster: CLUSTER,
      regions: [REGION],
      replicasPerGroup: 1,
      groups: [...GROUPS],
    };
    await (await kvm.create(planBucket(CLUSTER))).put(PLAN_KEY, JSON.stringify(plan));
    const slots = await kvm.create(slotsBucket(CLUSTER));
    for (const { id, zone } of GROUPS) {
      const cluster = await RaftCluster.start({
        replicas: 1,
        cluster: CLUSTER,
        region: REGION,
        group: id,
        nats,
        extraArgs: () => ['--http', '127.0.0.1:0'],
      });
      groups.set(id, cluster);
      await slots.put(slotKey(REGION, id, 0), 'r1');
      await cluster.waitForLeader(30_000);
      const created = await (await cluster.client()).dnsBatch({ changes: [createZoneChange(zone, 10)] });
      expect(created.ok, JSON.stringify(created)).to.equal(true);
    }
    const added = await raftns(['--nats', nats.url, '--cluster', CLUSTER, 'api-key', 'add', 'ops']);
    expect(added.code, added.stderr).to.equal(EXIT_OK);
    key = added.stdout.trim();
    for (const { id } of GROUPS)
      await pollUntil(`the key on ${id}`, 10_000, async () =>
        (await call(id, 'GET', '/api')).status === 200 ? true : undefined,
      );
  });

  after(async () => {
    for (const cluster of groups.values()) await cluster.stop();
    await nc?.close();
    await nats?.stop();
  });

  it("lists both groups' zones from either replica", async () => {
    for (const { id } of GROUPS) {
      const list = await call(id, 'GET', '/api/v1/servers/localhost/zones');
      expect(list.status, list.text).to.equal(200);
      expect((list.json as Array<{ id: string }>).map((z) => z.id)).to.deep.equal([
        'example.org.',
        'shop.example.org.',
      ]);
    }
  });

  it("writes a zone of the other group through this replica's API; that group's DNS answers it", async () => {
    const zone = await call('g1', 'GET', '/api/v1/servers/localhost/zones/shop.example.org.');
    expect(zone.status, zone.text).to.equal(200);
    const etag = zone.headers.get('etag') as string;
    const patch = await call(
      'g1',
      'PATCH',
      '/api/v1/servers/localhost/zones/shop.example.org.',
      {
        rrsets: [
          {
            name: 'www.shop.example.org.',
            type: 'A',
            ttl: 60,
            changetype: 'REPLACE',
            records: [{ content: '198.51.100.7', disabled: false }],
          },
        ],
      },
      { 'if-match': etag },
    );
    expect(patch.status, patch.text).to.equal(204);
    const at = dnsOf('g2');
    const { stdout } = await execFileAsync('dig', [
      `@${at.address}`,
      '-p',
      String(at.port),
      '+norec',
      '+short',
      '+time=2',
      '+tries=1',
      'www.shop.example.org.',
      'A',
    ]);
    expect(stdout.trim()).to.equal('198.51.100.7');
    const stale = await call(
      'g1',
      'PATCH',
      '/api/v1/servers/localhost/zones/shop.example.org.',
      { rrsets: [{ name: 'www.shop.example.org.', type: 'A', changetype: 'DELETE' }] },
      { 'if-match': etag },
    );
    expect(stale.status).to.equal(412);
    const fromG2 = await call('g2', 'GET', '/api/v1/servers/localhost/zones/shop.example.org.');
    expect(
      (fromG2.json.rrsets as Array<{ name: string }>).some((r) => r.name === 'www.shop.example.org.'),
    ).to.equal(true);
  });
});
