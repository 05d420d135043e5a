/**
 * `raftns aws provision`: for every group of the plan, in every region, a network load
 * balancer with a TCP_UDP listener on port 53 forwarding to the DNS target group (TCP_UDP,
 * port 53, target type `ip`, TCP health check on 53) where every replica that can serve
 * registers itself, and one on WRITES_PORT forwarding to the writes target group where the
 * leader alone registers, both with the health check, deregistration and cross-zone settings of
 * dns-failover-settings.ts enforced on new and existing resources; and for every group one Global Accelerator (listeners UDP 53 and TCP 53) with
 * one endpoint group per region pointing at that region's load balancer.
 *
 * Idempotent: it first finds what exists (aws-inventory.ts: by tags, names checked) and
 * creates only what is missing, so a re-run creates nothing. Everything it creates is
 * tagged (aws-names.ts). The result is stored in NATS KV (aws-plan-record.ts) for the
 * replicas. AWS calls are retried by the SDK (aws-clients.ts); a failure after its retries
 * ends the run, and running it again carries on from what exists.
 */
import {
  CreateListenerCommand as CreateElbListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DescribeLoadBalancersCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  CreateAcceleratorCommand,
  CreateEndpointGroupCommand,
  CreateListenerCommand as CreateGaListenerCommand,
  type GlobalAcceleratorClient,
  UpdateEndpointGroupCommand,
} from '@aws-sdk/client-global-accelerator';
import type { KV } from '@nats-io/kv';
import type { ClusterPlan, GroupPlan } from '../../protocol/plan.js';
import type { AwsClients } from './aws-clients.js';
import {
  acceleratorInventory,
  type ElbInventory,
  type ElbListener,
  elbInventory,
  type GaEndpointGroup,
  type GaListener,
  healthCheckOf,
  type ManagedAccelerator,
  type ManagedLoadBalancer,
  type ManagedTargetGroup,
  toElbListener,
} from './aws-inventory.js';
import {
  acceleratorName,
  acceleratorTags,
  loadBalancerName,
  regionTags,
  targetGroupName,
  writesTargetGroupName,
} from './aws-names.js';
import {
  AWS_RECORD_VERSION,
  type AwsGroupRecord,
  type AwsRecord,
  type AwsRegionRecord,
  writeAwsRecord,
} from './aws-plan-record.js';
import type { AwsSettings } from './aws-settings.js';
import {
  DNS_HEALTH_CHECK,
  ENDPOINT_WEIGHT,
  endpointGroupDrift,
  TRAFFIC_DIAL_PERCENTAGE,
} from './dns-failover-settings.js';
import { driftCount, failoverDrift, repairFailoverDrift } from './failover-settings-drift.js';

export const DNS_PORT = 53;
/**
 * The load balancer's port for writes (RFC 2136 UPDATE over UDP and TCP): forwarded to port
 * 53 of the group's leader alone, so an UPDATE reaches the replica that commits it.
 */
export const WRITES_PORT = 8053;
/** How long to wait for a new load balancer to leave `provisioning`, and how often to look. */
export const LOAD_BALANCER_WAIT_MS_DEFAULT = 10 * 60_000;
export const LOAD_BALANCER_POLL_MS_DEFAULT = 5_000;
const GA_PROTOCOLS = ['UDP', 'TCP'] as const;

export type ResourceKind =
  | 'load balancer'
  | 'target group'
  | 'failover settings'
  | 'listener'
  | 'accelerator'
  | 'accelerator listener'
  | 'endpoint group';

/** One line of progress: `us-east/org: load balancer rns-… created`. */
export interface ProgressStep {
  /** Absent for the accelerator and its listeners, which span the regions. */
  readonly region?: string;
  readonly group: string;
  readonly kind: ResourceKind;
  readonly name: string;
  readonly outcome: 'exists' | 'created' | 'updated';
}

export function formatStep(step: ProgressStep): string {
  const where = step.region === undefined ? step.group : `${step.region}/${step.group}`;
  return `${where}: ${step.kind} ${step.name} ${step.outcome}`;
}

/** A resource provisioning must not touch is in the way, or AWS answered something unusable. */
export class AwsProvisionError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AwsProvisionError';
  }
}

