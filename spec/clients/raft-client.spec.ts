/**
 * RaftClient against a real nats-server, with stub replicas: subscriptions that answer
 * each request as a test scripts them, so every retry, redirect and error path is
 * exercised deterministically (the real replicas are in spec/raft/real-cluster.spec.ts).
 */
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { expect } from 'chai';
import {
  ClientClosedError,
  NotLeaderError,
  RejectedError,
  StaleReadError,
  TimeoutError,
  UnknownOutcomeError,
} from '../../clients/errors.js';
import { RaftClient, type RaftClientOptions } from '../../clients/raft-client.js';
import { decodeRequest } from '../../protocol/client-request-schema.js';
import {
  type ClientReply,
  type ClientRequest,
  encodeReply,
  encodeRequest,
} from '../../protocol/client-wire.js';
import { REQUEST_BYTES_MAX } from '../../protocol/limits.js';
import { clientSubject, clientWriteSubject, readSubject, writeSubject } from '../../protocol/subjects.js';
import { silentLogger } from '../../runtime/log.js';
import { connectNats } from '../../runtime/nats/nats-connection.js';
import { type NatsServerHandle, startNatsServer } from '../fixtures/nats-server.js';

const GROUP = { cluster: 'c', region: 'r', group: 'g' } as const;
const OK_WRITE: ClientReply = { v: 1, st: 'applied', idx: 7, res: { ok: true, revision: 7, previous: null } };
const OK_GET: ClientReply = {
  v: 1,
  st: 'ok',
  idx: 7,
  res: { op: 'get', entry: { key: 'k', value: 'v', revision: 7 } },
};

type Script = (request: ClientRequest, subject: string) => ClientReply | undefined;

/** A stub replica: answers requests on `subjects` with `script` (undefined: no answer). */
class Stub {
  readonly requests: Array<{ readonly subject: string; readonly request: ClientRequest }> = [];
  private readonly subscriptions: Subscription[] = [];

  constructor(
    private readonly nc: NatsConnection,
    subjects: readonly string[],
    private readonly script: Script,
  ) {
    for (const subject of subjects) {
      this.subscriptions.push(
        nc.subscribe(subject, { callback: (_error, msg) => this.answer(subject, msg) }),
      );
    }
  }

  async ready(): Promise<void> {
    await this.nc.flush();
  }

  close(): void {
    for (const subscription of this.subscriptions) subscription.unsubscribe();
  }

  private answer(subject: string, msg: Msg): void {
    const decoded = decodeRequest(msg.data);
    if (!decoded.ok) {
      msg.respond(encodeReply({ v: 1, st: 'error', code: decoded.code, detail: decoded.detail }));
      return;
    }
    this.requests.push({ subject, request: decoded.request });
    const reply = this.script(decoded.request, subject);
    if (reply !== undefined) msg.respond(encodeReply(reply));
  }
}

