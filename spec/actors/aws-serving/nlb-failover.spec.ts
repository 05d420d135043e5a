/**
 * How long DNS queries sent through the load balancer go unanswered when a replica dies or
 * restarts: a real 3-replica group (processes, NATS, Raft, RocksDB) behind the fake AWS
 * with health checks in time (spec/fixtures/aws/target-health-model.ts, time scale 10) and
 * its NLB listener (nlb-forwarder.ts). Every replica registers itself in the DNS target
 * group (the AWS-serving actor); the leader alone is in the writes target group (the
 * AWS-lease actor). Both target groups have the failover settings of
 * clients/aws/dns-failover-settings.ts.
 *
 * A probe sends an A query every PROBE_EVERY_MS, each from a fresh socket (a new flow, as a
 * resolver's random source port makes it), to the DNS listener of the load balancer. After
 * an event at t0, the outage is the time from t0 to the last query (sent after t0) that got
 * no NOERROR answer; every later query until the end of the window was answered.
 *
 * Replica rN listens on 127.0.0.(10+N) on one port picked at random (printed).
 */
import { createSocket } from 'node:dgram';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  ElasticLoadBalancingV2Client,
  ModifyTargetGroupAttributesCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { expect } from 'chai';
import {
  DNS_HEALTH_CHECK,
  DNS_TARGET_GROUP_ATTRIBUTES,
  deathDetectionSecondsMax,
  registrationHealthySecondsMax,
} from '../../../clients/aws/dns-failover-settings.js';
import { HybridClock } from '../../../protocol/dns/version.js';
import { RR_CLASS, RR_TYPE } from '../../../protocol/dns/wire/codes.js';
import { encodeMessage } from '../../../protocol/dns/wire/message.js';
import { Name } from '../../../protocol/dns/wire/name.js';
import { type FakeAws, startFakeAws } from '../../fixtures/aws/fake-aws.js';
import { queryMessage } from '../../fixtures/dns-query.js';
import { createZoneChange } from '../../fixtures/dns-zone.js';
import { pollUntil } from '../../fixtures/poll-until.js';
import { RaftCluster } from '../../fixtures/raft-cluster.js';

const TIME_SCALE = 10;
const LEADER_TIMEOUT_MS = 20_000;
const RECONCILE_MS = 1_000;
const PROBE_EVERY_MS = 20;
const PROBE_TIMEOUT_MS = 400;
const PROBES_IN_FLIGHT_MAX = 64;
/** How long after an event the probe keeps going: every query in the tail must be answered. */
const WINDOW_MS = 6_000;
/** An election and the new leader's wait for its lease (docs/ARCHITECTURE.md §9 measured ~0.6 s). */
const ELECTION_ALLOWANCE_MS = 2_000;
/** Room for a loaded 2-core machine. */
const SLACK_MS = 1_500;
const ZONE = 'example.org.';
const NAME = 'www.example.org.';
const addressOf = (replica: string) => `127.0.0.${10 + Number(replica.slice(1))}`;

interface ProbeResult {
  readonly sentAt: number;
  readonly ok: boolean;
  /** The answer's rcode, or `timeout`, or `shed` (too many in flight). */
  readonly outcome: number | 'timeout' | 'shed';
}

/** Queries `port` every PROBE_EVERY_MS from fresh sockets until stopped. */
function startProbe(port: number): { readonly results: ProbeResult[]; stop(): Promise<void> } {
  const results: ProbeResult[] = [];
  let inFlight = 0;
  let id = 0;
  const pending: Promise<void>[] = [];
  const question = [{ name: Name.parse(NAME), type: RR_TYPE.A, class: RR_CLASS.IN }];
  const query = (qid: number) =>
    encodeMessage(queryMessage({ id: qid, questions: question }), { compress: true }).bytes;
  const one = async () => {
    const sentAt = Date.now();
    if (inFlight >= PROBES_IN_FLIGHT_MAX) {
      results.push({ sentAt, ok: false, outcome: 'shed' });
      return;
    }
    inFlight++;
    const socket = createSocket('udp4');
    id = (id + 1) & 0xffff;
    const qid = id;
    const outcome = await new Promise<ProbeResult['outcome']>((resolve) => {
      const timer = setTimeout(() => resolve('timeout'), PROBE_TIMEOUT_MS);
      socket.on('message', (bytes) => {
        if (bytes.length < 4 || bytes.readUInt16BE(0) !== qid) return;
        clearTimeout(timer);
        resolve((bytes[3] ?? 0) & 0x0f);
      });
      socket.on('error', () => {
        clearTimeout(timer);
        resolve('timeout');
      });
      socket.send(query(qid), port, '127.0.0.1');
    });
    socket.close();
    inFlight--;
    results.push({ sentAt, ok: outcome === 0, outcome });
  };
  const timer = setInterval(() => pending.push(one()), PROBE_EVERY_MS);
  return {
    results,
    stop: async () => {
      clearInterval(timer);
      await Promise.all(pending);
    },
  };
}

