/**
 * What raftns-managed AWS resources exist for a cluster: found by listing and reading tags
 * (`raftns:managed=true`, `raftns:cluster=<cluster>`), never by trusting names alone — a
 * resource with one of our names but without our tags is reported as foreign, and nothing
 * here or in provisioning or teardown touches it. Nothing here writes.
 */
import {
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  type ElasticLoadBalancingV2Client,
  type Listener,
  type LoadBalancer,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  type Accelerator,
  type GlobalAcceleratorClient,
  ListAcceleratorsCommand,
  ListEndpointGroupsCommand,
  ListListenersCommand,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-global-accelerator';
import { elbNamePrefix, isManagedBy, TAG_GROUP, TAG_REGION, tagMap } from './aws-names.js';
import type { HealthCheckSettings } from './dns-failover-settings.js';

/** Pages listed per call, and a bound on pages (a runaway marker cannot loop forever). */
const ELB_PAGE_SIZE = 400;
const GA_PAGE_SIZE = 100;
const PAGES_MAX = 1_000;
/** DescribeTags takes at most 20 ARNs. */
const DESCRIBE_TAGS_ARNS_MAX = 20;

export interface ManagedLoadBalancer {
  readonly arn: string;
  readonly name: string;
  readonly region: string;
  readonly group: string;
  readonly dnsName: string;
  /** `provisioning`, `active`, `active_impaired`, `failed`; undefined if AWS did not say. */
  readonly state: string | undefined;
  readonly vpcId: string | undefined;
}

export interface ManagedTargetGroup {
  readonly arn: string;
  readonly name: string;
  readonly region: string;
  readonly group: string;
  /** As DescribeTargetGroups reported it (fields AWS left out are absent). */
  readonly healthCheck: Partial<HealthCheckSettings>;
}

export interface ElbListener {
  readonly arn: string;
  readonly loadBalancerArn: string;
  readonly protocol: string | undefined;
  readonly port: number | undefined;
  /** Target groups of its forward actions. */
  readonly targetGroupArns: readonly string[];
}

/** One AWS region's ELBv2 resources of the cluster. */
export interface ElbInventory {
  readonly awsRegion: string;
  readonly loadBalancers: readonly ManagedLoadBalancer[];
  readonly targetGroups: readonly ManagedTargetGroup[];
  /** Listeners of the managed load balancers. */
  readonly listeners: readonly ElbListener[];
  /** Names carrying the cluster's prefix whose resources are not tagged as ours. */
  readonly foreignNames: ReadonlySet<string>;
}

export interface GaEndpointGroup {
  readonly arn: string;
  /** The AWS region it sends traffic to. */
  readonly awsRegion: string;
  readonly endpointIds: readonly string[];
  /** Endpoint health as Global Accelerator sees it, by endpoint id. */
  readonly health: ReadonlyMap<string, string>;
  /** Endpoint weights, by endpoint id. */
  readonly weights: ReadonlyMap<string, number>;
  readonly trafficDialPercentage: number | undefined;
}

export interface GaListener {
  readonly arn: string;
  readonly protocol: string | undefined;
  readonly fromPort: number | undefined;
  readonly toPort: number | undefined;
  readonly endpointGroups: readonly GaEndpointGroup[];
}

export interface ManagedAccelerator {
  readonly arn: string;
  readonly name: string;
  readonly group: string;
  readonly enabled: boolean;
  /** `DEPLOYED` or `IN_PROGRESS`. */
  readonly status: string | undefined;
  readonly dnsName: string;
  readonly staticAddresses: readonly string[];
  readonly listeners: readonly GaListener[];
}

/** The cluster's load balancers, target groups and their listeners in one AWS region. */
export async function elbInventory(
  client: ElasticLoadBalancingV2Client,
  awsRegion: string,
  cluster: string,
): Promise<ElbInventory> {
  const prefix = elbNamePrefix(cluster);
  const lbs = (await allLoadBalancers(client)).filter((lb) => lb.LoadBalancerName?.startsWith(prefix));
  const tgs = (await allTargetGroups(client)).filter((tg) => tg.TargetGroupName?.startsWith(prefix));
  const tags = await elbTags(client, [
    ...lbs.flatMap((lb) => (lb.LoadBalancerArn === undefined ? [] : [lb.LoadBalancerArn])),
    ...tgs.flatMap((tg) => (tg.TargetGroupArn === undefined ? [] : [tg.TargetGroupArn])),
  ]);
  const foreignNames = new Set<string>();
  const loadBalancers: ManagedLoadBalancer[] = [];
  for (const lb of lbs) {
    const t = tags.get(lb.LoadBalancerArn ?? '') ?? new Map<string, string>();
    if (lb.LoadBalancerArn === undefined || lb.LoadBalancerName === undefined) continue;
    if (!isManagedBy(t, cluster)) {
      foreignNames.add(lb.LoadBalancerName);
      continue;
    }
    loadBalancers.push({
      arn: lb.LoadBalancerArn,
      name: lb.LoadBalancerName,
      region: t.get(TAG_REGION) ?? '',
      group: t.get(TAG_GROUP) ?? '',
      dnsName: lb.DNSName ?? '',
      state: lb.State?.Code,
      vpcId: lb.VpcId,
    });
  }
  const targetGroups: ManagedTargetGroup[] = [];
  for (const tg of tgs) {
    const t = tags.get(tg.TargetGroupArn ?? '') ?? new Map<string, string>();
    if (tg.TargetGroupArn === undefined || tg.TargetGroupName === undefined) continue;
    if (!isManagedBy(t, cluster)) {
      foreignNames.add(tg.TargetGroupName);
      continue;
    }
    targetGroups.push({
      arn: tg.TargetGroupArn,
      name: tg.TargetGroupName,
      region: t.get(TAG_REGION) ?? '',
      group: t.get(TAG_GROUP) ?? '',
      healthCheck: healthCheckOf(tg),
    });
  }
  const listeners: ElbListener[] = [];
  for (const lb of loadBalancers) listeners.push(...(await elbListeners(client, lb.arn)));
  return { awsRegion, loadBalancers, targetGroups, listeners, foreignNames };
}

/** The health check settings of a described target group. */
export function healthCheckOf(tg: TargetGroup): Partial<HealthCheckSettings> {
  return {
    ...(tg.HealthCheckProtocol === 'TCP' ? { protocol: 'TCP' as const } : {}),
    ...(tg.HealthCheckPort === undefined ? {} : { port: tg.HealthCheckPort }),
    ...(tg.HealthCheckIntervalSeconds === undefined
      ? {}
      : { intervalSeconds: tg.HealthCheckIntervalSeconds }),
    ...(tg.HealthCheckTimeoutSeconds === undefined ? {} : { timeoutSeconds: tg.HealthCheckTimeoutSeconds }),
    ...(tg.HealthyThresholdCount === undefined ? {} : { healthyThresholdCount: tg.HealthyThresholdCount }),
    ...(tg.UnhealthyThresholdCount === undefined
      ? {}
      : { unhealthyThresholdCount: tg.UnhealthyThresholdCount }),
  };
}

/** The listeners of one load balancer. */
export async function elbListeners(
  client: ElasticLoadBalancingV2Client,
  loadBalancerArn: string,
): Promise<ElbListener[]> {
  const out: ElbListener[] = [];
  let marker: string | undefined;
  for (let page = 0; page < PAGES_MAX; page++) {
    const res = await client.send(
      new DescribeListenersCommand({
        LoadBalancerArn: loadBalancerArn,
        PageSize: ELB_PAGE_SIZE,
        ...(marker === undefined ? {} : { Marker: marker }),
      }),
    );
    for (const l of res.Listeners ?? []) {
      const listener = toElbListener(l);
      if (listener !== undefined) out.push(listener);
    }
    marker = res.NextMarker;
    if (marker === undefined || marker === '') break;
  }
  return out;
}

export function toElbListener(l: Listener): ElbListener | undefined {
  if (l.ListenerArn === undefined) return undefined;
  return {
    arn: l.ListenerArn,
    loadBalancerArn: l.LoadBalancerArn ?? '',
    protocol: l.Protocol,
    port: l.Port,
    targetGroupArns: (l.DefaultActions ?? []).flatMap((a) => [
      ...(a.TargetGroupArn === undefined ? [] : [a.TargetGroupArn]),
      ...(a.ForwardConfig?.TargetGroups ?? []).flatMap((t) =>
        t.TargetGroupArn === undefined ? [] : [t.TargetGroupArn],
      ),
    ]),
  };
}

async function allLoadBalancers(client: ElasticLoadBalancingV2Client): Promise<LoadBalancer[]> {
  const out: LoadBalancer[] = [];
  let marker: string | undefined;
  for (let page = 0; page < PAGES_MAX; page++) {
    const res = await client.send(
      new DescribeLoadBalancersCommand({
        PageSize: ELB_PAGE_SIZE,
        ...(marker === undefined ? {} : { Marker: marker }),
      }),
    );
    out.push(...(res.LoadBalancers ?? []));
    marker = res.NextMarker;
    if (marker === undefined || marker === '') break;
  }
  return out;
}

async function allTargetGroups(client: ElasticLoadBalancingV2Client): Promise<TargetGroup[]> {
  const out: TargetGroup[] = [];
  let marker: string | undefined;
  for (let page = 0; page < PAGES_MAX; page++) {
    const res = await client.send(
      new DescribeTargetGroupsCommand({
        PageSize: ELB_PAGE_SIZE,
        ...(marker === undefined ? {} : { Marker: marker }),
      }),
    );
    out.push(...(res.TargetGroups ?? []));
    marker = res.NextMarker;
    if (marker === undefined || marker === '') break;
  }
  return out;
}

async function elbTags(
  client: ElasticLoadBalancingV2Client,
  arns: readonly string[],
): Promise<Map<string, Map<string, string>>> {
  const out = new Map<string, Map<string, string>>();
  for (let i = 0; i < arns.length; i += DESCRIBE_TAGS_ARNS_MAX) {
    const res = await client.send(
      new DescribeTagsCommand({ ResourceArns: arns.slice(i, i + DESCRIBE_TAGS_ARNS_MAX) }),
    );
    for (const d of res.TagDescriptions ?? [])
      if (d.ResourceArn !== undefined) out.set(d.ResourceArn, tagMap(d.Tags));
  }
  return out;
}

/** The cluster's accelerators with their listeners and endpoint groups. */
export async function acceleratorInventory(
  client: GlobalAcceleratorClient,
  cluster: string,
): Promise<{
  readonly accelerators: readonly ManagedAccelerator[];
  readonly foreignNames: ReadonlySet<string>;
}> {
  const all: Accelerator[] = [];
  let token: string | undefined;
  for (let page = 0; page < PAGES_MAX; page++) {
    const res = await client.send(
      new ListAcceleratorsCommand({
        MaxResults: GA_PAGE_SIZE,
        ...(token === undefined ? {} : { NextToken: token }),
      }),
    );
    all.push(...(res.Accelerators ?? []));
    token = res.NextToken;
    if (token === undefined || token === '') break;
  }
  const prefix = `rns-`;
  const accelerators: ManagedAccelerator[] = [];
  const foreignNames = new Set<string>();
  for (const a of all) {
    if (a.AcceleratorArn === undefined) continue;
    const tags = tagMap(
      (await client.send(new ListTagsForResourceCommand({ ResourceArn: a.AcceleratorArn }))).Tags,
    );
    if (!isManagedBy(tags, cluster)) {
      if (a.Name?.startsWith(prefix)) foreignNames.add(a.Name);
      continue;
    }
    accelerators.push({
      arn: a.AcceleratorArn,
      name: a.Name ?? '',
      group: tags.get(TAG_GROUP) ?? '',
      enabled: a.Enabled ?? false,
      status: a.Status,
      dnsName: a.DnsName ?? '',
      staticAddresses: (a.IpSets ?? []).flatMap((s) => s.IpAddresses ?? []),
      listeners: await gaListeners(client, a.AcceleratorArn),
    });
  }
  return { accelerators, foreignNames };
}

/** The listeners of one accelerator, each with its endpoint groups. */
export async function gaListeners(
  client: GlobalAcceleratorClient,
  acceleratorArn: string,
): Promise<GaListener[]> {
  const out: GaListener[] = [];
  let token: string | undefined;
  for (let page = 0; page < PAGES_MAX; page++) {
    const res = await client.send(
      new ListListenersCommand({
        AcceleratorArn: acceleratorArn,
        MaxResults: GA_PAGE_SIZE,
        ...(token === undefined ? {} : { NextToken: token }),
      }),
    );
    for (const l of res.Listeners ?? []) {
      if (l.ListenerArn === undefined) continue;
      const range = l.PortRanges?.[0];
      out.push({
        arn: l.ListenerArn,
        protocol: l.Protocol,
        fromPort: range?.FromPort,
        toPort: range?.ToPort,
        endpointGroups: await gaEndpointGroups(client, l.ListenerArn),
      });
    }
    token = res.NextToken;
    if (token === undefined || token === '') break;
  }
  return out;
}

async function gaEndpointGroups(
  client: GlobalAcceleratorClient,
  listenerArn: string,
): Promise<GaEndpointGroup[]> {
  const out: GaEndpointGroup[] = [];
  let token: string | undefined;
  for (let page = 0; page < PAGES_MAX; page++) {
    const res = await client.send(
      new ListEndpointGroupsCommand({
        ListenerArn: listenerArn,
        MaxResults: GA_PAGE_SIZE,
        ...(token === undefined ? {} : { NextToken: token }),
      }),
    );
    for (const g of res.EndpointGroups ?? []) {
      if (g.EndpointGroupArn === undefined) continue;
      const endpoints = g.EndpointDescriptions ?? [];
      out.push({
        arn: g.EndpointGroupArn,
        awsRegion: g.EndpointGroupRegion ?? '',
        endpointIds: endpoints.flatMap((e) => (e.EndpointId === undefined ? [] : [e.EndpointId])),
        health: new Map(
          endpoints.flatMap((e) =>
            e.EndpointId === undefined ? [] : [[e.EndpointId, e.HealthState ?? 'unknown']],
          ),
        ),
        weights: new Map(
          endpoints.flatMap((e) =>
            e.EndpointId === undefined || e.Weight === undefined ? [] : [[e.EndpointId, e.Weight]],
          ),
        ),
        trafficDialPercentage: g.TrafficDialPercentage,
      });
    }
    token = res.NextToken;
    if (token === undefined || token === '') break;
  }
  return out;
}
