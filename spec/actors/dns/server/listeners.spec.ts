import { expect } from 'chai';
import { Responder } from '../../../../actors/dns/server/responder.js';
import {
  type DnsHandler,
  DnsListeners,
  type DnsListenersOptions,
  ListenAddressError,
  parseListenAddress,
} from '../../../fixtures/dns-listeners.js';
import { decodeOk, exampleZones, makeQuery } from './helpers.js';
import { TcpClient, udpExchange } from './sockets.js';

const zones = exampleZones();
const responder = new Responder({ identity: 'replica-1' });
const handler: DnsHandler = (query, transport) => responder.respond(query, transport, zones);

/**
 * The production DNS socket (runtime/dns-sockets/node-dns-socket.ts) under the DNS actor's
 * TCP connection policy (actors/dns/server/tcp-connections.ts), over real sockets.
 */
describe('dns/server/dns-listeners: addresses', () => {
  it('parses IPv4 and bracketed IPv6 host:port, and rejects the rest', () => {
    expect(parseListenAddress('127.0.0.1:5353')).to.deep.equal({ host: '127.0.0.1', port: 5353 });
    expect(parseListenAddress('[::1]:0')).to.deep.equal({ host: '::1', port: 0 });
    for (const bad of ['127.0.0.1', '::1:53', '[::1]', 'host:99999', ''])
      expect(() => parseListenAddress(bad), bad).to.throw(ListenAddressError);
  });

  it('binds UDP and TCP on the same ephemeral port, IPv4 and IPv6, and answers on both', async () => {
    const listeners = await DnsListeners.start({
      addresses: ['127.0.0.1:0', '[::1]:0'],
      handler,
    });
    try {
      const bound = listeners.bound;
      expect(bound.map((b) => b.transport)).to.deep.equal(['udp', 'tcp', 'udp', 'tcp']);
      expect(bound[0]?.port).to.equal(bound[1]?.port).and.not.equal(0);
      expect(bound[2]?.text).to.match(/^\[::1\]:\d+$/);
      for (const b of bound) {
        const query = makeQuery('www.example.', 'A', { id: 77 });
        let reply: Buffer | null;
        if (b.transport === 'udp') reply = await udpExchange(b.host, b.port, query);
        else {
          const client = await TcpClient.connect(b.host, b.port);
          client.write(TcpClient.frame(query));
          [reply = null] = await client.read(1);
          client.close();
        }
        const m = decodeOk(reply);
        expect(m.id, b.text).to.equal(77);
        expect(m.answers.length).to.equal(1);
      }
      const counters = listeners.counters();
      expect(counters.udp).to.include({ queries: 2, answers: 2 });
      expect(counters.tcp).to.include({ queries: 2, answers: 2, connectionsAccepted: 2 });
    } finally {
      await listeners.close();
    }
  });

  it('fails to start on a taken port and leaves nothing bound', async () => {
    const first = await DnsListeners.start({ addresses: ['127.0.0.1:0'], handler });
    try {
      const port = first.bound[0]?.port as number;
      let failure: unknown;
      await DnsListeners.start({
        addresses: ['127.0.0.1:0', `127.0.0.1:${port}`],
        handler,
      }).then(
        (l) => l.close(),
        (error: unknown) => {
          failure = error;
        },
      );
      expect(failure).to.be.instanceOf(Error);
    } finally {
      await first.close();
    }
  });
});

describe('dns/server/udp', () => {
  it('survives a throwing handler and answers the next query', async () => {
    let calls = 0;
    const listeners = await DnsListeners.start({
      addresses: ['127.0.0.1:0'],
      handler: (query) => {
        calls++;
        if (calls === 1) throw new Error('boom');
        return responder.respond(query, 'udp', zones);
      },
    });
    try {
      const port = listeners.bound[0]?.port as number;
      const query = makeQuery('www.example.', 'A', { id: 5 });
      expect(await udpExchange('127.0.0.1', port, query, 300)).to.equal(null);
      expect(decodeOk(await udpExchange('127.0.0.1', port, query)).id).to.equal(5);
      expect(listeners.counters().udp).to.include({ queries: 2, handlerErrors: 1, answers: 1 });
    } finally {
      await listeners.close();
    }
  });
});