export interface ProvisionOptions {
  readonly clients: AwsClients;
  readonly plan: ClusterPlan;
  readonly settings: AwsSettings;
  /** The plan bucket: the record is written there (key `aws`). */
  readonly planKv: KV;
  /** Called for every resource, as it is found or created. */
  readonly progress?: (step: ProgressStep) => void;
  readonly loadBalancerWaitMs?: number;
  readonly loadBalancerPollMs?: number;
}

export interface ProvisionResult {
  readonly record: AwsRecord;
  readonly steps: readonly ProgressStep[];
  /** Resources created or updated by this run (0 on a re-run). */
  readonly changed: number;
}

/** Provisions what is missing and stores the record. See the file comment. */
export async function provision(options: ProvisionOptions): Promise<ProvisionResult> {
  const { plan, settings, clients } = options;
  const steps: ProgressStep[] = [];
  const report = (step: ProgressStep) => {
    steps.push(step);
    options.progress?.(step);
  };
  const regionRecords = new Map<string, Map<string, AwsRegionRecord>>();
  for (const region of plan.regions) {
    const s = settings.get(region);
    if (s === undefined) throw new AwsProvisionError(`no AWS settings for region ${region}`);
    const elb = clients.elbv2(s.awsRegion);
    const inventory = await elbInventory(elb, s.awsRegion, plan.cluster);
    for (const group of plan.groups) {
      const ctx = { elb, inventory, cluster: plan.cluster, region, group, subnets: s.subnets, report };
      const lb = await ensureLoadBalancer(ctx);
      const tg = await ensureTargetGroup(ctx, lb, targetGroupName(plan.cluster, region, group.id));
      await ensureFailoverSettings(ctx, lb, tg);
      const listener = await ensureElbListener(ctx, lb, tg, DNS_PORT);
      const writesTg = await ensureTargetGroup(
        ctx,
        lb,
        writesTargetGroupName(plan.cluster, region, group.id),
      );
      await ensureFailoverSettings(ctx, lb, writesTg);
      const writesListener = await ensureElbListener(ctx, lb, writesTg, WRITES_PORT);
      let byRegion = regionRecords.get(group.id);
      if (byRegion === undefined) {
        byRegion = new Map();
        regionRecords.set(group.id, byRegion);
      }
      byRegion.set(region, {
        awsRegion: s.awsRegion,
        loadBalancerArn: lb.arn,
        targetGroupArn: tg.arn,
        listenerArn: listener.arn,
        writesTargetGroupArn: writesTg.arn,
        writesListenerArn: writesListener.arn,
      });
    }
  }
  const ga = clients.globalAccelerator();
  const { accelerators } = await acceleratorInventory(ga, plan.cluster);
  const groups: Record<string, AwsGroupRecord> = {};
  for (const group of plan.groups) {
    const byRegion = regionRecords.get(group.id) ?? new Map<string, AwsRegionRecord>();
    for (const [region, r] of byRegion)
      await waitUntilActive(clients.elbv2(r.awsRegion), r.loadBalancerArn, region, options);
    const accelerator = await ensureAccelerator(ga, accelerators, plan.cluster, group, report);
    for (const protocol of GA_PROTOCOLS) {
      const listener = await ensureGaListener(ga, accelerator, protocol, group, report);
      for (const [region, r] of byRegion)
        await ensureEndpointGroup(ga, listener, protocol, region, r, group, report);
    }
    groups[group.id] = {
      acceleratorArn: accelerator.arn,
      staticAddresses: [...accelerator.staticAddresses],
      dnsName: accelerator.dnsName,
      regions: Object.fromEntries(byRegion),
    };
  }
  const record: AwsRecord = { version: AWS_RECORD_VERSION, groups };
  await writeAwsRecord(options.planKv, record);
  return { record, steps, changed: steps.filter((s) => s.outcome !== 'exists').length };
}

interface RegionContext {
  readonly elb: ElasticLoadBalancingV2Client;
  readonly inventory: ElbInventory;
  readonly cluster: string;
  readonly region: string;
  readonly group: GroupPlan;
  readonly subnets: readonly string[];
  readonly report: (step: ProgressStep) => void;
}

