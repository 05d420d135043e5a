/**
 * `raftns aws status`: per region and group, what exists (load balancer, target group,
 * listener, the group's accelerator with its UDP and TCP listeners and this region's
 * endpoint groups), the health of the target group's targets (DescribeTargetHealth), and
 * which replica the load balancer routes to: a healthy target's IP mapped to the instance
 * registered with that DNS address in the region (bootstrap/registry.ts), and the failover
 * settings that drifted from dns-failover-settings.ts.
 *
 * A (region, group) is fine when everything exists with the failover settings, at least one
 * target of the DNS target group is healthy, and exactly one of the writes target group
 * (the group's leader). Nothing here writes.
 */
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { InstanceRegistration } from '../../bootstrap/registry.js';
import type { ClusterPlan } from '../../protocol/plan.js';
import type { AwsClients } from './aws-clients.js';
import { acceleratorInventory, type ElbInventory, elbInventory } from './aws-inventory.js';
import { loadBalancerName, targetGroupName, writesTargetGroupName } from './aws-names.js';
import { DNS_PORT, WRITES_PORT } from './aws-provisioner.js';
import type { AwsSettings } from './aws-settings.js';
import { endpointGroupDrift, formatDrift } from './dns-failover-settings.js';
import { failoverDrift } from './failover-settings-drift.js';

export interface TargetRow {
  readonly ip: string;
  readonly port: number | undefined;
  /** `healthy`, `unhealthy`, `initial`, `draining`, `unused`, `unavailable`. */
  readonly state: string;
  /** The registered instance with this DNS address in the region; null if none. */
  readonly instanceId: string | null;
}

export interface GroupStatus {
  readonly region: string;
  readonly awsRegion: string;
  readonly group: string;
  readonly loadBalancer: {
    readonly arn: string;
    readonly dnsName: string;
    readonly state: string | null;
  } | null;
  readonly targetGroupArn: string | null;
  readonly listenerArn: string | null;
  readonly acceleratorArn: string | null;
  readonly staticAddresses: readonly string[];
  /** Protocols (`UDP`, `TCP`) whose accelerator listener has an endpoint group to this region's load balancer. */
  readonly endpointGroups: readonly string[];
  readonly targets: readonly TargetRow[];
  /** Failover settings that differ from dns-failover-settings.ts (`provision` repairs them). */
  readonly settingsDrift: readonly string[];
  /** The healthy targets of the DNS target group: where queries go (every replica that can serve). */
  readonly routesTo: readonly TargetRow[];
  readonly writesTargetGroupArn: string | null;
  readonly writesListenerArn: string | null;
  /** The healthy targets of the writes target group: the leader, alone. */
  readonly writesTo: readonly TargetRow[];
  /** What is wrong; empty when fine. */
  readonly problems: readonly string[];
}

export interface StatusOptions {
  readonly clients: AwsClients;
  readonly plan: ClusterPlan;
  readonly settings: AwsSettings;
  /** Live registrations (liveInstances), to name the replica behind a target's IP. */
  readonly registrations: readonly InstanceRegistration[];
}