describe('dns/server/tcp (RFC 7766)', () => {
  interface Server {
    readonly port: number;
    counters(): ReturnType<DnsListeners['counters']>['tcp'];
  }

  async function withServer(
    options: Partial<DnsListenersOptions>,
    body: (server: Server) => Promise<void>,
  ): Promise<void> {
    const listeners = await DnsListeners.start({ addresses: ['127.0.0.1:0'], handler, ...options });
    try {
      await body({ port: listeners.bound[1]?.port as number, counters: () => listeners.counters().tcp });
    } finally {
      await listeners.close();
    }
  }

  it('answers pipelined queries, frames split at every byte, several per write', async () => {
    await withServer({}, async (server) => {
      const client = await TcpClient.connect('127.0.0.1', server.port);
      const frames = [1, 2, 3].map((id) => TcpClient.frame(makeQuery('www.example.', 'A', { id })));
      client.write(Buffer.concat(frames.slice(0, 2)));
      const third = frames[2] as Buffer;
      for (const byte of third) {
        client.write(Uint8Array.of(byte));
        await new Promise((resolve) => setImmediate(resolve));
      }
      const replies = await client.read(3);
      expect(replies.map((r) => decodeOk(r).id)).to.deep.equal([1, 2, 3]);
      client.close();
    });
  });

  it('answers out of order when a later answer is ready first (RFC 7766 §6.2.1.1)', async () => {
    let releaseFirst: (() => void) | undefined;
    const slow: DnsHandler = (query, transport) => {
      const answer = responder.respond(query, transport, zones);
      if (query[1] !== 1) return answer;
      return new Promise((resolve) => {
        releaseFirst = () => resolve(answer);
      });
    };
    await withServer({ handler: slow }, async (server) => {
      const client = await TcpClient.connect('127.0.0.1', server.port);
      client.write(TcpClient.frame(makeQuery('www.example.', 'A', { id: 1 })));
      client.write(TcpClient.frame(makeQuery('www.example.', 'A', { id: 2 })));
      const [second] = await client.read(1);
      expect(decodeOk(second ?? null).id).to.equal(2);
      releaseFirst?.();
      const [first] = await client.read(1);
      expect(decodeOk(first ?? null).id).to.equal(1);
      client.close();
    });
  });

  it('stops reading at the in-flight bound and resumes as answers go out', async () => {
    const releases: Array<() => void> = [];
    const held: DnsHandler = (query, transport) =>
      new Promise((resolve) => releases.push(() => resolve(responder.respond(query, transport, zones))));
    await withServer({ handler: held, tcpMaxInFlightPerConnection: 2 }, async (server) => {
      const client = await TcpClient.connect('127.0.0.1', server.port);
      client.write(
        Buffer.concat([1, 2, 3, 4].map((id) => TcpClient.frame(makeQuery('www.example.', 'A', { id })))),
      );
      while (releases.length < 2) await new Promise((resolve) => setImmediate(resolve));
      expect(server.counters().queries).to.equal(2);
      for (let i = 0; i < 4; i++) {
        while (releases.length <= i) await new Promise((resolve) => setImmediate(resolve));
        releases[i]?.();
      }
      const replies = await client.read(4);
      expect(replies.map((r) => decodeOk(r).id)).to.deep.equal([1, 2, 3, 4]);
      client.close();
    });
  });

  it('closes connections beyond the limit at once', async () => {
    await withServer({ tcpMaxConnections: 1 }, async (server) => {
      const first = await TcpClient.connect('127.0.0.1', server.port);
      first.write(TcpClient.frame(makeQuery('www.example.', 'A')));
      await first.read(1);
      const second = await TcpClient.connect('127.0.0.1', server.port);
      await second.closedPromise;
      expect(server.counters()).to.include({ connectionsRejected: 1, connections: 1 });
      first.close();
    });
  });

  it('closes the connections of one client beyond its own limit, and still accepts other clients', async () => {
    await withServer({ tcpMaxConnectionsPerClient: 2 }, async (server) => {
      const kept = [
        await TcpClient.connect('127.0.0.1', server.port, '127.0.0.2'),
        await TcpClient.connect('127.0.0.1', server.port, '127.0.0.2'),
      ];
      for (const [i, client] of kept.entries()) {
        client.write(TcpClient.frame(makeQuery('www.example.', 'A', { id: i + 1 })));
        expect(decodeOk((await client.read(1))[0] ?? null).id).to.equal(i + 1);
      }
      const extra = await TcpClient.connect('127.0.0.1', server.port, '127.0.0.2');
      await extra.closedPromise;
      expect(server.counters()).to.include({
        connectionsRejected: 1,
        connectionsRejectedPerClient: 1,
        connections: 2,
      });
      const other = await TcpClient.connect('127.0.0.1', server.port, '127.0.0.3');
      other.write(TcpClient.frame(makeQuery('www.example.', 'A', { id: 9 })));
      expect(decodeOk((await other.read(1))[0] ?? null).id).to.equal(9);
      // A closed connection gives its slot back to its client.
      kept[0]?.close();
      await kept[0]?.closedPromise;
      const deadline = Date.now() + 5_000;
      while (server.counters().connections > 2 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 5));
      const again = await TcpClient.connect('127.0.0.1', server.port, '127.0.0.2');
      again.write(TcpClient.frame(makeQuery('www.example.', 'A', { id: 10 })));
      expect(decodeOk((await again.read(1))[0] ?? null).id).to.equal(10);
      for (const client of [kept[1], other, again]) client?.close();
    });
  });

  it('closes an idle connection after the timeout, and answers a half-closed client', async () => {
    await withServer({ tcpIdleTimeoutMs: 50 }, async (server) => {
      const idle = await TcpClient.connect('127.0.0.1', server.port);
      await idle.closedPromise;
      expect(server.counters().idleCloses).to.equal(1);
      const half = await TcpClient.connect('127.0.0.1', server.port);
      half.socket.end(TcpClient.frame(makeQuery('www.example.', 'A', { id: 9 })));
      const [reply] = await half.read(1);
      expect(decodeOk(reply ?? null).id).to.equal(9);
      await half.closedPromise;
    });
  });

  it('close() resolves with a connection still open, and the client sees it closed', async () => {
    const listeners = await DnsListeners.start({ addresses: ['127.0.0.1:0'], handler });
    const client = await TcpClient.connect('127.0.0.1', listeners.bound[1]?.port as number);
    client.write(TcpClient.frame(makeQuery('www.example.', 'A')));
    await client.read(1);
    await listeners.close();
    await client.closedPromise;
  });
});
