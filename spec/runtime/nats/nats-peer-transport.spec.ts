import type { NatsConnection, Server } from '@nats-io/transport-node';
import { expect } from 'chai';
import {
  InvalidSubjectTokenError,
  peerSubject,
  raftSubject,
  readSubject,
  writeSubject,
} from '../../../protocol/subjects.js';
import type { LogFields } from '../../../runtime/log.js';
import {
  connectNats,
  NATS_TIMING,
  natsConnectionOptions,
  skipTheServerJustLost,
  trackConnection,
} from '../../../runtime/nats/nats-connection.js';
import { ENVELOPE_VERSION, NatsPeerTransport } from '../../../runtime/nats/nats-peer-transport.js';
import { type LogLevel, SimLogger } from '../../../runtime/sim/sim-logger.js';
import {
  type NatsClusterHandle,
  type NatsServerHandle,
  startNatsCluster,
  startNatsServer,
} from '../../fixtures/nats-server.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const bytes = (s: string) => encoder.encode(s);

interface LogRecord {
  readonly level: LogLevel;
  readonly fields: LogFields;
  readonly message: string;
}

function collectingLogger() {
  const records: LogRecord[] = [];
  const log = new SimLogger(
    (level, bindings, fields, message) =>
      records.push({ level, fields: { ...bindings, ...fields }, message }),
    'debug',
  );
  return { log, records };
}

interface Received {
  readonly from: string;
  readonly text: string;
}

