/**
 * The client intake of a real replica process (a single-replica group): whatever bytes
 * arrive on its subjects, it answers with a well-formed reply (an `error` for a malformed
 * request), never crashes, and keeps serving. Replies never exceed the NATS payload limit.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { expect } from 'chai';
import fc from 'fast-check';
import { decodeReply, WIRE_VERSION } from '../../../protocol/client-wire.js';
import { REQUEST_BYTES_MAX } from '../../../protocol/limits.js';
import { clientSubject, clientWriteSubject, readSubject, writeSubject } from '../../../protocol/subjects.js';
import { silentLogger } from '../../../runtime/log.js';
import { connectNats } from '../../../runtime/nats/nats-connection.js';
import { requestWithTimeout } from '../../../runtime/nats/nats-request.js';
import { RaftCluster } from '../../fixtures/raft-cluster.js';

const encoder = new TextEncoder();

describe('the client intake of a replica process', function () {
  this.timeout(90_000);
  let cluster: RaftCluster;
  let nc: NatsConnection;
  let direct: string;
  let directWrite: string;
  let shared: string;
  let sharedRead: string;

  before(async () => {
    cluster = await RaftCluster.start({ replicas: 1, logLevel: 'warn' });
    await cluster.waitForLeader(15_000);
    nc = await connectNats({ urls: [cluster.nats.url], name: 'intake-spec', log: silentLogger });
    direct = clientSubject(cluster.cluster, cluster.region, cluster.group, 'r1');
    directWrite = clientWriteSubject(cluster.cluster, cluster.region, cluster.group, 'r1');
    shared = writeSubject(cluster.cluster, cluster.region, cluster.group);
    sharedRead = readSubject(cluster.cluster, cluster.region, cluster.group);
  });
  after(async () => {
    await nc?.close();
    await cluster?.stop();
  });

  async function ask(subject: string, payload: Uint8Array | string) {
    const bytes = typeof payload === 'string' ? encoder.encode(payload) : payload;
    const outcome = await requestWithTimeout(nc, subject, bytes, 5_000);
    if (!outcome.ok) throw new Error(`no reply: ${outcome.reason}`);
    const decoded = decodeReply(outcome.data);
    if (!decoded.ok) throw new Error(`malformed reply: ${decoded.detail}`);
    return decoded.reply;
  }

  async function expectError(payload: Uint8Array | string, code: string, detail?: RegExp) {
    const reply = await ask(direct, payload);
    expect(reply.st, JSON.stringify(reply)).to.equal('error');
    if (reply.st !== 'error') return;
    expect(reply.code).to.equal(code);
    if (detail !== undefined) expect(reply.detail).to.match(detail);
  }

  it('answers malformed requests with a clear error and keeps serving', async () => {
    await expectError('not json', 'malformed', /not UTF-8 JSON/);
    await expectError(new Uint8Array([0xff, 0xfe, 0x00]), 'malformed');
    await expectError('[1,2]', 'malformed', /JSON object/);
    await expectError('{"op":"status"}', 'malformed', /missing "v"/);
    await expectError('{"v":2,"op":"status"}', 'unsupported-version', /version 2 is not supported/);
    await expectError('{"v":1,"op":"explode"}', 'malformed', /op/);
    await expectError('{"v":1,"op":"put","k":"a","val":1,"sid":"s","seq":1,"ack":0}', 'malformed', /val/);
    await expectError('{"v":1,"op":"put","k":"","val":"x","sid":"s","seq":0,"ack":0}', 'malformed');
    await expectError('{"v":1,"op":"get","k":"a","mode":"eventually"}', 'malformed', /mode/);
    await expectError(new Uint8Array(REQUEST_BYTES_MAX + 1), 'too-large');
    // A valid request that breaks a session rule is the store's to refuse.
    const invalid = await ask(directWrite, '{"v":1,"op":"put","k":"a","val":"x","sid":"s","seq":1,"ack":1}');
    expect(invalid).to.deep.include({ st: 'rejected', why: 'invalid' });
    // A publish without a reply subject is ignored.
    nc.publish(direct, encoder.encode('{"v":1,"op":"status"}'));
    const status = await ask(direct, '{"v":1,"op":"status"}');
    expect(status).to.deep.include({ v: WIRE_VERSION, st: 'status' });
    const put = await ask(shared, '{"v":1,"op":"put","k":"a","val":"x","sid":"s1","seq":1,"ack":0}');
    expect(put).to.deep.include({ st: 'applied' });
  });

  it('refuses writes on read subjects (wrong-subject), so read-only NATS users cannot write', async () => {
    const put = '{"v":1,"op":"put","k":"read-only","val":"x","sid":"ro","seq":1,"ack":0}';
    for (const subject of [direct, sharedRead]) {
      const reply = await ask(subject, put);
      expect(reply, subject).to.deep.include({ st: 'error', code: 'wrong-subject' });
    }
    const read = await ask(sharedRead, '{"v":1,"op":"get","k":"read-only"}');
    expect(read).to.deep.include({ st: 'ok', res: { op: 'get', entry: null } });
    const written = await ask(directWrite, put);
    expect(written).to.deep.include({ st: 'applied' });
  });

  it('survives random bytes and random JSON on its subjects (fuzz)', async () => {
    const pid = cluster.replica('r1').pid;
    const anyRequest = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc.json({ maxDepth: 3 }).map((text) => encoder.encode(text)),
      fc
        .record(
          {
            v: fc.oneof(fc.constant(1), fc.integer()),
            op: fc.constantFrom('put', 'del', 'cas', 'get', 'range', 'status', 'x'),
            k: fc.string({ maxLength: 20 }),
            val: fc.oneof(fc.string({ maxLength: 20 }), fc.integer()),
            rev: fc.integer({ min: -1, max: 5 }),
            sid: fc.string({ maxLength: 10 }),
            seq: fc.integer({ min: -1, max: 5 }),
            ack: fc.integer({ min: -1, max: 5 }),
            pfx: fc.string({ maxLength: 5 }),
            lim: fc.integer({ min: -1, max: 20_000 }),
            mode: fc.constantFrom('linearizable', 'lease', 'bounded:10', 'bounded:0', 'x'),
          },
          { requiredKeys: [] },
        )
        .map((object) => encoder.encode(JSON.stringify(object))),
    );
    await fc.assert(
      fc.asyncProperty(anyRequest, async (bytes) => {
        const reply = await ask(direct, bytes);
        expect(reply.v).to.equal(WIRE_VERSION);
      }),
      { numRuns: 300, seed: 42 },
    );
    expect(cluster.replica('r1').running).to.equal(true);
    expect(cluster.replica('r1').pid).to.equal(pid);
    expect((await cluster.status('r1'))?.role).to.equal('leader');
  });

  it('cuts a range page that would exceed the NATS payload limit, saying there is more', async () => {
    const client = await cluster.client({ requestTimeoutMs: 5_000, deadlineMs: 20_000 });
    const value = 'x'.repeat(60_000);
    const maxPayload = nc.info?.max_payload ?? 1024 * 1024;
    const count = Math.ceil((1.5 * maxPayload) / value.length);
    for (let i = 0; i < count; i++) await client.put(`big/${String(i).padStart(3, '0')}`, value);
    const first = await client.range('big/', { limit: 1000 });
    expect(first.more).to.equal(true);
    expect(first.entries.length).to.be.within(1, count - 1);
    let seen = first.entries.length;
    let page = first;
    while (page.more) {
      page = await client.range('big/', { limit: 1000, startAfter: page.entries.at(-1)!.key });
      seen += page.entries.length;
    }
    expect(seen).to.equal(count);
  });
});
