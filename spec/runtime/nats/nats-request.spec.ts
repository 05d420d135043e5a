import type { NatsConnection } from '@nats-io/transport-node';
import { expect } from 'chai';
import { silentLogger } from '../../../runtime/log.js';
import { connectNats, trackConnection } from '../../../runtime/nats/nats-connection.js';
import { requestWithTimeout } from '../../../runtime/nats/nats-request.js';
import { type NatsServerHandle, startNatsServer } from '../../fixtures/nats-server.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('runtime/nats/nats-request: requestWithTimeout against a real nats-server', function () {
  this.timeout(30_000);
  let server: NatsServerHandle | undefined;
  const connections: NatsConnection[] = [];

  async function client(name: string): Promise<NatsConnection> {
    if (server === undefined) throw new Error('no server');
    const nc = await connectNats({ urls: server.urls, name, log: silentLogger });
    connections.push(nc);
    return nc;
  }

  beforeEach(async () => {
    server = await startNatsServer();
  });

  afterEach(async () => {
    await Promise.all(connections.splice(0).map((nc) => nc.close().catch(() => undefined)));
    await server?.stop();
    server = undefined;
  });

  it('returns the reply', async () => {
    const responder = await client('responder');
    responder.subscribe('svc.echo', {
      callback: (_err, msg) => {
        msg.respond(bytes(`echo:${msg.string()}`));
      },
    });
    await responder.flush();
    const requester = await client('requester');
    const outcome = await requestWithTimeout(requester, 'svc.echo', bytes('ping'), 2_000);
    expect(outcome.ok).to.equal(true);
    expect(outcome.ok ? text(outcome.data) : undefined).to.equal('echo:ping');
  });

  it("reports 'no-responders' at once when nobody listens", async () => {
    const requester = await client('requester');
    const startedMs = Date.now();
    const outcome = await requestWithTimeout(requester, 'svc.nobody', bytes('ping'), 5_000);
    expect(outcome).to.deep.equal({ ok: false, reason: 'no-responders' });
    expect(Date.now() - startedMs).to.be.below(2_000);
  });

  it("reports 'timeout' when a subscriber never answers", async () => {
    const silent = await client('silent');
    silent.subscribe('svc.silent', { callback: () => undefined });
    await silent.flush();
    const requester = await client('requester');
    const startedMs = Date.now();
    const outcome = await requestWithTimeout(requester, 'svc.silent', bytes('ping'), 200);
    expect(outcome).to.deep.equal({ ok: false, reason: 'timeout' });
    expect(Date.now() - startedMs).to.be.within(150, 2_000);
  });

  it("reports 'closed' for a request on a closed connection", async () => {
    const requester = await client('requester');
    await requester.close();
    expect(await requestWithTimeout(requester, 'svc.any', bytes('ping'), 1_000)).to.deep.equal({
      ok: false,
      reason: 'closed',
    });
  });

  it("reports 'closed' when the connection closes while the request waits", async () => {
    const silent = await client('silent');
    silent.subscribe('svc.silent', { callback: () => undefined });
    await silent.flush();
    const requester = await client('requester');
    const pending = requestWithTimeout(requester, 'svc.silent', bytes('ping'), 10_000);
    await requester.flush();
    const closing = requester.close();
    expect(await pending).to.deep.equal({ ok: false, reason: 'closed' });
    await closing;
  });

  it("reports 'closed' for a request on a draining connection", async () => {
    const requester = await client('requester');
    const draining = requester.drain();
    expect(await requestWithTimeout(requester, 'svc.any', bytes('ping'), 1_000)).to.deep.equal({
      ok: false,
      reason: 'closed',
    });
    await draining;
  });

  it("counts the connection's failed requests by kind, those of other callers of nc.request too", async () => {
    const silent = await client('silent');
    silent.subscribe('svc.silent', { callback: () => undefined });
    await silent.flush();
    const requester = await client('requester');
    const failures = trackConnection(requester).requestFailures;
    expect(failures).to.deep.equal({ timeout: 0, 'no-responders': 0, other: 0 });
    await requestWithTimeout(requester, 'svc.nobody', bytes('ping'), 5_000);
    await requestWithTimeout(requester, 'svc.silent', bytes('ping'), 200);
    // A library calling the connection directly (as the JetStream client does) is counted as well.
    const direct = await requester.request('svc.nobody', bytes('ping'), { timeout: 2_000 }).then(
      () => 'answered',
      () => 'failed',
    );
    expect(direct).to.equal('failed');
    await requester.close();
    await requestWithTimeout(requester, 'svc.nobody', bytes('ping'), 1_000);
    expect(failures).to.deep.equal({ timeout: 1, 'no-responders': 2, other: 1 });
  });

  it('refuses a timeout nats.js would replace by its default, and rethrows programming errors', async () => {
    const requester = await client('requester');
    for (const bad of [0, -1, 1.5, Number.NaN, 2 ** 31]) {
      let caught: unknown;
      await requestWithTimeout(requester, 'svc.any', bytes('ping'), bad).catch((error: unknown) => {
        caught = error;
      });
      expect(caught).to.be.instanceOf(RangeError);
    }
    let caught: unknown;
    await requestWithTimeout(requester, 'bad subject', bytes('ping'), 1_000).catch((error: unknown) => {
      caught = error;
    });
    expect(caught).to.be.instanceOf(Error);
    expect((caught as Error).name).to.equal('InvalidSubjectError');
  });
});
