/**
 * The target group and load balancer settings that make a Network Load Balancer move DNS
 * traffic off a dead replica in seconds, what AWS uses when they are not set, and the
 * worst-case times both give (docs/AWS.md, "How fast traffic moves").
 *
 * Ranges are AWS's (ELBv2 API reference, CreateTargetGroup and TargetGroupAttribute; the
 * NLB guide, "Health checks for Network Load Balancer target groups"): interval 5–300 s,
 * timeout 2–120 s, healthy and unhealthy thresholds 2–10, deregistration delay 0–3600 s.
 * A TCP health check passes when a TCP connection to the target's traffic port opens
 * within the timeout; UDP and TCP_UDP target groups cannot be checked over UDP, so a
 * replica's TCP listener on 53 stands for its DNS service.
 */

export interface HealthCheckSettings {
  readonly protocol: 'TCP';
  /** `traffic-port`, or a port number as a string. */
  readonly port: string;
  readonly intervalSeconds: number;
  readonly timeoutSeconds: number;
  readonly healthyThresholdCount: number;
  readonly unhealthyThresholdCount: number;
}

/** The fastest AWS allows for a TCP health check. */
export const DNS_HEALTH_CHECK: HealthCheckSettings = {
  protocol: 'TCP',
  port: 'traffic-port',
  intervalSeconds: 5,
  timeoutSeconds: 2,
  healthyThresholdCount: 2,
  unhealthyThresholdCount: 2,
};

/** AWS's defaults for a TCP_UDP target group (CreateTargetGroup without health check settings). */
export const AWS_DEFAULT_HEALTH_CHECK: HealthCheckSettings = {
  protocol: 'TCP',
  port: 'traffic-port',
  intervalSeconds: 30,
  timeoutSeconds: 10,
  healthyThresholdCount: 5,
  unhealthyThresholdCount: 2,
};

/** Target group attribute keys (ModifyTargetGroupAttributes). */
export const DEREGISTRATION_DELAY = 'deregistration_delay.timeout_seconds';
export const DEREGISTRATION_CONNECTION_TERMINATION = 'deregistration_delay.connection_termination.enabled';
/** Load balancer attribute key (ModifyLoadBalancerAttributes). */
export const CROSS_ZONE = 'load_balancing.cross_zone.enabled';

/**
 * A deregistered replica gets no new flows at once; the delay only lets open flows finish,
 * and a DNS exchange is one datagram or one short TCP connection, so none is kept, and the
 * connections still open are reset rather than left to a replica that is leaving.
 */
export const DNS_TARGET_GROUP_ATTRIBUTES: Readonly<Record<string, string>> = {
  [DEREGISTRATION_DELAY]: '0',
  [DEREGISTRATION_CONNECTION_TERMINATION]: 'true',
};
export const AWS_DEFAULT_TARGET_GROUP_ATTRIBUTES: Readonly<Record<string, string>> = {
  [DEREGISTRATION_DELAY]: '300',
  [DEREGISTRATION_CONNECTION_TERMINATION]: 'false',
};

/**
 * Each NLB node routes only to healthy targets in its own zone unless cross-zone load
 * balancing is on; with a group's replicas in fewer zones than the load balancer's subnets,
 * a node would have no healthy target of its own and fail open.
 */
export const DNS_LOAD_BALANCER_ATTRIBUTES: Readonly<Record<string, string>> = {
  [CROSS_ZONE]: 'true',
};
export const AWS_DEFAULT_LOAD_BALANCER_ATTRIBUTES: Readonly<Record<string, string>> = {
  [CROSS_ZONE]: 'false',
};

/**
 * Global Accelerator: every region's load balancer keeps full weight and a full traffic
 * dial. A region is drained by health, not by hand: Global Accelerator takes a load
 * balancer endpoint's health from the load balancer's target health checks, and when an
 * endpoint group has no healthy endpoint of weight > 0 it fails over to the nearest other
 * region that has one (trying up to three), ignoring traffic dials; with none anywhere it
 * fails open ("How failover works for unhealthy endpoints", Global Accelerator guide). A
 * region whose group cannot serve has no healthy target: its replicas took themselves out
 * after `unservingGraceMs` without a leader, or fail their checks.
 */
