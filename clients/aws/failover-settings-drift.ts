/**
 * Reads and repairs the DNS failover settings (dns-failover-settings.ts) of one region's
 * target group and load balancer: `status` reports the drift, `provision` repairs it with
 * ModifyTargetGroup, ModifyTargetGroupAttributes and ModifyLoadBalancerAttributes, each
 * sent only when something differs, so a re-run changes nothing.
 */
import {
  DescribeLoadBalancerAttributesCommand,
  DescribeTargetGroupAttributesCommand,
  type ElasticLoadBalancingV2Client,
  ModifyLoadBalancerAttributesCommand,
  ModifyTargetGroupAttributesCommand,
  ModifyTargetGroupCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  attributeDrift,
  DNS_HEALTH_CHECK,
  DNS_LOAD_BALANCER_ATTRIBUTES,
  DNS_TARGET_GROUP_ATTRIBUTES,
  type HealthCheckSettings,
  healthCheckDrift,
  type SettingDrift,
} from './dns-failover-settings.js';

export interface FailoverDrift {
  readonly healthCheck: readonly SettingDrift[];
  readonly targetGroupAttributes: readonly SettingDrift[];
  readonly loadBalancerAttributes: readonly SettingDrift[];
}

export function driftCount(d: FailoverDrift): number {
  return d.healthCheck.length + d.targetGroupAttributes.length + d.loadBalancerAttributes.length;
}

export async function targetGroupAttributes(
  elb: ElasticLoadBalancingV2Client,
  targetGroupArn: string,
): Promise<Map<string, string>> {
  const res = await elb.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: targetGroupArn }));
  return new Map(
    (res.Attributes ?? []).flatMap((a) => (a.Key === undefined ? [] : [[a.Key, a.Value ?? ''] as const])),
  );
}

export async function loadBalancerAttributes(
  elb: ElasticLoadBalancingV2Client,
  loadBalancerArn: string,
): Promise<Map<string, string>> {
  const res = await elb.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: loadBalancerArn }));
  return new Map(
    (res.Attributes ?? []).flatMap((a) => (a.Key === undefined ? [] : [[a.Key, a.Value ?? ''] as const])),
  );
}

/** What differs from the wanted settings; `healthCheck` is as DescribeTargetGroups gave it. */
export async function failoverDrift(
  elb: ElasticLoadBalancingV2Client,
  target: { readonly targetGroupArn: string; readonly healthCheck: Partial<HealthCheckSettings> },
  loadBalancerArn: string,
): Promise<FailoverDrift> {
  return {
    healthCheck: healthCheckDrift(target.healthCheck),
    targetGroupAttributes: attributeDrift(
      await targetGroupAttributes(elb, target.targetGroupArn),
      DNS_TARGET_GROUP_ATTRIBUTES,
    ),
    loadBalancerAttributes: attributeDrift(
      await loadBalancerAttributes(elb, loadBalancerArn),
      DNS_LOAD_BALANCER_ATTRIBUTES,
    ),
  };
}

/** Sends only the modifications `drift` calls for. */
export async function repairFailoverDrift(
  elb: ElasticLoadBalancingV2Client,
  drift: FailoverDrift,
  targetGroupArn: string,
  loadBalancerArn: string,
): Promise<void> {
  if (drift.healthCheck.length > 0)
    await elb.send(
      new ModifyTargetGroupCommand({
        TargetGroupArn: targetGroupArn,
        HealthCheckProtocol: DNS_HEALTH_CHECK.protocol,
        HealthCheckPort: DNS_HEALTH_CHECK.port,
        HealthCheckIntervalSeconds: DNS_HEALTH_CHECK.intervalSeconds,
        HealthCheckTimeoutSeconds: DNS_HEALTH_CHECK.timeoutSeconds,
        HealthyThresholdCount: DNS_HEALTH_CHECK.healthyThresholdCount,
        UnhealthyThresholdCount: DNS_HEALTH_CHECK.unhealthyThresholdCount,
      }),
    );
  if (drift.targetGroupAttributes.length > 0)
    await elb.send(
      new ModifyTargetGroupAttributesCommand({
        TargetGroupArn: targetGroupArn,
        Attributes: drift.targetGroupAttributes.map((d) => ({ Key: d.name, Value: d.wanted })),
      }),
    );
  if (drift.loadBalancerAttributes.length > 0)
    await elb.send(
      new ModifyLoadBalancerAttributesCommand({
        LoadBalancerArn: loadBalancerArn,
        Attributes: drift.loadBalancerAttributes.map((d) => ({ Key: d.name, Value: d.wanted })),
      }),
    );
}
