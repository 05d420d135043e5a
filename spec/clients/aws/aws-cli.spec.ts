/**
 * `raftns aws provision | status | teardown` as a child process, against the fake AWS
 * (RAFTNS_AWS_ENDPOINT, credentials in the environment) and a real nats-server.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { expect } from 'chai';
import { PlanStore } from '../../../bootstrap/plan-store.js';
import { loadBalancerName } from '../../../clients/aws/aws-names.js';
import { readAwsRecord } from '../../../clients/aws/aws-plan-record.js';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE } from '../../../clients/cli/exit-codes.js';
import { examplePlan } from '../../../protocol/plan.js';
import { silentLogger } from '../../../runtime/log.js';
import { connectNats } from '../../../runtime/nats/nats-connection.js';
import { type FakeAws, startFakeAws } from '../../fixtures/aws/fake-aws.js';
import { type NatsServerHandle, startNatsServer } from '../../fixtures/nats-server.js';
import { raftns } from '../../fixtures/raftns-cli.js';

const CLUSTER = 'awscli';
/** One region: the fake serves one AWS region (see aws-provision.spec.ts). */
const REGIONS = ['us-east'];

describe('raftns aws (the command, as a child process)', function () {
  this.timeout(90_000);
  let nats: NatsServerHandle;
  let nc: NatsConnection;
  let aws: FakeAws;
  let env: NodeJS.ProcessEnv;
  let base: string[];

  before(async () => {
    nats = await startNatsServer({ jetstream: true });
    nc = await connectNats({ urls: [nats.url], name: 'aws-cli-spec', log: silentLogger });
    const store = await PlanStore.create(nc, CLUSTER);
    await store.initPlan(examplePlan(CLUSTER, REGIONS));
    aws = await startFakeAws();
    const { AWS_PROFILE: _p, AWS_SESSION_TOKEN: _t, ...rest } = process.env;
    env = {
      ...rest,
      RAFTNS_AWS_ENDPOINT: aws.endpoint,
      AWS_ACCESS_KEY_ID: aws.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: aws.credentials.secretAccessKey,
    };
    base = ['--nats', nats.url, '--cluster', CLUSTER];
  });
  after(async () => {
    await aws?.stop();
    await nc?.close();
    await nats?.stop();
  });

  const regionMap = ['--aws-region', 'us-east=us-east-1'];
  const subnets = ['--subnets', 'us-east=subnet-a,subnet-b'];
  const cli = (args: readonly string[], extraEnv: NodeJS.ProcessEnv = {}) =>
    raftns([...base, ...args], { env: { ...env, ...extraEnv }, timeoutMs: 60_000 });

  it('refuses to provision without subnets (exit 2), or with credentials AWS refuses (exit 1)', async () => {
    const noSubnets = await cli(['aws', 'provision', ...regionMap]);
    expect(noSubnets.code, noSubnets.stderr).to.equal(EXIT_USAGE);
    expect(noSubnets.stderr).to.match(/no subnets for region\(s\) us-east/);
    const badKey = await cli(['aws', 'provision', ...regionMap, ...subnets], {
      AWS_SECRET_ACCESS_KEY: 'wrong',
    });
    expect(badKey.code, badKey.stderr).to.equal(EXIT_FAILED);
    expect(badKey.stderr).to.match(/signature/i);
    expect(aws.state().loadBalancers).to.deep.equal([]);
  });

  it('provisions with progress lines, then a re-run finds everything', async () => {
    const first = await cli(['aws', 'provision', ...regionMap, ...subnets]);
    expect(first.code, first.stderr).to.equal(EXIT_OK);
    expect(first.stdout).to.include(
      `us-east/org: load balancer ${loadBalancerName(CLUSTER, 'us-east', 'org')} created`,
    );
    expect(first.stdout).to.match(/^wikipedia-org: accelerator rns-\S+ created$/m);
    expect(first.stdout).to.match(/^provisioned: \d+ created or updated$/m);
    const record = await readAwsRecord(nc, CLUSTER);
    expect(Object.keys(record?.groups ?? {}).sort()).to.deep.equal(['org', 'root', 'wikipedia-org']);

    const again = await cli(['--json', 'aws', 'provision', ...regionMap, ...subnets]);
    expect(again.code, again.stderr).to.equal(EXIT_OK);
    expect(JSON.parse(again.stdout)).to.deep.equal({ changed: 0, record });
    expect(again.stderr).to.not.match(/ created$/m);
    expect(again.stderr).to.match(/^us-east\/root: target group \S+ exists$/m);
  });

  it('status exits 1 while no group routes to a target, and lists every (region, group)', async () => {
    const status = await cli(['--json', 'aws', 'status', ...regionMap]);
    expect(status.code).to.equal(EXIT_FAILED);
    const rows = JSON.parse(status.stdout) as Array<{ region: string; group: string; problems: string[] }>;
    expect(rows.map((r) => `${r.region}/${r.group}`)).to.deep.equal([
      'us-east/root',
      'us-east/org',
      'us-east/wikipedia-org',
    ]);
    expect(rows.every((r) => r.problems.join() === 'routes to no target,writes route to no target')).to.equal(
      true,
    );
    expect(status.stderr).to.match(/us-east\/org: routes to no target/);
  });

  it('tears down everything and the record; a second teardown does nothing and exits 0', async () => {
    const first = await cli(['aws', 'teardown', ...regionMap]);
    expect(first.code, first.stderr).to.equal(EXIT_OK);
    expect(first.stdout).to.match(/^record aws deleted$/m);
    const state = aws.state();
    expect([
      ...state.loadBalancers,
      ...state.targetGroups,
      ...state.listeners,
      ...state.accelerators,
      ...state.gaListeners,
      ...state.endpointGroups,
    ]).to.deep.equal([]);
    expect(await readAwsRecord(nc, CLUSTER)).to.equal(undefined);
    const second = await cli(['aws', 'teardown', ...regionMap]);
    expect(second.code, second.stderr).to.equal(EXIT_OK);
    expect(second.stdout.trim()).to.equal('teardown: 0 deleted (nothing left)');
    const missing = await cli(['aws', 'status', ...regionMap]);
    expect(missing.code).to.equal(EXIT_FAILED);
    expect(missing.stderr).to.match(/load balancer missing/);
  });
});
