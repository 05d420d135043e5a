/**
 * Provisioning, status and teardown against the fake AWS (spec/fixtures/aws) and a real
 * nats-server with JetStream holding the plan and the `aws` record.
 */
import {
  CreateLoadBalancerCommand,
  ModifyLoadBalancerAttributesCommand,
  ModifyTargetGroupAttributesCommand,
  ModifyTargetGroupCommand,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { UpdateEndpointGroupCommand } from '@aws-sdk/client-global-accelerator';
import type { NatsConnection } from '@nats-io/transport-node';
import { expect } from 'chai';
import { PlanStore } from '../../../bootstrap/plan-store.js';
import { liveInstances } from '../../../bootstrap/registry.js';
import { AwsClients } from '../../../clients/aws/aws-clients.js';
import { loadBalancerName } from '../../../clients/aws/aws-names.js';
import { readAwsRecord } from '../../../clients/aws/aws-plan-record.js';
import { provision, WRITES_PORT } from '../../../clients/aws/aws-provisioner.js';
import {
  type AwsSettings,
  awsSettings,
  parseRegionMap,
  parseSubnets,
} from '../../../clients/aws/aws-settings.js';
import { awsStatus, type GroupStatus } from '../../../clients/aws/aws-status.js';
import { teardown } from '../../../clients/aws/aws-teardown.js';
import {
  AWS_DEFAULT_HEALTH_CHECK,
  AWS_DEFAULT_LOAD_BALANCER_ATTRIBUTES,
  AWS_DEFAULT_TARGET_GROUP_ATTRIBUTES,
  DNS_HEALTH_CHECK,
  DNS_LOAD_BALANCER_ATTRIBUTES,
  DNS_TARGET_GROUP_ATTRIBUTES,
} from '../../../clients/aws/dns-failover-settings.js';
import { examplePlan } from '../../../protocol/plan.js';
import { silentLogger } from '../../../runtime/log.js';
import { connectNats } from '../../../runtime/nats/nats-connection.js';
import { type FakeAws, startFakeAws } from '../../fixtures/aws/fake-aws.js';
import { type NatsServerHandle, startNatsServer } from '../../fixtures/nats-server.js';

/**
 * One region: the fake serves one AWS region (its ELBv2 ARNs say us-east-1 whatever the
 * request's region) and its Global Accelerator checks that an endpoint is in the endpoint
 * group's region, so a second region cannot be faithful yet.
 */
const REGIONS = ['us-east'];
const GROUPS = 3;
const MUTATING = /^(Create|Delete|Update|Modify|Register|Deregister|Add|Remove|Tag|Untag)/;

describe('raftns aws: provision, status, teardown (fake AWS, real NATS)', function () {
  this.timeout(60_000);
  let nats: NatsServerHandle;
  let nc: NatsConnection;
  let aws: FakeAws;
  let clients: AwsClients;
  let store: PlanStore;
  let settings: AwsSettings;
  let cluster: string;
  let counter = 0;

  before(async () => {
    nats = await startNatsServer({ jetstream: true });
    nc = await connectNats({ urls: [nats.url], name: 'aws-provision-spec', log: silentLogger });
  });
  after(async () => {
    await nc?.close();
    await nats?.stop();
  });
  beforeEach(async () => {
    cluster = `aws${++counter}`;
    store = await PlanStore.create(nc, cluster);
    const { plan } = await store.initPlan(examplePlan(cluster, REGIONS));
    settings = awsSettings(
      plan.regions,
      parseRegionMap('us-east=us-east-1'),
      parseSubnets('us-east=subnet-a,subnet-b'),
      true,
    );
    aws = await startFakeAws();
    clients = new AwsClients({ endpoint: aws.endpoint, credentials: aws.credentials, maxAttempts: 5 });
  });
  afterEach(async () => {
    clients?.destroy();
    await aws?.stop();
  });

  const plan = () => examplePlan(cluster, REGIONS);
  const run = () => provision({ clients, plan: plan(), settings, planKv: store.plan });
  const mutations = (from: number) =>
    aws
      .requests()
      .slice(from)
      .filter((r) => MUTATING.test(r.action));

  it('creates everything once, tagged, and records it in NATS KV; a second run creates nothing', async () => {
    const lines: string[] = [];
    const first = await provision({
      clients,
      plan: plan(),
      settings,
      planKv: store.plan,
      progress: (s) => lines.push(`${s.region ?? '-'}/${s.group}: ${s.kind} ${s.outcome}`),
    });
    const state = aws.state();
    expect(state.loadBalancers).to.have.length(REGIONS.length * GROUPS);
    // Per region and group: the DNS and the writes target group, each behind its listener.
    expect(state.targetGroups).to.have.length(REGIONS.length * GROUPS * 2);
    expect(state.listeners).to.have.length(REGIONS.length * GROUPS * 2);
    expect(state.accelerators).to.have.length(GROUPS);
    expect(state.gaListeners).to.have.length(GROUPS * 2);
    expect(state.endpointGroups).to.have.length(GROUPS * 2 * REGIONS.length);
    for (const tg of state.targetGroups) {
      expect(tg).to.include({ protocol: 'TCP_UDP', port: 53, targetType: 'ip' });
      expect(tg.healthCheck).to.include(DNS_HEALTH_CHECK);
      expect(tg.attributes).to.deep.equal(DNS_TARGET_GROUP_ATTRIBUTES);
    }
    for (const lb of state.loadBalancers) expect(lb.attributes).to.deep.equal(DNS_LOAD_BALANCER_ATTRIBUTES);
    expect(state.listeners.map((l) => `${l.protocol}:${l.port}`).sort()).to.deep.equal(
      Array.from({ length: REGIONS.length * GROUPS }, () => ['TCP_UDP:53', `TCP_UDP:${WRITES_PORT}`])
        .flat()
        .sort(),
    );
    for (const arn of [...state.loadBalancers, ...state.targetGroups, ...state.listeners].map((x) => x.arn))
      expect(state.elbTags[arn], arn).to.deep.include({ key: 'raftns:managed', value: 'true' });
    for (const a of state.accelerators)
      expect(state.gaTags[a.arn]).to.deep.include({ key: 'raftns:cluster', value: cluster });
    expect(lines).to.include('us-east/org: load balancer created');
    expect(lines).to.include('-/org: accelerator created');
    // A new target group still has AWS's attributes until they are modified.
    expect(
      first.steps.every((s) => s.outcome === (s.kind === 'failover settings' ? 'updated' : 'created')),
    ).to.equal(true);

    const record = await readAwsRecord(nc, cluster);
    expect(record).to.deep.equal(first.record);
    const org = record?.groups.org;
    expect(org?.staticAddresses).to.have.length(2);
    expect(org?.regions['us-east']?.awsRegion).to.equal('us-east-1');
    expect(state.targetGroups.map((t) => t.arn)).to.include(org?.regions['us-east']?.targetGroupArn);
    const writesListener = state.listeners.find((l) => l.arn === org?.regions['us-east']?.writesListenerArn);
    expect(writesListener).to.include({
      port: WRITES_PORT,
      targetGroupArn: org?.regions['us-east']?.writesTargetGroupArn,
    });
    const eg = state.endpointGroups.filter((g) =>
      g.endpoints.some((e) => e.endpointId === org?.regions['us-east']?.loadBalancerArn),
    );
    expect(eg.map((g) => g.region)).to.deep.equal(['us-east-1', 'us-east-1']);

    const before = aws.requests().length;
    const second = await run();
    expect(mutations(before).map((r) => r.action)).to.deep.equal([]);
    expect(second.changed).to.equal(0);
    expect(second.steps.every((s) => s.outcome === 'exists')).to.equal(true);
    expect(second.record).to.deep.equal(first.record);
    expect(aws.state()).to.deep.equal(state);
  });

  it('status names the replicas each group routes to; writes must route to exactly one', async () => {
    await run();
    const record = await readAwsRecord(nc, cluster);
    const target = record?.groups.org?.regions['us-east'];
    if (target === undefined) throw new Error('no us-east/org in the record');
    await store.instances.put(
      'i-leader',
      JSON.stringify({
        instanceId: 'i-leader',
        region: 'us-east',
        dnsAddresses: ['10.0.0.7'],
        dnsPort: 53,
        startedAt: new Date(0).toISOString(),
        heartbeatSeq: 0,
      }),
    );
    const elb = clients.elbv2(target.awsRegion);
    const register = (arn: string | undefined, ip: string) =>
      elb.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: ip, Port: 53 }] }));
    await register(target.targetGroupArn, '10.0.0.7');
    await register(target.writesTargetGroupArn, '10.0.0.7');
    const status = async () =>
      awsStatus({ clients, plan: plan(), settings, registrations: await liveInstances(store) });
    const row = (rows: readonly GroupStatus[]) =>
      rows.find((r) => r.region === 'us-east' && r.group === 'org');
    let rows = await status();
    // A new target is `initial` until its first health check passes.
    for (let i = 0; i < 10 && row(rows)?.writesTo.length !== 1; i++) rows = await status();
    const leader = { ip: '10.0.0.7', port: 53, state: 'healthy', instanceId: 'i-leader' };
    expect(row(rows)?.routesTo).to.deep.equal([leader]);
    expect(row(rows)?.writesTo).to.deep.equal([leader]);
    expect(row(rows)?.problems).to.deep.equal([]);
    expect(row(rows)?.endpointGroups).to.deep.equal(['UDP', 'TCP']);
    expect(
      rows
        .filter((r) => r !== row(rows))
        .every(
          (r) =>
            r.problems.includes('routes to no target') && r.problems.includes('writes route to no target'),
        ),
    ).to.equal(true);

    // Every replica that can serve belongs in the DNS target group; only the leader in the writes one.
    await register(target.targetGroupArn, '10.0.0.8');
    for (let i = 0; i < 10 && row(rows)?.routesTo.length !== 2; i++) rows = await status();
    expect(row(rows)?.problems).to.deep.equal([]);
    await register(target.writesTargetGroupArn, '10.0.0.8');
    for (let i = 0; i < 10 && row(rows)?.writesTo.length !== 2; i++) rows = await status();
    expect(row(rows)?.problems).to.deep.equal(['writes route to 2 targets: i-leader, 10.0.0.8']);
  });

  it('enforces the failover settings on resources that have AWS defaults; status reports the drift until then', async () => {
    await run();
    const org = (await readAwsRecord(nc, cluster))?.groups.org?.regions['us-east'];
    if (org === undefined) throw new Error('no us-east/org in the record');
    const elb = clients.elbv2(org.awsRegion);
    // What the provisioner before these settings left behind.
    await elb.send(
      new ModifyTargetGroupCommand({
        TargetGroupArn: org.targetGroupArn,
        HealthCheckPort: '53',
        HealthCheckIntervalSeconds: AWS_DEFAULT_HEALTH_CHECK.intervalSeconds,
        HealthCheckTimeoutSeconds: AWS_DEFAULT_HEALTH_CHECK.timeoutSeconds,
        HealthyThresholdCount: AWS_DEFAULT_HEALTH_CHECK.healthyThresholdCount,
        UnhealthyThresholdCount: AWS_DEFAULT_HEALTH_CHECK.unhealthyThresholdCount,
      }),
    );
    const pairs = (r: Readonly<Record<string, string>>) =>
      Object.entries(r).map(([Key, Value]) => ({ Key, Value }));
    await elb.send(
      new ModifyTargetGroupAttributesCommand({
        TargetGroupArn: org.targetGroupArn,
        Attributes: pairs(AWS_DEFAULT_TARGET_GROUP_ATTRIBUTES),
      }),
    );
    await elb.send(
      new ModifyLoadBalancerAttributesCommand({
        LoadBalancerArn: org.loadBalancerArn,
        Attributes: pairs(AWS_DEFAULT_LOAD_BALANCER_ATTRIBUTES),
      }),
    );
    const status = async () =>
      (await awsStatus({ clients, plan: plan(), settings, registrations: [] })).find(
        (r) => r.group === 'org',
      );
    expect((await status())?.settingsDrift).to.deep.equal([
      'HealthCheckPort 53 (want traffic-port)',
      'HealthCheckIntervalSeconds 30 (want 5)',
      'HealthCheckTimeoutSeconds 10 (want 2)',
      'HealthyThresholdCount 5 (want 2)',
      'deregistration_delay.timeout_seconds 300 (want 0)',
      'deregistration_delay.connection_termination.enabled false (want true)',
      'load_balancing.cross_zone.enabled false (want true)',
    ]);
    expect((await status())?.problems.some((p) => p.startsWith('settings drift: '))).to.equal(true);

    const before = aws.requests().length;
    const repaired = await run();
    expect(mutations(before).map((r) => r.action)).to.deep.equal([
      'ModifyTargetGroup',
      'ModifyTargetGroupAttributes',
      'ModifyLoadBalancerAttributes',
    ]);
    expect(repaired.changed).to.equal(1);
    expect((await status())?.settingsDrift).to.deep.equal([]);
    const again = aws.requests().length;
    expect((await run()).changed).to.equal(0);
    expect(mutations(again)).to.deep.equal([]);
  });

  it('keeps every region at full accelerator weight and dial: status reports drift, provision repairs it once', async () => {
    const first = await run();
    const org = first.record.groups.org;
    const udp = aws
      .state()
      .endpointGroups.find(
        (g) =>
          g.endpoints.some((e) => e.endpointId === org?.regions['us-east']?.loadBalancerArn) &&
          aws.state().gaListeners.find((l) => l.arn === g.listenerArn)?.protocol === 'UDP',
      );
    if (udp === undefined || org === undefined) throw new Error('no UDP endpoint group of org');
    await clients.globalAccelerator().send(
      new UpdateEndpointGroupCommand({
        EndpointGroupArn: udp.arn,
        EndpointConfigurations: [{ EndpointId: org.regions['us-east']?.loadBalancerArn, Weight: 0 }],
        TrafficDialPercentage: 0,
      }),
    );
    const row = async () =>
      (await awsStatus({ clients, plan: plan(), settings, registrations: [] })).find(
        (r) => r.group === 'org',
      );
    expect((await row())?.settingsDrift).to.deep.equal([
      'UDP endpoint Weight 0 (want 128)',
      'UDP endpoint TrafficDialPercentage 0 (want 100)',
    ]);
    const before = aws.requests().length;
    expect((await run()).changed).to.equal(1);
    expect(mutations(before).map((r) => r.action)).to.deep.equal(['UpdateEndpointGroup']);
    expect((await row())?.settingsDrift).to.deep.equal([]);
  });

  it('teardown leaves nothing behind, deletes the record, and a second teardown does nothing', async () => {
    await run();
    const awsRegions = [...settings.values()].map((s) => s.awsRegion);
    const first = await teardown({ clients, cluster, awsRegions, planKv: store.plan });
    expect(first.deleted).to.be.greaterThan(0);
    const state = aws.state();
    for (const kind of [
      'loadBalancers',
      'targetGroups',
      'listeners',
      'accelerators',
      'gaListeners',
      'endpointGroups',
    ] as const)
      expect(state[kind], kind).to.deep.equal([]);
    expect(await readAwsRecord(nc, cluster)).to.equal(undefined);
    // The accelerator was disabled before anything of it was deleted.
    const actions = aws.requests().map((r) => r.action);
    expect(actions.indexOf('UpdateAccelerator')).to.be.lessThan(actions.indexOf('DeleteEndpointGroup'));
    expect(actions.lastIndexOf('DeleteAccelerator')).to.be.lessThan(actions.indexOf('DeleteLoadBalancer'));
    expect(actions.lastIndexOf('DeleteListener')).to.be.lessThan(actions.indexOf('DeleteLoadBalancer'));
    expect(actions.lastIndexOf('DeleteLoadBalancer')).to.be.lessThan(actions.indexOf('DeleteTargetGroup'));

    const before = aws.requests().length;
    const second = await teardown({ clients, cluster, awsRegions, planKv: store.plan });
    expect(second.deleted).to.equal(0);
    expect(mutations(before)).to.deep.equal([]);
  });

  it('teardown touches only resources tagged for its cluster', async () => {
    await run();
    const other = `${cluster}x`;
    const otherStore = await PlanStore.create(nc, other);
    await otherStore.initPlan(examplePlan(other, REGIONS));
    const others = await provision({
      clients,
      plan: examplePlan(other, REGIONS),
      settings,
      planKv: otherStore.plan,
    });
    await teardown({ clients, cluster, awsRegions: ['us-east-1'], planKv: store.plan });
    const state = aws.state();
    expect(state.accelerators.map((a) => a.arn).sort()).to.deep.equal(
      Object.values(others.record.groups)
        .map((g) => g.acceleratorArn)
        .sort(),
    );
    expect(state.loadBalancers).to.have.length(REGIONS.length * GROUPS);
    expect(await readAwsRecord(nc, other)).to.deep.equal(others.record);
  });

  it('retries throttling and server errors injected into provisioning and teardown, and completes', async () => {
    aws.failNext('CreateLoadBalancer', 2, 'throttling');
    aws.failNext('CreateTargetGroup', 1, 'server-error');
    aws.failNext('ga:CreateAccelerator', 2, 'server-error');
    aws.failNext('CreateEndpointGroup', 2, 'throttling');
    aws.failNext('DescribeTargetGroups', 1, 'throttling');
    const result = await run();
    // Per region and group: load balancer, and twice (DNS, writes) target group, listener, failover settings.
    expect(result.changed).to.equal(REGIONS.length * GROUPS * 7 + GROUPS * (1 + 2 + 2 * REGIONS.length));
    const failed = aws.requests().filter((r) => !r.ok);
    expect(failed.map((r) => `${r.action}:${r.errorCode}`).sort()).to.deep.equal(
      [
        'CreateLoadBalancer:Throttling',
        'CreateLoadBalancer:Throttling',
        'CreateTargetGroup:InternalFailure',
        'CreateAccelerator:InternalServiceErrorException',
        'CreateAccelerator:InternalServiceErrorException',
        'CreateEndpointGroup:ThrottlingException',
        'CreateEndpointGroup:ThrottlingException',
        'DescribeTargetGroups:Throttling',
      ].sort(),
    );
    // Each retried create created one resource, not one per attempt.
    expect(aws.state().accelerators).to.have.length(GROUPS);
    expect(aws.state().loadBalancers).to.have.length(REGIONS.length * GROUPS);
    expect(await readAwsRecord(nc, cluster)).to.deep.equal(result.record);

    aws.failNext('DeleteLoadBalancer', 2, 'server-error');
    aws.failNext('ga:DeleteAccelerator', 1, 'throttling');
    await teardown({ clients, cluster, awsRegions: ['us-east-1'], planKv: store.plan });
    expect(aws.state().loadBalancers).to.deep.equal([]);
    expect(aws.state().accelerators).to.deep.equal([]);
  });

  it('refuses a load balancer with its name that is not tagged for the cluster', async () => {
    const name = loadBalancerName(cluster, 'us-east', 'root');
    await clients
      .elbv2('us-east-1')
      .send(new CreateLoadBalancerCommand({ Name: name, Type: 'network', Subnets: ['subnet-z'] }));
    let error: unknown;
    await run().catch((e: unknown) => {
      error = e;
    });
    expect(String(error)).to.match(new RegExp(`${name} exists .* without this cluster's raftns tags`));
    expect(aws.state().loadBalancers).to.have.length(1);
  });
});
