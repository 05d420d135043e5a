/**
 * `raftns aws teardown`: removes what provisioning created for a cluster — only resources
 * tagged `raftns:managed=true` and `raftns:cluster=<cluster>` (aws-inventory.ts) — in
 * dependency order, then deletes the `aws` record:
 * 1. Global Accelerator: disable each accelerator and wait until it reports the update
 *    deployed, delete its endpoint groups, its listeners, then the accelerator;
 * 2. ELBv2, per AWS region: listeners, load balancers, then target groups.
 * Idempotent: a resource already gone is not an error, and a second run finds nothing.
 */
import {
  DeleteListenerCommand as DeleteElbListenerCommand,
  DeleteLoadBalancerCommand,
  DeleteTargetGroupCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  DeleteAcceleratorCommand,
  DeleteEndpointGroupCommand,
  DeleteListenerCommand as DeleteGaListenerCommand,
  DescribeAcceleratorCommand,
  type GlobalAcceleratorClient,
  UpdateAcceleratorCommand,
} from '@aws-sdk/client-global-accelerator';
import type { KV } from '@nats-io/kv';
import type { AwsClients } from './aws-clients.js';
import { acceleratorInventory, elbInventory, type ManagedAccelerator } from './aws-inventory.js';
import { deleteAwsRecord } from './aws-plan-record.js';

export const ACCELERATOR_WAIT_MS_DEFAULT = 10 * 60_000;
export const ACCELERATOR_POLL_MS_DEFAULT = 5_000;

export interface TeardownStep {
  readonly kind:
    | 'accelerator disabled'
    | 'endpoint group'
    | 'accelerator listener'
    | 'accelerator'
    | 'listener'
    | 'load balancer'
    | 'target group'
    | 'record';
  /** An ARN, or the record's key. */
  readonly id: string;
  readonly outcome: 'deleted' | 'gone' | 'done';
}

export function formatTeardownStep(step: TeardownStep): string {
  return `${step.kind} ${step.id} ${step.outcome}`;
}

export class AwsTeardownError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AwsTeardownError';
  }
}

export interface TeardownOptions {
  readonly clients: AwsClients;
  readonly cluster: string;
  /** Every AWS region to look in (the mapped regions of the plan, and any in the record). */
  readonly awsRegions: readonly string[];
  /** The plan bucket, whose `aws` key is deleted last. */
  readonly planKv: KV;
  readonly progress?: (step: TeardownStep) => void;
  readonly acceleratorWaitMs?: number;
  readonly acceleratorPollMs?: number;
}

export interface TeardownResult {
  readonly steps: readonly TeardownStep[];
  /** Resources deleted (0 when there was nothing left). */
  readonly deleted: number;
}

/** Tears down everything of the cluster. See the file comment. */
export async function teardown(options: TeardownOptions): Promise<TeardownResult> {
  const steps: TeardownStep[] = [];
  const report = (step: TeardownStep) => {
    steps.push(step);
    options.progress?.(step);
  };
  const ga = options.clients.globalAccelerator();
  const { accelerators } = await acceleratorInventory(ga, options.cluster);
  for (const accelerator of accelerators) await removeAccelerator(ga, accelerator, options, report);
  for (const awsRegion of [...new Set(options.awsRegions)]) {
    const elb = options.clients.elbv2(awsRegion);
    const inventory = await elbInventory(elb, awsRegion, options.cluster);
    for (const l of inventory.listeners)
      report({
        kind: 'listener',
        id: l.arn,
        outcome: await gone(() => elb.send(new DeleteElbListenerCommand({ ListenerArn: l.arn }))),
      });
    for (const lb of inventory.loadBalancers)
      report({
        kind: 'load balancer',
        id: lb.arn,
        outcome: await gone(() => elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: lb.arn }))),
      });
    for (const tg of inventory.targetGroups)
      report({
        kind: 'target group',
        id: tg.arn,
        outcome: await gone(() => elb.send(new DeleteTargetGroupCommand({ TargetGroupArn: tg.arn }))),
      });
  }
  if (await deleteAwsRecord(options.planKv)) report({ kind: 'record', id: 'aws', outcome: 'deleted' });
  return {
    steps,
    deleted: steps.filter((s) => s.outcome === 'deleted').length,
  };
}

async function removeAccelerator(
  ga: GlobalAcceleratorClient,
  accelerator: ManagedAccelerator,
  options: TeardownOptions,
  report: (step: TeardownStep) => void,
): Promise<void> {
  // An accelerator is deleted only once disabled and deployed that way.
  if (accelerator.enabled) {
    await ga.send(new UpdateAcceleratorCommand({ AcceleratorArn: accelerator.arn, Enabled: false }));
    report({ kind: 'accelerator disabled', id: accelerator.arn, outcome: 'done' });
  }
  await waitUntilDisabled(ga, accelerator.arn, options);
  for (const listener of accelerator.listeners) {
    for (const group of listener.endpointGroups)
      report({
        kind: 'endpoint group',
        id: group.arn,
        outcome: await gone(() => ga.send(new DeleteEndpointGroupCommand({ EndpointGroupArn: group.arn }))),
      });
    report({
      kind: 'accelerator listener',
      id: listener.arn,
      outcome: await gone(() => ga.send(new DeleteGaListenerCommand({ ListenerArn: listener.arn }))),
    });
  }
  report({
    kind: 'accelerator',
    id: accelerator.arn,
    outcome: await gone(() => ga.send(new DeleteAcceleratorCommand({ AcceleratorArn: accelerator.arn }))),
  });
}

async function waitUntilDisabled(
  ga: GlobalAcceleratorClient,
  arn: string,
  options: TeardownOptions,
): Promise<void> {
  const waitMs = options.acceleratorWaitMs ?? ACCELERATOR_WAIT_MS_DEFAULT;
  const pollMs = options.acceleratorPollMs ?? ACCELERATOR_POLL_MS_DEFAULT;
  const deadline = Date.now() + waitMs;
  for (;;) {
    const a = (await ga.send(new DescribeAcceleratorCommand({ AcceleratorArn: arn }))).Accelerator;
    if (a?.Enabled === false && a.Status !== 'IN_PROGRESS') return;
    if (Date.now() + pollMs > deadline)
      throw new AwsTeardownError(`accelerator ${arn} not disabled and deployed after ${waitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** Runs a delete: `deleted`, or `gone` if AWS says it no longer exists. */
async function gone(remove: () => Promise<unknown>): Promise<'deleted' | 'gone'> {
  try {
    await remove();
    return 'deleted';
  } catch (error) {
    if (isNotFound(error)) return 'gone';
    throw error;
  }
}

/** ELBv2 `*NotFound` and Global Accelerator `*NotFoundException` errors. */
export function isNotFound(error: unknown): boolean {
  const name = error instanceof Error ? error.name : '';
  return /NotFound(Exception)?$/.test(name);
}