async function ensureLoadBalancer(ctx: RegionContext): Promise<ManagedLoadBalancer> {
  const name = loadBalancerName(ctx.cluster, ctx.region, ctx.group.id);
  const step = { region: ctx.region, group: ctx.group.id, kind: 'load balancer', name } as const;
  const found = ctx.inventory.loadBalancers.find((lb) => lb.name === name);
  if (found !== undefined) {
    ctx.report({ ...step, outcome: 'exists' });
    return found;
  }
  refuseForeign(ctx.inventory, name, 'load balancer');
  if (ctx.subnets.length === 0) throw new AwsProvisionError(`no subnets for region ${ctx.region}`);
  const res = await ctx.elb.send(
    new CreateLoadBalancerCommand({
      Name: name,
      Type: 'network',
      Scheme: 'internet-facing',
      IpAddressType: 'ipv4',
      Subnets: [...ctx.subnets],
      Tags: regionTags(ctx.cluster, ctx.region, ctx.group.id),
    }),
  );
  const lb = res.LoadBalancers?.[0];
  if (lb?.LoadBalancerArn === undefined)
    throw new AwsProvisionError(`CreateLoadBalancer ${name} answered no load balancer`);
  ctx.report({ ...step, outcome: 'created' });
  return {
    arn: lb.LoadBalancerArn,
    name,
    region: ctx.region,
    group: ctx.group.id,
    dnsName: lb.DNSName ?? '',
    state: lb.State?.Code,
    vpcId: lb.VpcId,
  };
}

async function ensureTargetGroup(
  ctx: RegionContext,
  lb: ManagedLoadBalancer,
  name: string,
): Promise<ManagedTargetGroup> {
  const step = { region: ctx.region, group: ctx.group.id, kind: 'target group', name } as const;
  const found = ctx.inventory.targetGroups.find((tg) => tg.name === name);
  if (found !== undefined) {
    ctx.report({ ...step, outcome: 'exists' });
    return found;
  }
  refuseForeign(ctx.inventory, name, 'target group');
  const res = await ctx.elb.send(
    new CreateTargetGroupCommand({
      Name: name,
      Protocol: 'TCP_UDP',
      Port: DNS_PORT,
      TargetType: 'ip',
      // Targets of type ip must be in the load balancer's VPC (or reachable from it).
      ...(lb.vpcId === undefined ? {} : { VpcId: lb.vpcId }),
      HealthCheckEnabled: true,
      HealthCheckProtocol: DNS_HEALTH_CHECK.protocol,
      HealthCheckPort: DNS_HEALTH_CHECK.port,
      HealthCheckIntervalSeconds: DNS_HEALTH_CHECK.intervalSeconds,
      HealthCheckTimeoutSeconds: DNS_HEALTH_CHECK.timeoutSeconds,
      HealthyThresholdCount: DNS_HEALTH_CHECK.healthyThresholdCount,
      UnhealthyThresholdCount: DNS_HEALTH_CHECK.unhealthyThresholdCount,
      Tags: regionTags(ctx.cluster, ctx.region, ctx.group.id),
    }),
  );
  const tg = res.TargetGroups?.[0];
  if (tg?.TargetGroupArn === undefined)
    throw new AwsProvisionError(`CreateTargetGroup ${name} answered no target group`);
  ctx.report({ ...step, outcome: 'created' });
  return {
    arn: tg.TargetGroupArn,
    name,
    region: ctx.region,
    group: ctx.group.id,
    healthCheck: healthCheckOf(tg),
  };
}

/** The health check, deregistration and cross-zone settings of dns-failover-settings.ts, on new and old resources alike. */
async function ensureFailoverSettings(
  ctx: RegionContext,
  lb: ManagedLoadBalancer,
  tg: ManagedTargetGroup,
): Promise<void> {
  const drift = await failoverDrift(ctx.elb, { targetGroupArn: tg.arn, healthCheck: tg.healthCheck }, lb.arn);
  const name = tg.name;
  const step = { region: ctx.region, group: ctx.group.id, kind: 'failover settings', name } as const;
  if (driftCount(drift) === 0) {
    ctx.report({ ...step, outcome: 'exists' });
    return;
  }
  await repairFailoverDrift(ctx.elb, drift, tg.arn, lb.arn);
  ctx.report({ ...step, outcome: 'updated' });
}

