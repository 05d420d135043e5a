import {
  CreateTargetGroupCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { expect } from 'chai';
import {
  classifyAwsError,
  createElbv2TargetRegistry,
} from '../../../actors/aws-lease/elbv2-target-registry.js';
import { RegistryError, type TargetRegistry } from '../../../actors/aws-lease/target-registry.js';
import { type FakeAws, startFakeAws } from '../../fixtures/aws/fake-aws.js';

async function rejection(promise: Promise<unknown>): Promise<RegistryError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof RegistryError) return error;
    throw new Error(`expected a RegistryError, got ${String(error)}`);
  }
  throw new Error('expected a rejection');
}

describe('aws-lease: the ELBv2 target registry against the fake AWS (real SDK)', () => {
  let aws: FakeAws;
  let registry: TargetRegistry;
  let arn: string;
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };

  before(async () => {
    aws = await startFakeAws();
    // The registry takes credentials from the default chain, as in production.
    process.env.AWS_ACCESS_KEY_ID = aws.credentials.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = aws.credentials.secretAccessKey;
    const elb = new ElasticLoadBalancingV2Client({
      endpoint: aws.endpoint,
      region: 'us-east-1',
      credentials: aws.credentials,
    });
    const out = await elb.send(
      new CreateTargetGroupCommand({ Name: 'dns', Protocol: 'TCP_UDP', Port: 53, TargetType: 'ip' }),
    );
    elb.destroy();
    arn = out.TargetGroups?.[0]?.TargetGroupArn ?? '';
    registry = createElbv2TargetRegistry({
      region: 'us-east-1',
      targetGroupArn: arn,
      endpoint: aws.endpoint,
      requestTimeoutMs: 2_000,
    });
  });

  after(async () => {
    registry.close?.();
    await aws.stop();
    for (const [key, value] of [
      ['AWS_ACCESS_KEY_ID', saved.id],
      ['AWS_SECRET_ACCESS_KEY', saved.secret],
    ] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  it('registers, describes and deregisters targets', async () => {
    await registry.register([{ id: '10.0.0.1', port: 53 }]);
    await registry.register([{ id: '10.0.0.2', port: 5353 }]);
    expect(await registry.describe()).to.deep.equal([
      { id: '10.0.0.1', port: 53, state: 'initial' },
      { id: '10.0.0.2', port: 5353, state: 'initial' },
    ]);
    await registry.deregister([{ id: '10.0.0.2', port: 5353 }]);
    expect(await registry.describe()).to.deep.equal([
      { id: '10.0.0.1', port: 53, state: 'healthy' },
      { id: '10.0.0.2', port: 5353, state: 'draining' },
    ]);
  });

  it('makes one attempt per call and classifies failures: throttling, server, client, network', async () => {
    aws.failNext('RegisterTargets', 1, 'throttling');
    expect(await rejection(registry.register([{ id: '10.0.0.1', port: 53 }]))).to.include({
      kind: 'throttling',
      retryable: true,
    });
    aws.failNext('DescribeTargetHealth', 1, 'server-error');
    expect((await rejection(registry.describe())).kind).to.equal('server');
    // One attempt each: the SDK retried nothing.
    const attempts = aws.requests().filter((r) => r.action === 'RegisterTargets' && !r.ok);
    expect(attempts).to.have.length(1);
    const invalid = await rejection(registry.deregister([{ id: '10.9.9.9', port: 53 }]));
    expect(invalid).to.include({ kind: 'client', retryable: false });
    const unreachable = createElbv2TargetRegistry({
      region: 'us-east-1',
      targetGroupArn: arn,
      endpoint: 'http://127.0.0.1:9',
      requestTimeoutMs: 1_000,
    });
    expect((await rejection(unreachable.describe())).kind).to.equal('network');
    unreachable.close?.();
    const abort = new AbortController();
    aws.setLatencyMs(500);
    const slow = registry.describe({ signal: abort.signal });
    abort.abort();
    expect((await rejection(slow)).kind).to.equal('network');
    aws.setLatencyMs(0);
  });

  it('classifies SDK error shapes', () => {
    expect(classifyAwsError({ name: 'ThrottlingException', $fault: 'client', $metadata: {} }).kind).to.equal(
      'throttling',
    );
    expect(classifyAwsError({ name: 'X', $metadata: { httpStatusCode: 429 } }).kind).to.equal('throttling');
    expect(
      classifyAwsError({ name: 'X', $fault: 'server', $metadata: { httpStatusCode: 503 } }).kind,
    ).to.equal('server');
    expect(
      classifyAwsError({ name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 } }).kind,
    ).to.equal('client');
    expect(classifyAwsError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })).kind).to.equal(
      'network',
    );
  });
});