/** Every (region, group) of the plan, regions in plan order, groups in plan order. */
export async function awsStatus(options: StatusOptions): Promise<GroupStatus[]> {
  const { plan, settings, clients } = options;
  const { accelerators } = await acceleratorInventory(clients.globalAccelerator(), plan.cluster);
  const rows: GroupStatus[] = [];
  for (const region of plan.regions) {
    const awsRegion = settings.get(region)?.awsRegion ?? region;
    const elb = clients.elbv2(awsRegion);
    const inventory: ElbInventory = await elbInventory(elb, awsRegion, plan.cluster);
    for (const group of plan.groups) {
      const problems: string[] = [];
      const lb = inventory.loadBalancers.find(
        (x) => x.name === loadBalancerName(plan.cluster, region, group.id),
      );
      const tg = inventory.targetGroups.find(
        (x) => x.name === targetGroupName(plan.cluster, region, group.id),
      );
      const listener =
        lb === undefined
          ? undefined
          : inventory.listeners.find((l) => l.loadBalancerArn === lb.arn && l.port === DNS_PORT);
      if (lb === undefined) problems.push('load balancer missing');
      if (tg === undefined) problems.push('target group missing');
      if (lb !== undefined && listener === undefined) problems.push('listener missing');
      if (listener !== undefined && tg !== undefined && !listener.targetGroupArns.includes(tg.arn))
        problems.push('listener does not forward to the target group');
      const accelerator = accelerators.find((a) => a.group === group.id);
      if (accelerator === undefined) problems.push('accelerator missing');
      const endpointGroups: string[] = [];
      const settingsDrift: string[] = [];
      for (const protocol of ['UDP', 'TCP']) {
        const l = accelerator?.listeners.find(
          (x) => x.protocol === protocol && x.fromPort === DNS_PORT && x.toPort === DNS_PORT,
        );
        if (accelerator !== undefined && l === undefined)
          problems.push(`accelerator listener ${protocol} missing`);
        const eg = l?.endpointGroups.find((g) => g.awsRegion === awsRegion);
        if (eg !== undefined && lb !== undefined && eg.endpointIds.includes(lb.arn)) {
          endpointGroups.push(protocol);
          const drift = endpointGroupDrift(eg, lb.arn).map((d) => `${protocol} endpoint ${formatDrift(d)}`);
          settingsDrift.push(...drift);
          if (drift.length > 0) problems.push(`settings drift: ${drift.join(', ')}`);
          // The accelerator fails this region over to another one while it sees it so.
          const health = eg.health.get(lb.arn);
          if (health !== undefined && health !== 'HEALTHY')
            problems.push(`accelerator sees the load balancer ${health.toLowerCase()} (${protocol})`);
        } else if (l !== undefined) problems.push(`endpoint group ${protocol} to ${awsRegion} missing`);
      }
      if (tg !== undefined && lb !== undefined) {
        const drift = await failoverDrift(
          elb,
          { targetGroupArn: tg.arn, healthCheck: tg.healthCheck },
          lb.arn,
        );
        settingsDrift.push(
          ...[...drift.healthCheck, ...drift.targetGroupAttributes, ...drift.loadBalancerAttributes].map(
            formatDrift,
          ),
        );
        if (settingsDrift.length > 0) problems.push(`settings drift: ${settingsDrift.join(', ')}`);
      }
      const describe = async (arn: string): Promise<TargetRow[]> => {
        const res = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }));
        return (res.TargetHealthDescriptions ?? []).flatMap((d) => {
          const ip = d.Target?.Id;
          if (ip === undefined) return [];
          const owner = options.registrations.find((r) => r.region === region && r.dnsAddresses.includes(ip));
          return [
            {
              ip,
              port: d.Target?.Port,
              state: d.TargetHealth?.State ?? 'unknown',
              instanceId: owner?.instanceId ?? null,
            },
          ];
        });
      };
      const named = (rows: readonly TargetRow[]) => rows.map((t) => t.instanceId ?? t.ip).join(', ');
      const targets = tg === undefined ? [] : await describe(tg.arn);
      const routesTo = targets.filter((t) => t.state === 'healthy');
      if (tg !== undefined && routesTo.length === 0) problems.push('routes to no target');
      const writesTg = inventory.targetGroups.find(
        (x) => x.name === writesTargetGroupName(plan.cluster, region, group.id),
      );
      const writesListener =
        lb === undefined
          ? undefined
          : inventory.listeners.find((l) => l.loadBalancerArn === lb.arn && l.port === WRITES_PORT);
      if (writesTg === undefined) problems.push('writes target group missing');
      if (lb !== undefined && writesListener === undefined) problems.push('writes listener missing');
      if (
        writesListener !== undefined &&
        writesTg !== undefined &&
        !writesListener.targetGroupArns.includes(writesTg.arn)
      )
        problems.push('writes listener does not forward to the writes target group');
      if (writesTg !== undefined && lb !== undefined) {
        const drift = await failoverDrift(
          elb,
          { targetGroupArn: writesTg.arn, healthCheck: writesTg.healthCheck },
          lb.arn,
        );
        const lines = [...drift.healthCheck, ...drift.targetGroupAttributes].map(
          (d) => `writes ${formatDrift(d)}`,
        );
        settingsDrift.push(...lines);
        if (lines.length > 0) problems.push(`settings drift: ${lines.join(', ')}`);
      }
      const writesTo =
        writesTg === undefined ? [] : (await describe(writesTg.arn)).filter((t) => t.state === 'healthy');
      if (writesTg !== undefined && writesTo.length === 0) problems.push('writes route to no target');
      // Only the leader belongs there: several mean a deposed leader is still registered.
      if (writesTo.length > 1)
        problems.push(`writes route to ${writesTo.length} targets: ${named(writesTo)}`);
      rows.push({
        region,
        awsRegion,
        group: group.id,
        loadBalancer: lb === undefined ? null : { arn: lb.arn, dnsName: lb.dnsName, state: lb.state ?? null },
        targetGroupArn: tg?.arn ?? null,
        listenerArn: listener?.arn ?? null,
        acceleratorArn: accelerator?.arn ?? null,
        staticAddresses: accelerator?.staticAddresses ?? [],
        endpointGroups,
        settingsDrift,
        targets,
        routesTo,
        writesTargetGroupArn: writesTg?.arn ?? null,
        writesListenerArn: writesListener?.arn ?? null,
        writesTo,
        problems,
      });
    }
  }
  return rows;
}

/** A table of the rows, one line per (region, group). */
export function statusTable(rows: readonly GroupStatus[]): string {
  const header = [
    'region',
    'group',
    'aws-region',
    'nlb',
    'tg',
    'listener',
    'accelerator',
    'endpoints',
    'routes to',
    'writes to',
    'problems',
  ];
  const cells = rows.map((r) => [
    r.region,
    r.group,
    r.awsRegion,
    r.loadBalancer === null ? 'missing' : (r.loadBalancer.state ?? 'exists'),
    r.targetGroupArn === null ? 'missing' : 'exists',
    r.listenerArn === null ? 'missing' : 'exists',
    r.acceleratorArn === null ? 'missing' : r.staticAddresses.join(',') || 'exists',
    r.endpointGroups.join(',') || '-',
    r.routesTo.map((t) => `${t.instanceId ?? '?'}(${t.ip})`).join(',') || '-',
    r.writesTo.map((t) => `${t.instanceId ?? '?'}(${t.ip})`).join(',') || '-',
    r.problems.join('; ') || 'ok',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  const line = (c: readonly string[]) =>
    c
      .map((x, i) => x.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...cells.map(line)].join('\n');
}