/** Milliseconds from `t0` to the last unanswered query sent at or after it (0: none failed). */
function outageMs(
  results: readonly ProbeResult[],
  t0: number,
): { outageMs: number; failed: number; sent: number } {
  const after = results.filter((r) => r.sentAt >= t0);
  const failed = after.filter((r) => !r.ok);
  const last = failed.reduce((max, r) => Math.max(max, r.sentAt), t0);
  return {
    outageMs: failed.length === 0 ? 0 : last - t0 + PROBE_EVERY_MS,
    failed: failed.length,
    sent: after.length,
  };
}

describe('AWS failover through the load balancer: every replica in the DNS target group (real processes, fake AWS in time)', function () {
  this.timeout(120_000);
  let aws: FakeAws;
  let elb: ElasticLoadBalancingV2Client;
  let servingArn: string;
  let writesArn: string;
  let dnsPort: number;
  let group: RaftCluster;
  const port = 20_000 + Math.floor(Math.random() * 20_000);

  const targets = (arn: string) => aws.state().targetGroups.find((t) => t.arn === arn)?.targets ?? [];
  const healthyIds = (arn: string) =>
    targets(arn)
      .filter((t) => t.health === 'healthy')
      .map((t) => t.id)
      .sort();

  async function targetGroup(name: string): Promise<string> {
    const tg = (
      await elb.send(
        new CreateTargetGroupCommand({
          Name: name,
          Protocol: 'TCP_UDP',
          Port: 53,
          TargetType: 'ip',
          HealthCheckProtocol: DNS_HEALTH_CHECK.protocol,
          HealthCheckPort: DNS_HEALTH_CHECK.port,
          HealthCheckIntervalSeconds: DNS_HEALTH_CHECK.intervalSeconds,
          HealthCheckTimeoutSeconds: DNS_HEALTH_CHECK.timeoutSeconds,
          HealthyThresholdCount: DNS_HEALTH_CHECK.healthyThresholdCount,
          UnhealthyThresholdCount: DNS_HEALTH_CHECK.unhealthyThresholdCount,
        }),
      )
    ).TargetGroups?.[0]?.TargetGroupArn;
    if (tg === undefined) throw new Error('no target group');
    await elb.send(
      new ModifyTargetGroupAttributesCommand({
        TargetGroupArn: tg,
        Attributes: Object.entries(DNS_TARGET_GROUP_ATTRIBUTES).map(([Key, Value]) => ({ Key, Value })),
      }),
    );
    return tg;
  }

  async function allHealthy(timeoutMs: number): Promise<void> {
    const want = group.replicas.map((r) => addressOf(r.id)).sort();
    await pollUntil('every replica healthy in the DNS target group', timeoutMs, async () =>
      healthyIds(servingArn).join() === want.join() ? true : undefined,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}; targets ${JSON.stringify(targets(servingArn))}\n${group.logs(20)}`);
    });
  }

  before(async () => {
    console.log(`      DNS port ${port}, time scale ${TIME_SCALE}`);
    aws = await startFakeAws({ healthChecks: { timeScale: TIME_SCALE } });
    elb = new ElasticLoadBalancingV2Client({
      endpoint: aws.endpoint,
      region: 'us-east-1',
      credentials: aws.credentials,
      maxAttempts: 5,
    });
    const lb = (
      await elb.send(new CreateLoadBalancerCommand({ Name: 'nlb', Type: 'network', Subnets: ['subnet-1'] }))
    ).LoadBalancers?.[0]?.LoadBalancerArn;
    if (lb === undefined) throw new Error('no load balancer');
    servingArn = await targetGroup('dns');
    writesArn = await targetGroup('writes');
    const dnsListener = (
      await elb.send(
        new CreateListenerCommand({
          LoadBalancerArn: lb,
          Protocol: 'TCP_UDP',
          Port: 53,
          DefaultActions: [{ Type: 'forward', TargetGroupArn: servingArn }],
        }),
      )
    ).Listeners?.[0]?.ListenerArn;
    if (dnsListener === undefined) throw new Error('no listener');
    dnsPort = (await aws.openListener(dnsListener)).port;
    group = await RaftCluster.start({
      replicas: 3,
      dnsListen: (index) => [`127.0.0.${11 + index}:${port}`],
      extraArgs: () => [
        '--aws-target-group',
        writesArn,
        '--aws-serving-target-group',
        servingArn,
        '--aws-endpoint',
        aws.endpoint,
        '--aws-target-port',
        String(port),
        '--aws-reconcile-ms',
        String(RECONCILE_MS),
      ],
      env: {
        AWS_ACCESS_KEY_ID: aws.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: aws.credentials.secretAccessKey,
        AWS_EC2_METADATA_DISABLED: 'true',
      },
    });
    await group.waitForLeader(LEADER_TIMEOUT_MS);
    const client = await group.client();
    const clock = new HybridClock('nlb-failover-spec', () => Date.now());
    const created = await client.dnsBatch({
      changes: [
        createZoneChange(ZONE),
        {
          op: 'upsert',
          zone: ZONE,
          name: NAME,
          type: 'A',
          ttl: 60,
          rdata: ['192.0.2.1'],
          version: clock.next(),
        },
      ],
    });
    expect(created.ok, JSON.stringify(created)).to.equal(true);
    await allHealthy(10_000);
  });

  // A test that failed before restarting its replica must not fail the next ones too.
  afterEach(async () => {
    for (const replica of group?.replicas ?? []) if (!replica.running) await replica.start();
  });

  after(async () => {
    await group?.stop();
    elb?.destroy();
    await aws?.stop();
  });

  /** The outage after a prompt event (a kill): its tail must be clean, or it is not over. */
  async function measure(what: string, event: () => Promise<void>): Promise<number> {
    const o = await measureWindow(what, event);
    expect(o.outageMs, 'outage ran to the end of the window').to.be.below(WINDOW_MS - 1_000);
    return o.outageMs;
  }

  /**
   * Probes through the event and WINDOW_MS after it ends: how long after the event began
   * queries went unanswered, and how many did.
   */
  async function measureWindow(
    what: string,
    event: () => Promise<void>,
  ): Promise<{ readonly outageMs: number; readonly failed: number }> {
    const probe = startProbe(dnsPort);
    try {
      await pollUntil('the probe answered before the event', 5_000, async () =>
        probe.results.filter((r) => r.ok).length >= 20 ? true : undefined,
      );
      expect(probe.results.filter((r) => !r.ok).length, 'queries unanswered before the event').to.equal(0);
      const t0 = Date.now();
      await event();
      const eventMs = Date.now() - t0;
      await new Promise((resolve) => setTimeout(resolve, WINDOW_MS));
      await probe.stop();
      const o = outageMs(probe.results, t0);
      const failedAt = probe.results
        .filter((r) => r.sentAt >= t0 && !r.ok)
        .map((r) => `${r.sentAt - t0}${r.outcome === 'timeout' ? '' : `(${r.outcome})`}`);
      console.log(
        `      ${what} (${eventMs} ms): answered again after ${o.outageMs} ms, ${o.failed} of ${o.sent} queries unanswered` +
          (o.failed === 0
            ? ''
            : `, sent at +${failedAt.slice(0, 12).join(', +')}${failedAt.length > 12 ? ', …' : ''} ms`),
      );
      return o;
    } finally {
      await probe.stop();
    }
  }

  it('every replica registered in the DNS target group; only the leader in the writes target group', async () => {
    const leader = await group.waitForLeader(LEADER_TIMEOUT_MS);
    await pollUntil('only the leader healthy in the writes target group', 10_000, async () =>
      healthyIds(writesArn).join() === addressOf(leader.replica) ? true : undefined,
    );
    expect(healthyIds(servingArn)).to.deep.equal(group.replicas.map((r) => addressOf(r.id)).sort());
  });

  it('a follower SIGKILLed: queries through the load balancer answered again within the health checks’ detection bound', async () => {
    const leader = await group.waitForLeader(LEADER_TIMEOUT_MS);
    const follower = group.replicas.find((r) => r.id !== leader.replica);
    if (follower === undefined) throw new Error('no follower');
    const bound = aws.realMs(deathDetectionSecondsMax(DNS_HEALTH_CHECK)) + SLACK_MS;
    const outage = await measure(`follower ${follower.id} SIGKILL`, () => follower.kill('SIGKILL'));
    expect(outage).to.be.at.most(bound);
    await follower.start();
    await allHealthy(aws.realMs(registrationHealthySecondsMax(DNS_HEALTH_CHECK)) + 10_000);
  });

  it('the leader SIGKILLed: answered again within detection plus an election', async () => {
    const leader = await group.waitForLeader(LEADER_TIMEOUT_MS, (_, all) => all.length === 3);
    const old = group.replica(leader.replica);
    const bound = aws.realMs(deathDetectionSecondsMax(DNS_HEALTH_CHECK)) + ELECTION_ALLOWANCE_MS + SLACK_MS;
    let killedAt = 0;
    const outage = await measure(`leader ${old.id} SIGKILL`, () => {
      killedAt = Date.now();
      return old.kill('SIGKILL');
    });
    expect(outage).to.be.at.most(bound);
    const next = await group.waitForLeader(LEADER_TIMEOUT_MS, (s) => s.replica !== old.id);
    await pollUntil('the new leader alone healthy in the writes target group', 10_000, async () =>
      healthyIds(writesArn).join() === addressOf(next.replica) ? true : undefined,
    );
    // Writes (the leader-only listener) need the new leader registered and through its checks.
    const writesHealthy = aws
      .healthEvents()
      .find(
        (e) =>
          e.targetGroupArn === writesArn &&
          e.id === addressOf(next.replica) &&
          e.to === 'healthy' &&
          e.at >= killedAt,
      );
    const writesMs = (writesHealthy?.at ?? Number.POSITIVE_INFINITY) - killedAt;
    const writesBound =
      ELECTION_ALLOWANCE_MS + aws.realMs(registrationHealthySecondsMax(DNS_HEALTH_CHECK)) + SLACK_MS;
    console.log(`      writes listener reaches the new leader ${next.replica} ${writesMs} ms after the kill`);
    expect(writesMs).to.be.at.most(writesBound);
    await old.start();
    await allHealthy(aws.realMs(registrationHealthySecondsMax(DNS_HEALTH_CHECK)) + 10_000);
  });

  it('the leader restarted gracefully (SIGTERM, then started again): no query lost; it leaves the target group before it stops', async () => {
    const leader = await group.waitForLeader(LEADER_TIMEOUT_MS, (_, all) => all.length === 3);
    const old = group.replica(leader.replica);
    const self = addressOf(old.id);
    let outBeforeExit = false;
    const restartBound = aws.realMs(registrationHealthySecondsMax(DNS_HEALTH_CHECK)) + 10_000;
    const measured = await measureWindow(`leader ${old.id} SIGTERM and restart`, async () => {
      const exited = old.kill('SIGTERM');
      await pollUntil('the old leader out of the DNS target group', 5_000, async () =>
        targets(servingArn).every((t) => t.id !== self || t.health === 'draining') ? true : undefined,
      );
      outBeforeExit = old.running;
      await exited;
      await old.start();
      // It registers only once its DNS listeners are open and its copy caught up.
      await pollUntil(`${old.id} healthy in the DNS target group again`, restartBound, async () =>
        targets(servingArn).some((t) => t.id === self && t.health === 'healthy') ? true : undefined,
      );
    });
    const successor = await group.waitForLeader(LEADER_TIMEOUT_MS);
    console.log(
      `      out of the target group while still running: ${outBeforeExit}; ` +
        `terms: ${leader.term} (${leader.replica}) → ${successor.term} (${successor.replica})`,
    );
    expect(outBeforeExit, 'deregistered before the process exited').to.equal(true);
    expect(measured.failed, 'queries unanswered through the stop and the restart').to.equal(0);
  });
});