async function ensureElbListener(
  ctx: RegionContext,
  lb: ManagedLoadBalancer,
  tg: ManagedTargetGroup,
  port: number,
): Promise<ElbListener> {
  const name = `${lb.name}:${port}`;
  const step = { region: ctx.region, group: ctx.group.id, kind: 'listener', name } as const;
  const found = ctx.inventory.listeners.find((l) => l.loadBalancerArn === lb.arn && l.port === port);
  if (found !== undefined) {
    if (!found.targetGroupArns.includes(tg.arn))
      throw new AwsProvisionError(
        `the listener on port ${port} of ${lb.name} forwards elsewhere than ${tg.name}; remove it or run teardown`,
      );
    ctx.report({ ...step, outcome: 'exists' });
    return found;
  }
  const res = await ctx.elb.send(
    new CreateElbListenerCommand({
      LoadBalancerArn: lb.arn,
      Protocol: 'TCP_UDP',
      Port: port,
      DefaultActions: [{ Type: 'forward', TargetGroupArn: tg.arn }],
      Tags: regionTags(ctx.cluster, ctx.region, ctx.group.id),
    }),
  );
  const listener = res.Listeners?.[0] === undefined ? undefined : toElbListener(res.Listeners[0]);
  if (listener === undefined)
    throw new AwsProvisionError(`CreateListener on ${lb.name} answered no listener`);
  ctx.report({ ...step, outcome: 'created' });
  return { ...listener, loadBalancerArn: lb.arn, targetGroupArns: [tg.arn] };
}

function refuseForeign(inventory: ElbInventory, name: string, kind: string): void {
  if (inventory.foreignNames.has(name))
    throw new AwsProvisionError(
      `a ${kind} named ${name} exists in ${inventory.awsRegion} without this cluster's raftns tags; not touching it`,
    );
}

