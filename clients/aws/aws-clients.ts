/**
 * The AWS SDK v3 clients raftns uses: one ELBv2 client per AWS region, one Global
 * Accelerator client (its API lives in us-west-2 whatever the accelerator serves).
 *
 * Credentials come from the SDK's default chain (environment, shared files, SSO, instance
 * or task role) unless given. `endpoint` (or `RAFTNS_AWS_ENDPOINT`) sends every call to one
 * URL instead: the tests' fake AWS. Retries are the SDK's (throttling, 5xx, timeouts) with
 * an explicit attempt budget and mode, and every request has a timeout.
 */
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GlobalAcceleratorClient } from '@aws-sdk/client-global-accelerator';

/** Global Accelerator's control plane is only in us-west-2. */
export const GLOBAL_ACCELERATOR_API_REGION = 'us-west-2';
export const MAX_ATTEMPTS_DEFAULT = 6;
export const REQUEST_TIMEOUT_MS_DEFAULT = 10_000;

export interface StaticCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface AwsClientOptions {
  /** Overrides every endpoint (tests); default `RAFTNS_AWS_ENDPOINT`, else AWS's own. */
  readonly endpoint?: string;
  /** Default: the SDK's default credential chain. */
  readonly credentials?: StaticCredentials;
  /** Attempts per call, the first included. */
  readonly maxAttempts?: number;
  /** `standard` (exponential backoff with jitter) or `adaptive` (plus client-side rate limiting). */
  readonly retryMode?: 'standard' | 'adaptive';
  /** Deadline of each HTTP request. */
  readonly requestTimeoutMs?: number;
}

/** Creates and caches the clients; `destroy()` closes their sockets. */
export class AwsClients {
  private readonly elb = new Map<string, ElasticLoadBalancingV2Client>();
  private ga: GlobalAcceleratorClient | undefined;

  constructor(private readonly options: AwsClientOptions = {}) {}

  /** The ELBv2 client of `awsRegion`. */
  elbv2(awsRegion: string): ElasticLoadBalancingV2Client {
    let client = this.elb.get(awsRegion);
    if (client === undefined) {
      client = new ElasticLoadBalancingV2Client(this.config(awsRegion));
      this.elb.set(awsRegion, client);
    }
    return client;
  }

  /** The Global Accelerator client. */
  globalAccelerator(): GlobalAcceleratorClient {
    this.ga ??= new GlobalAcceleratorClient(this.config(GLOBAL_ACCELERATOR_API_REGION));
    return this.ga;
  }

  destroy(): void {
    for (const client of this.elb.values()) client.destroy();
    this.elb.clear();
    this.ga?.destroy();
    this.ga = undefined;
  }

  private config(region: string) {
    const endpoint = this.options.endpoint ?? nonEmpty(process.env.RAFTNS_AWS_ENDPOINT);
    return {
      region,
      maxAttempts: this.options.maxAttempts ?? MAX_ATTEMPTS_DEFAULT,
      retryMode: this.options.retryMode ?? 'standard',
      requestHandler: { requestTimeout: this.options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS_DEFAULT },
      ...(endpoint === undefined ? {} : { endpoint }),
      ...(this.options.credentials === undefined ? {} : { credentials: { ...this.options.credentials } }),
    };
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