describe('clients/raft-client against a real NATS server', function () {
  this.timeout(30_000);
  let nats: NatsServerHandle;
  let nc: NatsConnection;
  const stubs: Stub[] = [];
  const clients: RaftClient[] = [];
  const write = writeSubject(GROUP.cluster, GROUP.region, GROUP.group);
  const read = readSubject(GROUP.cluster, GROUP.region, GROUP.group);
  const direct = (replica: string) => clientSubject(GROUP.cluster, GROUP.region, GROUP.group, replica);
  const directWrite = (replica: string) =>
    clientWriteSubject(GROUP.cluster, GROUP.region, GROUP.group, replica);

  before(async () => {
    nats = await startNatsServer();
    nc = await connectNats({ urls: [nats.url], name: 'stub', log: silentLogger });
  });
  after(async () => {
    await nc.close();
    await nats.stop();
  });
  afterEach(async () => {
    for (const stub of stubs.splice(0)) stub.close();
    for (const client of clients.splice(0)) await client.close();
  });

  async function stub(subjects: readonly string[], script: Script): Promise<Stub> {
    const s = new Stub(nc, subjects, script);
    stubs.push(s);
    await s.ready();
    return s;
  }

  async function client(options: Partial<RaftClientOptions> = {}): Promise<RaftClient> {
    const c = await RaftClient.connect({
      natsUrls: [nats.url],
      ...GROUP,
      requestTimeoutMs: 200,
      deadlineMs: 2_000,
      backoffBaseMs: 2,
      backoffMaxMs: 20,
      ...options,
    });
    clients.push(c);
    return c;
  }

  const sessionOf = (request: ClientRequest) =>
    'sid' in request ? { sid: request.sid, seq: request.seq, ack: request.ack } : undefined;

  it('writes through the group write subject and reads through the read subject', async () => {
    const s = await stub([write, read], (request) => (request.op === 'get' ? OK_GET : OK_WRITE));
    const c = await client();
    expect(await c.put('k', 'v')).to.deep.equal({ revision: 7, previous: null });
    expect(await c.get('k')).to.deep.equal({ key: 'k', value: 'v', revision: 7 });
    expect(s.requests.map((r) => r.subject)).to.deep.equal([write, read]);
    expect(s.requests[0]?.request).to.deep.include({ op: 'put', k: 'k', val: 'v', seq: 1, ack: 0 });
    expect(s.requests[1]?.request).to.deep.include({ op: 'get', k: 'k', mode: 'linearizable' });
  });

  it('retries while nobody listens (no responders), then succeeds once a leader appears', async () => {
    const c = await client({ deadlineMs: 5_000 });
    const pending = c.put('k', 'v');
    const deadline = Date.now() + 2_000;
    while (c.stats().noResponders < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(c.stats().noResponders).to.be.at.least(2);
    await stub([write], () => OK_WRITE);
    expect((await pending).revision).to.equal(7);
    expect(c.stats().noResponders).to.be.greaterThan(0);
  });

  it('retries a write with the same session and seq until it is applied (exactly once)', async () => {
    let calls = 0;
    const s = await stub([write], () => {
      calls++;
      if (calls === 1) return undefined; // lost: the client times out
      if (calls === 2) return { v: 1, st: 'retry', why: 'leadership-changed' };
      return OK_WRITE;
    });
    const c = await client();
    await c.put('k', 'v');
    const sessions = s.requests.map((r) => sessionOf(r.request));
    expect(sessions).to.have.length(3);
    expect(new Set(sessions.map((x) => JSON.stringify(x))).size).to.equal(1);
    // The next write acknowledges the first.
    await c.put('k', 'w');
    expect(sessionOf(s.requests[3]!.request)).to.deep.include({ seq: 2, ack: 1 });
  });

  it('follows a not-leader hint to the named replica, at once', async () => {
    const group = await stub([write], () => ({ v: 1, st: 'not-leader', leader: 'r2' }));
    const r2 = await stub([directWrite('r2')], () => OK_WRITE);
    const c = await client();
    await c.put('k', 'v');
    expect(group.requests).to.have.length(1);
    expect(r2.requests).to.have.length(1);
    expect(c.stats().redirects).to.equal(1);
    expect(c.stats().retries).to.equal(0);
  });

  it('does not ping-pong between two replicas that name each other', async () => {
    await stub([directWrite('r1')], () => ({ v: 1, st: 'not-leader', leader: 'r2' }));
    await stub([directWrite('r2')], () => ({ v: 1, st: 'not-leader', leader: 'r1' }));
    await stub([write], () => ({ v: 1, st: 'not-leader', leader: 'r1' }));
    // Every answer is not-leader; a request timeout well above a loaded machine's delays
    // keeps a slow answer from turning into an unknown outcome.
    const c = await client({ deadlineMs: 1_500, requestTimeoutMs: 1_000 });
    const error = await c.put('k', 'v').catch((e: unknown) => e);
    expect(error).to.be.instanceOf(NotLeaderError);
    expect(c.stats().retries).to.be.greaterThan(0);
  });

  it('fails a call pinned to a follower with NotLeaderError naming the leader', async () => {
    await stub([direct('r3'), directWrite('r3')], () => ({ v: 1, st: 'not-leader', leader: 'r1' }));
    const c = await client();
    const error = await c.put('k', 'v', { replica: 'r3' }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(NotLeaderError);
    expect((error as NotLeaderError).leaderId).to.equal('r1');
    const readError = await c.get('k', { replica: 'r3' }).catch((e: unknown) => e);
    expect(readError).to.be.instanceOf(NotLeaderError);
  });

  it('gives up on a write that may have executed with UnknownOutcomeError, and acknowledges it', async () => {
    let answer = false;
    const s = await stub([write], () => (answer ? OK_WRITE : undefined));
    const c = await client({ deadlineMs: 500, requestTimeoutMs: 100 });
    const error = await c.put('k', 'v').catch((e: unknown) => e);
    expect(error).to.be.instanceOf(UnknownOutcomeError);
    answer = true;
    await c.put('k', 'w');
    // The abandoned seq 1 is acknowledged, so the store refuses any late copy of it.
    expect(sessionOf(s.requests.at(-1)!.request)).to.deep.include({ seq: 2, ack: 1 });
  });

  it('gives up on a read with TimeoutError, and on a never-delivered write with TimeoutError too', async () => {
    await stub([read], () => undefined);
    const c = await client({ deadlineMs: 400, requestTimeoutMs: 100 });
    expect(await c.get('k').catch((e: unknown) => e)).to.be.instanceOf(TimeoutError);
    // Nobody listens on the write subject: nothing can have executed. (A request timeout
    // generous enough that NATS's no-responders answer arrives first on a loaded machine.)
    const writer = await client({ deadlineMs: 3_000, requestTimeoutMs: 1_500 });
    expect(await writer.put('k', 'v').catch((e: unknown) => e)).to.be.instanceOf(TimeoutError);
  });

  it('refuses an invalid command before sending it, and reports rejections and request errors', async () => {
    const s = await stub([write], (request) =>
      request.op === 'cas' ? { v: 1, st: 'rejected', why: 'invalid', detail: 'no' } : OK_WRITE,
    );
    const c = await client();
    const tooLong = await c.put('k'.repeat(2_000), 'v').catch((e: unknown) => e);
    expect(tooLong).to.be.instanceOf(RejectedError);
    expect((tooLong as RejectedError).reason).to.equal('invalid');
    expect(s.requests).to.have.length(0);
    const rejected = await c.cas('k', 1, 'v').catch((e: unknown) => e);
    expect(rejected).to.be.instanceOf(RejectedError);
    await stub([read], () => ({ v: 1, st: 'error', code: 'malformed', detail: 'lim: too big' }));
    const malformed = await c.range('p').catch((e: unknown) => e);
    expect(malformed).to.be.instanceOf(RejectedError);
    expect((malformed as RejectedError).reason).to.equal('malformed');
  });

  it('opens a new session when the store expired the old one, for a write that cannot have executed', async () => {
    const seen = new Set<string>();
    const s = await stub([write], (request) => {
      if (!('sid' in request)) return undefined;
      if (seen.size === 0) {
        seen.add(request.sid);
        return { v: 1, st: 'rejected', why: 'session-expired', detail: 'gone' };
      }
      return OK_WRITE;
    });
    const c = await client();
    const first = c.clientId;
    await c.put('k', 'v');
    expect(c.clientId).to.not.equal(first);
    const [expired, renewed] = s.requests.map((r) => sessionOf(r.request));
    expect(expired?.sid).to.equal(first);
    expect(renewed).to.deep.include({ sid: c.clientId, seq: 1, ack: 0 });
    expect(c.stats().sessions).to.equal(2);
  });

  it('keeps at most maxPendingWrites seqs unacknowledged, acknowledging a contiguous prefix', async () => {
    let outstanding = 0;
    let maxOutstanding = 0;
    const acks: number[] = [];
    const holder = nc.subscribe(write, {
      callback: (_error, msg) => {
        const decoded = decodeRequest(msg.data);
        if (decoded.ok && 'ack' in decoded.request) acks.push(decoded.request.ack);
        outstanding++;
        maxOutstanding = Math.max(maxOutstanding, outstanding);
        // Answer later, so writes pile up against the window.
        setTimeout(() => {
          outstanding--;
          msg.respond(encodeReply(OK_WRITE));
        }, 20);
      },
    });
    await nc.flush();
    try {
      const c = await client({ maxPendingWrites: 4, requestTimeoutMs: 5_000, deadlineMs: 10_000 });
      const writes = await Promise.all(Array.from({ length: 12 }, (_, i) => c.put(`k${i}`, 'v')));
      expect(writes).to.have.length(12);
      expect(maxOutstanding).to.equal(4);
      // Acknowledgements only grow, and trail the seqs in use by at most the window.
      expect(acks).to.deep.equal([...acks].sort((x, y) => x - y));
      expect(acks.at(-1)).to.be.at.least(8);
    } finally {
      holder.unsubscribe();
    }
  });

  it('sends a pinned bounded read to one replica and reports StaleReadError there', async () => {
    await stub([direct('r2')], () => ({ v: 1, st: 'stale' }));
    const c = await client();
    const error = await c.get('k', { replica: 'r2', mode: 'bounded:100' }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(StaleReadError);
    // Unpinned, a stale answer sends the read on to the leader.
    const leader = await stub([read], () => OK_GET);
    await stub([direct('r3')], () => ({ v: 1, st: 'stale' }));
    await c.get('k', { mode: 'bounded:100' });
    expect(leader.requests[0]?.request).to.deep.include({ mode: 'bounded:100' });
  });

  it('fails calls after close with ClientClosedError', async () => {
    const c = await client();
    await c.close();
    expect(await c.put('k', 'v').catch((e: unknown) => e)).to.be.instanceOf(ClientClosedError);
    expect(await c.get('k').catch((e: unknown) => e)).to.be.instanceOf(ClientClosedError);
  });

  it('encodes requests in the documented wire format', () => {
    const bytes = encodeRequest({ v: 1, op: 'cas', k: 'k', rev: 3, val: 'x', sid: 's', seq: 2, ack: 1 });
    expect(new TextDecoder().decode(bytes)).to.equal(
      '{"v":1,"op":"cas","k":"k","rev":3,"val":"x","sid":"s","seq":2,"ack":1}',
    );
    expect(REQUEST_BYTES_MAX).to.equal(256 * 1024);
  });
});
