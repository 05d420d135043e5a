/**
 * `TargetRegistry` over an ELBv2 target group (Network Load Balancer, target type `ip`):
 * RegisterTargets, DeregisterTargets, DescribeTargetHealth. The SDK makes exactly one
 * attempt per call (`maxAttempts: 1`): the AWS-lease actor retries itself, re-checking its
 * leadership before every attempt, which the SDK's own retries would skip. Credentials come
 * from the SDK's default chain (environment, profile, instance role).
 */
import {
  DeregisterTargetsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  RegistryError,
  type RegistryErrorKind,
  type Target,
  type TargetDescription,
  type TargetRegistry,
} from './target-registry.js';

export interface Elbv2TargetRegistryOptions {
  readonly region: string;
  readonly targetGroupArn: string;
  /** Another endpoint than AWS's (a test double); credentials still come from the default chain. */
  readonly endpoint?: string;
  /** One HTTP request's limit; the connection gets a third of it. */
  readonly requestTimeoutMs: number;
}

/** Error codes AWS uses for throttling across its query APIs. */
const THROTTLING_CODES: ReadonlySet<string> = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'SlowDown',
]);

/** Node's errors for a request that got no answer. */
const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

interface SdkErrorShape {
  name?: string;
  code?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
}

/** Classifies an SDK rejection: throttling and 5xx are retryable, other service errors are not. */
export function classifyAwsError(error: unknown): RegistryError {
  const shape = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  const name = shape.name ?? 'Error';
  const code = shape.code ?? name;
  const message = shape.message ?? String(error);
  const status = shape.$metadata?.httpStatusCode;
  let kind: RegistryErrorKind;
  if (THROTTLING_CODES.has(name) || THROTTLING_CODES.has(code) || status === 429) kind = 'throttling';
  else if ((status !== undefined && status >= 500) || shape.$fault === 'server') kind = 'server';
  else if (
    name === 'AbortError' ||
    name === 'TimeoutError' ||
    NETWORK_CODES.has(code) ||
    (status === undefined && shape.$fault === undefined)
  )
    kind = 'network';
  else kind = 'client';
  return new RegistryError(kind, name === 'Error' ? code : name, message, { cause: error });
}

export function createElbv2TargetRegistry(options: Elbv2TargetRegistryOptions): TargetRegistry {
  const client = new ElasticLoadBalancingV2Client({
    region: options.region,
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    maxAttempts: 1,
    requestHandler: {
      requestTimeout: options.requestTimeoutMs,
      connectionTimeout: Math.ceil(options.requestTimeoutMs / 3),
    },
  });
  const TargetGroupArn = options.targetGroupArn;
  const toSdk = (targets: readonly Target[]) => targets.map((t) => ({ Id: t.id, Port: t.port }));
  const send = async <T>(run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      throw classifyAwsError(error);
    }
  };
  return {
    register: (targets, call) =>
      send(async () => {
        await client.send(new RegisterTargetsCommand({ TargetGroupArn, Targets: toSdk(targets) }), {
          ...(call?.signal === undefined ? {} : { abortSignal: call.signal }),
        });
      }),
    deregister: (targets, call) =>
      send(async () => {
        await client.send(new DeregisterTargetsCommand({ TargetGroupArn, Targets: toSdk(targets) }), {
          ...(call?.signal === undefined ? {} : { abortSignal: call.signal }),
        });
      }),
    describe: (call) =>
      send(async () => {
        const output = await client.send(new DescribeTargetHealthCommand({ TargetGroupArn }), {
          ...(call?.signal === undefined ? {} : { abortSignal: call.signal }),
        });
        const described: TargetDescription[] = [];
        for (const entry of output.TargetHealthDescriptions ?? []) {
          const id = entry.Target?.Id;
          if (id === undefined) continue;
          described.push({
            id,
            port: entry.Target?.Port ?? 0,
            state: entry.TargetHealth?.State ?? 'unknown',
          });
        }
        return described;
      }),
    close: () => client.destroy(),
  };
}