/** A load balancer must be active before Global Accelerator takes it as an endpoint. */
async function waitUntilActive(
  elb: ElasticLoadBalancingV2Client,
  arn: string,
  region: string,
  options: ProvisionOptions,
): Promise<void> {
  const waitMs = options.loadBalancerWaitMs ?? LOAD_BALANCER_WAIT_MS_DEFAULT;
  const pollMs = options.loadBalancerPollMs ?? LOAD_BALANCER_POLL_MS_DEFAULT;
  const deadline = Date.now() + waitMs;
  for (;;) {
    const res = await elb.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [arn] }));
    const state = res.LoadBalancers?.[0]?.State?.Code;
    // No state at all is taken as ready: nothing to wait for.
    if (state === undefined || state === 'active' || state === 'active_impaired') return;
    if (state === 'failed')
      throw new AwsProvisionError(`load balancer ${arn} in ${region} failed to provision`);
    if (Date.now() + pollMs > deadline)
      throw new AwsProvisionError(`load balancer ${arn} in ${region} still ${state} after ${waitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

async function ensureAccelerator(
  ga: GlobalAcceleratorClient,
  accelerators: readonly ManagedAccelerator[],
  cluster: string,
  group: GroupPlan,
  report: (step: ProgressStep) => void,
): Promise<ManagedAccelerator> {
  const name = acceleratorName(cluster, group.id);
  const found = accelerators.find((a) => a.group === group.id);
  if (found !== undefined) {
    report({ group: group.id, kind: 'accelerator', name: found.name, outcome: 'exists' });
    return found;
  }
  // The SDK fills IdempotencyToken once per call, so its retries cannot create two.
  const res = await ga.send(
    new CreateAcceleratorCommand({
      Name: name,
      IpAddressType: 'IPV4',
      Enabled: true,
      Tags: acceleratorTags(cluster, group.id),
    }),
  );
  const a = res.Accelerator;
  if (a?.AcceleratorArn === undefined)
    throw new AwsProvisionError(`CreateAccelerator ${name} answered no accelerator`);
  report({ group: group.id, kind: 'accelerator', name, outcome: 'created' });
  return {
    arn: a.AcceleratorArn,
    name,
    group: group.id,
    enabled: a.Enabled ?? true,
    status: a.Status,
    dnsName: a.DnsName ?? '',
    staticAddresses: (a.IpSets ?? []).flatMap((s) => s.IpAddresses ?? []),
    listeners: [],
  };
}

async function ensureGaListener(
  ga: GlobalAcceleratorClient,
  accelerator: ManagedAccelerator,
  protocol: (typeof GA_PROTOCOLS)[number],
  group: GroupPlan,
  report: (step: ProgressStep) => void,
): Promise<GaListener> {
  const name = `${accelerator.name}:${protocol}/${DNS_PORT}`;
  const found = accelerator.listeners.find(
    (l) => l.protocol === protocol && l.fromPort === DNS_PORT && l.toPort === DNS_PORT,
  );
  if (found !== undefined) {
    report({ group: group.id, kind: 'accelerator listener', name, outcome: 'exists' });
    return found;
  }
  const res = await ga.send(
    new CreateGaListenerCommand({
      AcceleratorArn: accelerator.arn,
      Protocol: protocol,
      PortRanges: [{ FromPort: DNS_PORT, ToPort: DNS_PORT }],
      ClientAffinity: 'NONE',
    }),
  );
  const arn = res.Listener?.ListenerArn;
  if (arn === undefined) throw new AwsProvisionError(`CreateListener ${name} answered no listener`);
  report({ group: group.id, kind: 'accelerator listener', name, outcome: 'created' });
  return { arn, protocol, fromPort: DNS_PORT, toPort: DNS_PORT, endpointGroups: [] };
}

async function ensureEndpointGroup(
  ga: GlobalAcceleratorClient,
  listener: GaListener,
  protocol: string,
  region: string,
  r: AwsRegionRecord,
  group: GroupPlan,
  report: (step: ProgressStep) => void,
): Promise<GaEndpointGroup> {
  const name = `${protocol}/${DNS_PORT}->${r.awsRegion}`;
  const step = { region, group: group.id, kind: 'endpoint group', name } as const;
  const endpoint = { EndpointId: r.loadBalancerArn, Weight: ENDPOINT_WEIGHT };
  const found = listener.endpointGroups.find((g) => g.awsRegion === r.awsRegion);
  if (found !== undefined) {
    if (endpointGroupDrift(found, r.loadBalancerArn).length === 0) {
      report({ ...step, outcome: 'exists' });
      return found;
    }
    // It points elsewhere (the load balancer was replaced), or its weight or dial changed:
    // point it at this one only, with full weight and dial.
    await ga.send(
      new UpdateEndpointGroupCommand({
        EndpointGroupArn: found.arn,
        EndpointConfigurations: [endpoint],
        TrafficDialPercentage: TRAFFIC_DIAL_PERCENTAGE,
      }),
    );
    report({ ...step, outcome: 'updated' });
    return {
      ...found,
      endpointIds: [r.loadBalancerArn],
      weights: new Map([[r.loadBalancerArn, ENDPOINT_WEIGHT]]),
      trafficDialPercentage: TRAFFIC_DIAL_PERCENTAGE,
    };
  }
  const res = await ga.send(
    new CreateEndpointGroupCommand({
      ListenerArn: listener.arn,
      EndpointGroupRegion: r.awsRegion,
      EndpointConfigurations: [endpoint],
      TrafficDialPercentage: TRAFFIC_DIAL_PERCENTAGE,
    }),
  );
  const arn = res.EndpointGroup?.EndpointGroupArn;
  if (arn === undefined)
    throw new AwsProvisionError(`CreateEndpointGroup ${name} answered no endpoint group`);
  report({ ...step, outcome: 'created' });
  return {
    arn,
    awsRegion: r.awsRegion,
    endpointIds: [r.loadBalancerArn],
    health: new Map(),
    weights: new Map([[r.loadBalancerArn, ENDPOINT_WEIGHT]]),
    trafficDialPercentage: TRAFFIC_DIAL_PERCENTAGE,
  };
}
