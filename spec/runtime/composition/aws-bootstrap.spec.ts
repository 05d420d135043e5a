/**
 * On AWS a bootstrapped replica needs no AWS flags: `raftns aws provision` left an `aws`
 * record beside the plan, each replica reads its group's target group from it, and the
 * group's leader alone is registered there (against the fake AWS endpoint).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateTargetGroupCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { NatsConnection } from '@nats-io/transport-node';
import { expect } from 'chai';
import { PlanStore } from '../../../bootstrap/plan-store.js';
import { writeAwsRecord } from '../../../clients/aws/aws-plan-record.js';
import { RaftClient } from '../../../clients/raft-client.js';
import { examplePlan } from '../../../protocol/plan.js';
import { awsConfigFor } from '../../../runtime/composition/aws-assignment.js';
import { silentLogger } from '../../../runtime/log.js';
import { connectNats } from '../../../runtime/nats/nats-connection.js';
import { type FakeAws, startFakeAws } from '../../fixtures/aws/fake-aws.js';
import { type NatsServerHandle, startNatsServer } from '../../fixtures/nats-server.js';
import { pollUntil } from '../../fixtures/poll-until.js';
import { ReplicaProcess } from '../../fixtures/raft-cluster.js';

const CLUSTER = 'awsboot';
const REGION = 'us-east';

describe('bootstrap on AWS: replicas take their target group from the aws record', function () {
  this.timeout(120_000);
  let nats: NatsServerHandle;
  let nc: NatsConnection;
  let aws: FakeAws;
  let dir: string;
  const replicas: ReplicaProcess[] = [];

  before(async () => {
    nats = await startNatsServer({ jetstream: true });
    nc = await connectNats({ urls: [nats.url], name: 'aws-bootstrap-spec', log: silentLogger });
    aws = await startFakeAws();
    dir = await mkdtemp(join(tmpdir(), 'raftns-aws-boot-'));
  });

  after(async () => {
    for (const replica of replicas) await replica.kill('SIGKILL').catch(() => undefined);
    await nc?.close();
    await aws?.stop();
    await nats?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('awsConfigFor maps the record of (region, group) with the advertised address', () => {
    const record = {
      version: 1 as const,
      groups: {
        root: {
          acceleratorArn: 'arn:ga',
          staticAddresses: ['192.0.2.1'],
          dnsName: 'a.example',
          regions: {
            [REGION]: {
              awsRegion: 'us-east-1',
              loadBalancerArn: 'arn:lb',
              targetGroupArn: 'arn:tg',
              listenerArn: 'arn:l',
            },
          },
        },
      },
    };
    const config = {
      region: REGION,
      dns: {
        listen: ['0.0.0.0:53'],
        advertise: ['10.0.0.7'],
        rrlResponsesPerSecond: 20,
        rrlSlip: 2,
        tcpMaxConnectionsPerClient: 16,
      },
    };
    expect(awsConfigFor(record, config, 'root', undefined)).to.deep.equal({
      targetGroupArn: 'arn:tg',
      region: 'us-east-1',
      targetAddress: '10.0.0.7',
      targetPort: 53,
      reconcileMs: 5_000,
    });
    // Since the writes target group: every replica serves in the DNS one, the leader alone writes.
    const root = record.groups.root;
    const withWrites = {
      ...record,
      groups: {
        root: {
          ...root,
          regions: {
            [REGION]: {
              ...root.regions[REGION],
              writesTargetGroupArn: 'arn:tg-writes',
              writesListenerArn: 'arn:lw',
            },
          },
        },
      },
    };
    expect(awsConfigFor(withWrites, config, 'root', undefined)).to.deep.include({
      targetGroupArn: 'arn:tg-writes',
      servingTargetGroupArn: 'arn:tg',
    });
    expect(awsConfigFor(record, config, 'org', undefined)).to.equal(undefined);
    expect(awsConfigFor(undefined, config, 'root', undefined)).to.equal(undefined);
  });

  it('registers exactly the leader of the bootstrapped group', async () => {
    const elb = new ElasticLoadBalancingV2Client({
      endpoint: aws.endpoint,
      region: 'us-east-1',
      credentials: aws.credentials,
    });
    const created = await elb.send(
      new CreateTargetGroupCommand({ Name: 'rns-root', Protocol: 'TCP_UDP', Port: 53, TargetType: 'ip' }),
    );
    elb.destroy();
    const targetGroupArn = created.TargetGroups?.[0]?.TargetGroupArn;
    if (targetGroupArn === undefined) throw new Error('no target group');
    const store = await PlanStore.create(nc, CLUSTER);
    await store.initPlan({ ...examplePlan(CLUSTER, [REGION]), groups: [{ id: 'root', zone: '.' }] });
    await writeAwsRecord(store.plan, {
      version: 1,
      groups: {
        root: {
          acceleratorArn: 'arn:aws:globalaccelerator::123456789012:accelerator/x',
          staticAddresses: ['192.0.2.10', '198.51.100.10'],
          dnsName: 'x.awsglobalaccelerator.com',
          regions: {
            [REGION]: {
              awsRegion: 'us-east-1',
              loadBalancerArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/x/1',
              targetGroupArn,
              listenerArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/net/x/1/2',
            },
          },
        },
      },
    });
    const env = {
      AWS_ACCESS_KEY_ID: aws.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: aws.credentials.secretAccessKey,
      RAFTNS_AWS_ENDPOINT: aws.endpoint,
    };
    const ids = ['a1', 'a2', 'a3'];
    ids.forEach((id, i) => {
      const dataDir = join(dir, id);
      const address = `127.0.0.${31 + i}`;
      const args = [
        '--bootstrap',
        '--instance-id',
        id,
        '--data-dir',
        dataDir,
        '--cluster',
        CLUSTER,
        '--region',
        REGION,
      ];
      args.push('--nats', nats.url, '--dns', `${address}:0`, '--dns-advertise', address);
      replicas.push(new ReplicaProcess(id, dataDir, args, undefined, [], env));
    });
    await Promise.all(ids.map((id) => mkdir(join(dir, id), { recursive: true })));
    await Promise.all(replicas.map((replica) => replica.start()));

    const client = await RaftClient.connect({
      nc,
      cluster: CLUSTER,
      region: REGION,
      group: 'root',
      deadlineMs: 1_000,
    });
    try {
      const leader = await pollUntil('a leader', 30_000, async () => {
        const all = await Promise.all(
          ids.map((id) => client.status(id, { deadlineMs: 500 }).catch(() => undefined)),
        );
        return all.find((s) => s?.role === 'leader')?.replica;
      });
      const leaderAddress = `127.0.0.${31 + ids.indexOf(leader)}`;
      await pollUntil('exactly the leader registered', 20_000, async () => {
        const group = aws.state().targetGroups.find((g) => g.arn === targetGroupArn);
        const targets = (group?.targets ?? []).filter((t) => t.health !== 'draining').map((t) => t.id);
        return targets.length === 1 && targets[0] === leaderAddress ? true : undefined;
      });
    } finally {
      await client.close();
    }
  });
});