export const ENDPOINT_WEIGHT = 128;
export const TRAFFIC_DIAL_PERCENTAGE = 100;

/** One setting that differs from what it should be: `HealthCheckIntervalSeconds 30 (want 5)`. */
export interface SettingDrift {
  readonly name: string;
  readonly actual: string;
  readonly wanted: string;
}

export function formatDrift(d: SettingDrift): string {
  return `${d.name} ${d.actual} (want ${d.wanted})`;
}

/** The health check fields (named as in the API) that differ from `wanted`. */
export function healthCheckDrift(
  actual: Partial<HealthCheckSettings>,
  wanted: HealthCheckSettings = DNS_HEALTH_CHECK,
): SettingDrift[] {
  const fields: ReadonlyArray<readonly [string, keyof HealthCheckSettings]> = [
    ['HealthCheckProtocol', 'protocol'],
    ['HealthCheckPort', 'port'],
    ['HealthCheckIntervalSeconds', 'intervalSeconds'],
    ['HealthCheckTimeoutSeconds', 'timeoutSeconds'],
    ['HealthyThresholdCount', 'healthyThresholdCount'],
    ['UnhealthyThresholdCount', 'unhealthyThresholdCount'],
  ];
  return fields.flatMap(([name, key]) => {
    const a = actual[key];
    const w = wanted[key];
    return String(a) === String(w)
      ? []
      : [{ name, actual: a === undefined ? '-' : String(a), wanted: String(w) }];
  });
}

/** The attributes of `wanted` whose value in `actual` differs (a missing one differs). */
export function attributeDrift(
  actual: ReadonlyMap<string, string>,
  wanted: Readonly<Record<string, string>>,
): SettingDrift[] {
  return Object.entries(wanted).flatMap(([name, w]) => {
    const a = actual.get(name);
    return a === w ? [] : [{ name, actual: a ?? '-', wanted: w }];
  });
}

/** What differs from one endpoint (`endpointId`) at ENDPOINT_WEIGHT and a full dial. */
export function endpointGroupDrift(
  group: {
    readonly endpointIds: readonly string[];
    readonly weights: ReadonlyMap<string, number>;
    readonly trafficDialPercentage: number | undefined;
  },
  endpointId: string,
): SettingDrift[] {
  const drift: SettingDrift[] = [];
  if (group.endpointIds.length !== 1 || group.endpointIds[0] !== endpointId)
    drift.push({ name: 'EndpointId', actual: group.endpointIds.join(',') || '-', wanted: endpointId });
  const weight = group.weights.get(endpointId);
  if (weight !== undefined && weight !== ENDPOINT_WEIGHT)
    drift.push({ name: 'Weight', actual: String(weight), wanted: String(ENDPOINT_WEIGHT) });
  const dial = group.trafficDialPercentage;
  if (dial !== undefined && dial !== TRAFFIC_DIAL_PERCENTAGE)
    drift.push({
      name: 'TrafficDialPercentage',
      actual: String(dial),
      wanted: String(TRAFFIC_DIAL_PERCENTAGE),
    });
  return drift;
}

/**
 * Seconds from a healthy target's death until the active health checks mark it unhealthy
 * and the load balancer stops choosing it: the check in flight at the death fails at its
 * timeout, after at most one interval's wait for it to start, and then `unhealthy - 1`
 * more checks one interval apart must fail. AWS documents no propagation time to the load
 * balancer nodes; it is not included.
 */
export function deathDetectionSecondsMax(h: HealthCheckSettings): number {
  return h.unhealthyThresholdCount * h.intervalSeconds + h.timeoutSeconds;
}

/**
 * Seconds from a registration taking effect until a live target is healthy: `healthy`
 * consecutive passing checks, one interval apart, the first one up to an interval after
 * registration. AWS adds "a few minutes" of registration time it does not bound.
 */
export function registrationHealthySecondsMax(h: HealthCheckSettings): number {
  return h.healthyThresholdCount * h.intervalSeconds;
}