async function waitFor(what: string, timeoutMs: number, condition: () => boolean): Promise<void> {
  const deadlineMs = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadlineMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('runtime/nats/subjects', () => {
  it('names every subject in one scheme', () => {
    expect(raftSubject('prod', 'us-east-1', 'root', 'r1')).to.equal('raftns.prod.us-east-1.root.raft.r1');
    expect(peerSubject('prod', 'us-east-1', 'root', 'r1', 'raft')).to.equal(
      'raftns.prod.us-east-1.root.raft.r1.raft',
    );
    expect(writeSubject('prod', 'us-east-1', 'wikipedia_org')).to.equal(
      'raftns.prod.us-east-1.wikipedia_org.write',
    );
    expect(readSubject('prod', 'us-east-1', 'wikipedia_org')).to.equal(
      'raftns.prod.us-east-1.wikipedia_org.read',
    );
  });

  it('refuses parts that are not a single subject token, with a typed error', () => {
    const cases: Array<[string, string]> = [
      ['', 'empty'],
      ['wikipedia.org', 'separator'],
      ['a*', 'wildcard'],
      ['>', 'wildcard'],
      ['a b', 'whitespace'],
      ['a\tb', 'whitespace'],
      ['a\u00a0b', 'whitespace'],
      ['a\u0000b', 'control'],
      ['x'.repeat(256), 'too-long'],
      ['é'.repeat(128), 'too-long'],
    ];
    for (const [token, problem] of cases) {
      for (const make of [
        () => raftSubject(token, 'r', 'g', 'r1'),
        () => raftSubject('c', token, 'g', 'r1'),
        () => writeSubject('c', 'r', token),
        () => readSubject('c', 'r', token),
        () => raftSubject('c', 'r', 'g', token),
        () => peerSubject('c', 'r', 'g', 'r1', token),
      ]) {
        let caught: unknown;
        try {
          make();
        } catch (error) {
          caught = error;
        }
        expect(caught, JSON.stringify(token)).to.be.instanceOf(InvalidSubjectTokenError);
        expect((caught as InvalidSubjectTokenError).problem).to.equal(problem);
        expect((caught as InvalidSubjectTokenError).code).to.equal('INVALID_SUBJECT_TOKEN');
      }
    }
    expect(raftSubject('c', 'r', 'g', 'é'.repeat(127))).to.be.a('string');
  });
});

describe('runtime/nats/nats-connection', function () {
  this.timeout(30_000);

  it('sets every option explicitly: reconnect forever, bounded jittered wait, pings, deadlines', () => {
    const options = natsConnectionOptions({ urls: ['nats://a:4222', 'nats://b:4222'], name: 'raftns/i-1' });
    expect(options).to.deep.include({
      servers: ['nats://a:4222', 'nats://b:4222'],
      name: 'raftns/i-1',
      reconnect: true,
      maxReconnectAttempts: -1,
      waitOnFirstConnect: false,
      timeout: NATS_TIMING.connectTimeoutMs,
      reconnectTimeWait: NATS_TIMING.reconnectTimeWaitMs,
      reconnectJitter: NATS_TIMING.reconnectJitterMs,
      reconnectJitterTLS: NATS_TIMING.reconnectJitterMs,
      pingInterval: NATS_TIMING.pingIntervalMs,
      maxPingOut: NATS_TIMING.maxPingOut,
    });
    expect(NATS_TIMING.reconnectTimeWaitMs + NATS_TIMING.reconnectJitterMs).to.be.at.most(1_000);
  });

  it('after losing a server, dials another one first, unless every other one failed a dial since', () => {
    const server = (port: number, fields: Partial<Server>): Server => ({
      hostname: '127.0.0.1',
      port,
      listen: `127.0.0.1:${port}`,
      src: `nats://127.0.0.1:${port}`,
      tlsName: '',
      reconnects: 0,
      lastConnect: 0,
      gossiped: false,
      didConnect: false,
      ...fields,
    });
    const lost = server(4222, { didConnect: true, lastConnect: 1_000 });
    // nats.js offers the server just lost first (its last dial is old).
    expect(skipTheServerJustLost([lost, server(4223, {}), server(4224, {})])?.port).to.equal(4223);
    // A server connected to before, still the latest one connected, is skipped as well.
    const earlier = server(4223, { didConnect: true, lastConnect: 500 });
    expect(skipTheServerJustLost([lost, earlier, server(4224, {})])?.port).to.equal(4223);
    // Every other server failed a dial after the loss: the default order (null) retries the lost one.
    const failed = (port: number) => server(port, { reconnects: 1, lastConnect: 1_100 });
    expect(skipTheServerJustLost([lost, failed(4223), failed(4224)])).to.equal(null);
    // Another server offered first, a single server, an empty pool: the default order.
    expect(skipTheServerJustLost([server(4223, {}), lost])).to.equal(null);
    expect(skipTheServerJustLost([lost])).to.equal(null);
    expect(skipTheServerJustLost([])).to.equal(null);
    expect(natsConnectionOptions({ urls: ['nats://a:4222'], name: 'n' }).reconnectToServer).to.equal(
      skipTheServerJustLost,
    );
  });

  it('rejects at once when no server answers, instead of waiting forever', async () => {
    const startedMs = Date.now();
    let caught: unknown;
    // Port 1 on loopback: connection refused.
    await connectNats({ urls: ['nats://127.0.0.1:1'], name: 'test', log: collectingLogger().log }).catch(
      (error: unknown) => {
        caught = error;
      },
    );
    expect(caught).to.be.instanceOf(Error);
    expect(Date.now() - startedMs).to.be.below(NATS_TIMING.connectTimeoutMs);
  });

  it('rejects a missing credentials file with its path, before dialling', async () => {
    let caught: unknown;
    await connectNats({
      urls: ['nats://127.0.0.1:1'],
      credsFile: '/nonexistent/raftns.creds',
      name: 'test',
      log: collectingLogger().log,
    }).catch((error: unknown) => {
      caught = error;
    });
    expect((caught as Error).message).to.match(/credentials file \/nonexistent\/raftns\.creds/);
  });
});

describe('runtime/nats/nats-peer-transport: NatsPeerTransport over real nats-server', function () {
  this.timeout(60_000);
  const connections: NatsConnection[] = [];
  const transports: NatsPeerTransport[] = [];
  let handles: Array<NatsServerHandle | NatsClusterHandle> = [];

  afterEach(async () => {
    await Promise.all(transports.splice(0).map((t) => t.close()));
    await Promise.all(connections.splice(0).map((nc) => nc.close().catch(() => undefined)));
    await Promise.all(handles.map((h) => h.stop()));
    handles = [];
  });

  async function connection(urls: readonly string[], name: string, log = collectingLogger().log) {
    const nc = await connectNats({ urls, name, log });
    connections.push(nc);
    return nc;
  }

  interface Member {
    readonly id: string;
    readonly nc: NatsConnection;
    readonly transport: NatsPeerTransport;
    readonly received: Received[];
  }

  /** One transport per replica, each on its own connection, as separate processes would be. */
  async function group(
    urls: readonly string[],
    scope: { cluster?: string; region?: string; group?: string },
    ids: readonly string[] = ['r1', 'r2', 'r3'],
    options: { frameBytesMax?: number; pendingFramesMax?: number; handler?: boolean; log?: SimLogger } = {},
  ): Promise<Member[]> {
    return Promise.all(
      ids.map(async (id) => {
        const nc = await connection(urls, `test-${id}`, options.log);
        const transport = await NatsPeerTransport.open({
          nc,
          cluster: scope.cluster ?? 'test',
          region: scope.region ?? 'local',
          group: scope.group ?? 'g1',
          self: id,
          channel: 'raft',
          peers: ids,
          log: options.log ?? collectingLogger().log,
          ...(options.frameBytesMax === undefined ? {} : { frameBytesMax: options.frameBytesMax }),
          ...(options.pendingFramesMax === undefined ? {} : { pendingFramesMax: options.pendingFramesMax }),
        });
        transports.push(transport);
        const received: Received[] = [];
        if (options.handler !== false) {
          transport.onFrame((from, frame) => received.push({ from, text: decoder.decode(frame) }));
        }
        return { id, nc, transport, received };
      }),
    );
  }

  function sendAll(members: readonly Member[], tag: string): number {
    let sent = 0;
    for (const a of members) {
      for (const b of members) {
        if (a !== b && a.transport.send(b.id, bytes(`${tag}:${a.id}->${b.id}`))) sent++;
      }
    }
    return sent;
  }

  function gotAll(members: readonly Member[], tag: string): boolean {
    return members.every((b) =>
      members.every(
        (a) => a === b || b.received.some((r) => r.from === a.id && r.text === `${tag}:${a.id}->${b.id}`),
      ),
    );
  }

  describe('one server', () => {
    let server: NatsServerHandle;
    beforeEach(async () => {
      server = await startNatsServer();
      handles.push(server);
    });

    it('exchanges frames both ways between the three replicas of a group, naming the sender', async () => {
      const members = await group(server.urls, {});
      expect(sendAll(members, 'hello')).to.equal(6);
      await waitFor('every pair to hear each other', 5_000, () => gotAll(members, 'hello'));
      for (const m of members) {
        expect(m.received).to.have.length(2);
        const stats = m.transport.stats();
        expect(stats.sent).to.equal(2);
        expect(stats.received).to.equal(2);
        expect(Object.values(stats.dropped).every((n) => n === 0)).to.equal(true);
      }
      expect(members[0]!.transport.subject).to.equal('raftns.test.local.g1.raft.r1.raft');
    });

    it('scopes subjects: another group or region with the same replica ids hears nothing', async () => {
      const members = await group(server.urls, {});
      const otherGroup = await group(server.urls, { group: 'g2' });
      const otherRegion = await group(server.urls, { region: 'eu' });
      const otherCluster = await group(server.urls, { cluster: 'other' });
      sendAll(members, 'scoped');
      await waitFor('the group to exchange', 5_000, () => gotAll(members, 'scoped'));
      // A round trip on every other connection: anything routed to them has arrived by now.
      await Promise.all([...otherGroup, ...otherRegion, ...otherCluster].map((m) => m.nc.flush()));
      await delay(100);
      for (const m of [...otherGroup, ...otherRegion, ...otherCluster]) {
        expect(m.received, `${m.transport.subject}`).to.deep.equal([]);
        expect(m.transport.stats().dropped['unknown-sender']).to.equal(0);
      }
      sendAll(otherGroup, 'g2');
      await waitFor('the other group to exchange', 5_000, () => gotAll(otherGroup, 'g2'));
      expect(members.every((m) => m.received.length === 2)).to.equal(true);
    });

    it('drops and counts frames from unknown senders and malformed envelopes', async () => {
      const members = await group(server.urls, {});
      const [r1, r2, r3] = members as [Member, Member, Member];
      // r1 stops accepting r3.
      r1.transport.setPeers(['r1', 'r2']);
      expect(r1.transport.peers()).to.deep.equal(['r2']);
      r3.transport.send('r1', bytes('from-r3'));
      // A stranger publishing straight to r1's subject, claiming to be r9, or r1 itself.
      const stranger = await connection(server.urls, 'stranger');
      const envelope = (from: string, payload: string) =>
        Uint8Array.from([ENVELOPE_VERSION, from.length, ...bytes(from), ...bytes(payload)]);
      stranger.publish(r1.transport.subject, envelope('r9', 'spoof'));
      stranger.publish(r1.transport.subject, envelope('r1', 'self'));
      stranger.publish(r1.transport.subject, bytes('no envelope'));
      stranger.publish(r1.transport.subject, Uint8Array.from([ENVELOPE_VERSION, 200, 0x61]));
      stranger.publish(r1.transport.subject, Uint8Array.from([ENVELOPE_VERSION, 2, 0xff, 0xfe, 1]));
      stranger.publish(r1.transport.subject, new Uint8Array(0));
      await stranger.flush();
      r2.transport.send('r1', bytes('from-r2'));
      await waitFor('the frame from r2', 5_000, () => r1.received.length > 0);
      await r3.nc.flush();
      await delay(50);
      expect(r1.received).to.deep.equal([{ from: 'r2', text: 'from-r2' }]);
      const dropped = r1.transport.stats().dropped;
      expect(dropped['unknown-sender']).to.equal(3);
      expect(dropped.malformed).to.equal(4);
      // r1 no longer sends to r3 either, until it is a peer again.
      expect(r1.transport.send('r3', bytes('x'))).to.equal(false);
      r1.transport.setPeers(['r2', 'r3']);
      expect(r1.transport.send('r3', bytes('back'))).to.equal(true);
      await waitFor('r3 to hear r1', 5_000, () => r3.received.some((r) => r.text === 'back'));
    });

    it('refuses sends after close, to unknown peers and of oversized frames', async () => {
      const members = await group(server.urls, {}, ['r1', 'r2'], { frameBytesMax: 1_024 });
      const [r1, r2] = members as [Member, Member];
      expect(r1.transport.send('r9', bytes('x'))).to.equal(false);
      expect(r1.transport.send('r1', bytes('to myself'))).to.equal(false);
      expect(r1.transport.send('r2', new Uint8Array(1_025))).to.equal(false);
      expect(r1.transport.send('r2', new Uint8Array(1_024))).to.equal(true);
      await waitFor('the 1 KiB frame', 5_000, () => r2.received.length === 1);
      await r1.transport.close();
      expect(r1.transport.send('r2', bytes('after close'))).to.equal(false);
      await r1.transport.close(); // idempotent
      expect(r1.transport.stats().refused).to.deep.include({
        'unknown-peer': 2,
        'too-large': 1,
        closed: 1,
      });
      // A closed connection refuses too.
      await r2.nc.close();
      expect(r2.transport.send('r1', bytes('x'))).to.equal(false);
      expect(r2.transport.stats().refused.closed).to.equal(1);
    });

    it("lowers the frame limit to the server's max_payload (1 MiB by default)", async () => {
      const [r1, r2] = (await group(server.urls, {}, ['r1', 'r2'])) as [Member, Member];
      const maxPayload = r1.nc.info?.max_payload ?? 0;
      expect(maxPayload).to.equal(1024 * 1024);
      expect(r1.transport.frameBytesLimit()).to.equal(maxPayload - 4); // envelope: 2 + "r1"
      expect(r1.transport.send('r2', new Uint8Array(maxPayload - 3))).to.equal(false);
      expect(r1.transport.send('r2', new Uint8Array(maxPayload - 4))).to.equal(true);
      await waitFor('the largest frame', 5_000, () => r2.received.length === 1);
      expect(r2.transport.stats().receivedBytes).to.equal(maxPayload - 4);
    });

    it('survives a throwing handler (which would kill the nats.js reader) and counts it', async () => {
      const [r1, r2] = (await group(server.urls, {}, ['r1', 'r2'], { handler: false })) as [Member, Member];
      const got: string[] = [];
      r2.transport.onFrame((_from, frame) => {
        const text = decoder.decode(frame);
        if (text === 'boom') throw new Error('handler bug');
        got.push(text);
      });
      r1.transport.send('r2', bytes('boom'));
      r1.transport.send('r2', bytes('after'));
      await waitFor('the frame after the throw', 5_000, () => got.includes('after'));
      expect(r2.transport.stats().dropped['handler-error']).to.equal(1);
      await r2.nc.flush(); // the connection still reads
    });

    it('holds a bounded number of frames until a handler is registered', async () => {
      const [r1, r2] = (await group(server.urls, {}, ['r1', 'r2'], {
        handler: false,
        pendingFramesMax: 3,
      })) as [Member, Member];
      for (let i = 0; i < 5; i++) r1.transport.send('r2', bytes(`early-${i}`));
      await r1.nc.flush();
      await waitFor('frames to arrive', 5_000, () => {
        const s = r2.transport.stats();
        return s.dropped['pending-overflow'] === 2;
      });
      const got: string[] = [];
      r2.transport.onFrame((_from, frame) => got.push(decoder.decode(frame)));
      expect(got).to.deep.equal([]); // delivered later, not inside onFrame
      await waitFor('the held frames', 5_000, () => got.length === 3);
      expect(got).to.deep.equal(['early-0', 'early-1', 'early-2']);
    });

    it('refuses sends while disconnected instead of buffering them, and resumes after reconnecting', async () => {
      const { log, records } = collectingLogger();
      const [r1, r2] = (await group(server.urls, {}, ['r1', 'r2'], { log })) as [Member, Member];
      const tracker = trackConnection(r1.nc);
      let reconnectsHeard = 0;
      r1.transport.onReconnect(() => reconnectsHeard++);
      await server.server.kill('SIGKILL');
      await waitFor('the disconnect to be noticed', 5_000, () => !tracker.connected);
      expect(reconnectsHeard).to.equal(0);
      expect(r1.transport.send('r2', bytes('while down'))).to.equal(false);
      expect(r1.transport.stats().refused.disconnected).to.equal(1);
      await server.server.restart();
      await waitFor('the reconnect', 10_000, () => tracker.connected);
      // The Raft election actor heartbeats at once on this (election-actor.ts).
      expect(reconnectsHeard).to.equal(1);
      await waitFor('frames to flow again', 10_000, () => {
        r1.transport.send('r2', bytes('after restart'));
        return r2.received.some((r) => r.text === 'after restart');
      });
      expect(r2.received.some((r) => r.text === 'while down')).to.equal(false);
      const messages = records.map((r) => r.message);
      expect(messages).to.include('disconnected from NATS server; reconnecting');
      expect(messages).to.include('reconnected to NATS');
      expect(records.find((r) => r.message === 'reconnected to NATS')?.fields).to.include({
        component: 'nats',
      });
    });
  });

  describe('three-server cluster', () => {
    let cluster: NatsClusterHandle;
    beforeEach(async () => {
      cluster = await startNatsCluster({ size: 3, jetstream: false });
      handles.push(cluster);
    });

    it('keeps exchanging frames after the server a replica is connected to is SIGKILLed', async () => {
      const { log, records } = collectingLogger();
      const members = await group(cluster.urls, {}, ['r1', 'r2', 'r3'], { log });
      // Interest crosses routes asynchronously: retry the first exchange too.
      let round = 0;
      const exchange = async (what: string, timeoutMs: number) => {
        const deadlineMs = Date.now() + timeoutMs;
        for (;;) {
          const tag = `round-${++round}`;
          sendAll(members, tag);
          const roundDeadlineMs = Math.min(deadlineMs, Date.now() + 500);
          while (!gotAll(members, tag) && Date.now() < roundDeadlineMs) await delay(20);
          if (gotAll(members, tag)) return;
          if (Date.now() >= deadlineMs)
            throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        }
      };
      await exchange('the first exchange', 10_000);

      const r1 = members[0]!;
      const port = r1.nc.info?.port;
      const victim = cluster.servers.find((s) => s.port === port);
      expect(victim, `r1 is connected to port ${port}`).to.not.equal(undefined);
      await victim!.kill('SIGKILL');

      await exchange('an exchange after the kill', 20_000);
      const tracker = trackConnection(r1.nc);
      expect(tracker.reconnects).to.be.at.least(1);
      expect(r1.nc.info?.port).to.not.equal(port);
      const messages = records.map((r) => r.message);
      expect(messages).to.include('disconnected from NATS server; reconnecting');
      expect(messages).to.include('reconnected to NATS');
    });
  });
});
