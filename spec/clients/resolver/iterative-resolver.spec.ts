import { createSocket, type Socket } from 'node:dgram';
import { expect } from 'chai';
import { Responder } from '../../../actors/dns/server/responder.js';
import { ZoneSet } from '../../../actors/dns/zone/lookup.js';
import { IterativeResolver, type ResolverOptions } from '../../../clients/resolver/iterative-resolver.js';
import type { Resolution, TraceStep } from '../../../clients/resolver/resolution-trace.js';
import {
  buildQuery,
  parseServerAddress,
  SocketTransport,
} from '../../../clients/resolver/resolver-transport.js';
import { RR_TYPE } from '../../../protocol/dns/wire/codes.js';
import { decodeMessage, encodeMessage, type Message } from '../../../protocol/dns/wire/message.js';
import { Name } from '../../../protocol/dns/wire/name.js';
import { recordToText } from '../../../protocol/dns/wire/record.js';
import { realTimers } from '../../../runtime/clock.js';
import { zone } from '../../actors/dns/zone/helpers.js';
import { DEAD, Hierarchy, LAME, ORG1, ORG2, ROOT1, ROOT2, WIKIMEDIA, WIKIPEDIA } from './hierarchy.js';

/** A seeded 16-bit id source (xorshift32), so ids are replayable. */
function seededIds(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state & 0xffff;
  };
}

const answers = (resolution: Resolution): string[] =>
  resolution.result.kind === 'answer' ? resolution.result.records.map(recordToText) : [];

const servers = (trace: readonly TraceStep[]): string[] => trace.map((s) => `${s.server} ${s.verdict}`);

describe('clients/resolver: iterative resolution over a real hierarchy', function () {
  this.timeout(30_000);
  let tree: Hierarchy;
  const seed = Number(process.env.RESOLVER_SEED ?? Date.now() % 0xffffffff);

  before(async () => {
    console.log(`    resolver query-id seed ${seed} (RESOLVER_SEED=${seed} replays it)`);
    tree = await Hierarchy.start();
  });
  after(() => tree?.close());

  function resolver(overrides: Partial<ResolverOptions> = {}): IterativeResolver {
    return new IterativeResolver({
      roots: [{ host: ROOT1, port: tree.port }],
      port: tree.port,
      queryTimeoutMs: 300,
      deadlineMs: 10_000,
      randomId: seededIds(seed),
      ...overrides,
    });
  }

  const at = (host: string) => `${host}:${tree.port}`;

  it('follows referrals with glue from the root to www.wikipedia.org', async () => {
    const resolution = await resolver().resolve(Name.parse('www.wikipedia.org'), RR_TYPE.A);
    expect(resolution.result.kind).to.equal('answer');
    expect(answers(resolution)).to.deep.equal(['www.wikipedia.org. 300 IN A 103.102.166.224']);
    expect(servers(resolution.trace)).to.deep.equal([
      `${at(ROOT1)} referral`,
      `${at(ORG1)} referral`,
      `${at(WIKIPEDIA)} answer`,
    ]);
    const [first, , last] = resolution.trace;
    expect(first?.zone).to.equal('.');
    expect(first?.flags).to.deep.equal(['qr']);
    expect(first?.authorities).to.deep.equal(['org. 3600 IN NS ns1.org.']);
    expect(first?.additionals).to.deep.equal([`ns1.org. 3600 IN A ${ORG1}`]);
    expect(last?.zone).to.equal('wikipedia.org.');
    expect(last?.serverName).to.equal('ns1.wikipedia.org.');
    expect(last?.flags).to.include('aa');
    expect(last?.rcode).to.equal('NOERROR');
    expect(last?.protocol).to.equal('udp');
  });

  it('resolves a glueless name server from the root (its name in another zone), one level deeper', async () => {
    const resolution = await resolver({ roots: [{ host: ROOT2, port: tree.port }] }).resolve(
      Name.parse('www.wikipedia.org'),
      RR_TYPE.A,
    );
    expect(answers(resolution)).to.deep.equal(['www.wikipedia.org. 300 IN A 103.102.166.224']);
    const steps = resolution.trace.map((s) => `${s.depth} ${s.question} ${s.server} ${s.verdict}`);
    expect(steps).to.deep.equal([
      `0 www.wikipedia.org. IN A ${at(ROOT2)} referral`,
      `0 www.wikipedia.org. IN A ${at(ORG2)} referral`,
      `1 ns0.wikipedia-dns.net. IN A ${at(ROOT2)} referral`,
      `1 ns0.wikipedia-dns.net. IN A ${at('127.0.53.3')} answer`,
      `0 www.wikipedia.org. IN A ${at(WIKIPEDIA)} answer`,
    ]);
    expect(resolution.trace.at(-1)?.serverName).to.equal('ns0.wikipedia-dns.net.');
  });

  it('follows a CNAME chain across zones, restarting at the root for the other zone', async () => {
    const resolution = await resolver().resolve(Name.parse('m.wikipedia.org'), RR_TYPE.A);
    expect(answers(resolution)).to.deep.equal([
      'm.wikipedia.org. 300 IN CNAME mobile.wikimedia.net.',
      'mobile.wikimedia.net. 300 IN CNAME mobile-lb.wikimedia.net.',
      'mobile-lb.wikimedia.net. 300 IN A 103.102.166.225',
    ]);
    if (resolution.result.kind !== 'answer') expect.fail('an answer');
    expect(resolution.result.name.toString()).to.equal('mobile-lb.wikimedia.net.');
    expect(servers(resolution.trace)).to.deep.equal([
      `${at(ROOT1)} referral`,
      `${at(ORG1)} referral`,
      `${at(WIKIPEDIA)} cname`,
      `${at(ROOT1)} referral`,
      `${at('127.0.53.3')} referral`,
      `${at(WIKIMEDIA)} cname`,
    ]);
  });

  it('an in-zone CNAME is answered by one server', async () => {
    const resolution = await resolver().resolve(Name.parse('en.wikipedia.org'), RR_TYPE.A);
    expect(answers(resolution)).to.deep.equal([
      'en.wikipedia.org. 300 IN CNAME www.wikipedia.org.',
      'www.wikipedia.org. 300 IN A 103.102.166.224',
    ]);
    expect(resolution.trace).to.have.length(3);
  });

  it('NXDOMAIN carries the SOA of the zone that denies the name', async () => {
    const resolution = await resolver().resolve(Name.parse('nope.wikipedia.org'), RR_TYPE.A);
    const { result } = resolution;
    if (result.kind !== 'nxdomain') expect.fail(`nxdomain, got ${result.kind}`);
    expect(result.name.toString()).to.equal('nope.wikipedia.org.');
    expect(result.soa?.name.toString()).to.equal('wikipedia.org.');
    expect(result.soa?.type).to.equal(RR_TYPE.SOA);
    expect(resolution.trace.at(-1)?.verdict).to.equal('nxdomain');
    expect(resolution.trace.at(-1)?.rcode).to.equal('NXDOMAIN');
  });

  it('NODATA for a name without the asked type', async () => {
    const { result } = await resolver().resolve(Name.parse('text.wikipedia.org'), RR_TYPE.A);
    if (result.kind !== 'nodata') expect.fail(`nodata, got ${result.kind}`);
    expect(result.soa?.name.toString()).to.equal('wikipedia.org.');
    expect(result.chain).to.deep.equal([]);
  });

  it('a truncated UDP reply is asked again over TCP, which has the whole RRset', async () => {
    const tcpBefore = tree.tcpQueries();
    const resolution = await resolver().resolve(Name.parse('big.wikipedia.org'), RR_TYPE.TXT);
    expect(answers(resolution)).to.have.length(30);
    const last = resolution.trace.slice(-2);
    expect(last.map((s) => `${s.protocol} ${s.verdict}`)).to.deep.equal(['udp truncated', 'tcp answer']);
    expect(last[0]?.flags).to.include('tc');
    expect(last[1]?.bytes).to.be.greaterThan(1232);
    expect(tree.tcpQueries() - tcpBefore).to.equal(1);
  });

  it('skips a lame server (REFUSED) and a dead one (timeout) for the next', async () => {
    const resolution = await resolver().resolve(Name.parse('www.flaky.org'), RR_TYPE.A);
    expect(answers(resolution)).to.deep.equal(['www.flaky.org. 300 IN A 192.0.2.7']);
    const flaky = resolution.trace.filter((s) => s.zone === 'flaky.org.');
    expect(flaky.map((s) => `${s.server} ${s.verdict} ${s.rcode ?? '-'}`)).to.deep.equal([
      `${at(LAME)} lame REFUSED`,
      `${at(DEAD)} timeout -`,
      `${at(WIKIPEDIA)} answer NOERROR`,
    ]);
  });

  it('a zone whose only server refuses is a lame delegation', async () => {
    const { result } = await resolver().resolve(Name.parse('www.lame.org'), RR_TYPE.A);
    if (result.kind !== 'lame-delegation') expect.fail(`lame-delegation, got ${result.kind}`);
    expect(result.zone.toString()).to.equal('lame.org.');
    expect(result.message).to.contain('REFUSED');
  });

  it('an upward referral is a lame delegation', async () => {
    const resolution = await resolver().resolve(Name.parse('www.up.org'), RR_TYPE.A);
    const { result } = resolution;
    if (result.kind !== 'lame-delegation') expect.fail(`lame-delegation, got ${result.kind}`);
    expect(result.message).to.contain('referral to org.');
    expect(resolution.trace.at(-1)?.verdict).to.equal('lame');
  });

  it('a zone whose only server is dead times out', async () => {
    const { result } = await resolver().resolve(Name.parse('www.dead.org'), RR_TYPE.A);
    if (result.kind !== 'timeout') expect.fail(`timeout, got ${result.kind}`);
    expect(result.zone.toString()).to.equal('dead.org.');
  });

  it('the overall deadline ends a resolution', async () => {
    const { result } = await resolver({ deadlineMs: 100, queryTimeoutMs: 2_000 }).resolve(
      Name.parse('www.dead.org'),
      RR_TYPE.A,
    );
    expect(result.kind).to.equal('timeout');
  });

  it('a server referring to itself for the zone it was asked for is a loop', async () => {
    const resolution = await resolver().resolve(Name.parse('www.loopy.org'), RR_TYPE.A);
    expect(resolution.result.kind).to.equal('loop');
    expect(resolution.trace.at(-1)?.verdict).to.equal('loop');
  });

  it('two zones whose name servers live in each other, without glue, are a loop', async () => {
    const resolution = await resolver({ roots: [{ host: ROOT2, port: tree.port }] }).resolve(
      Name.parse('www.loopa.org'),
      RR_TYPE.A,
    );
    const { result } = resolution;
    if (result.kind !== 'loop') expect.fail(`loop, got ${result.kind}: ${JSON.stringify(result)}`);
    expect(result.message).to.contain('loopa.org.');
    expect(Math.max(...resolution.trace.map((s) => s.depth))).to.equal(2);
  });

  it('a CNAME loop across zones is detected', async () => {
    const { result } = await resolver().resolve(Name.parse('loop1.wikipedia.org'), RR_TYPE.A);
    if (result.kind !== 'loop') expect.fail(`loop, got ${result.kind}`);
    expect(result.message).to.contain('loop1.wikipedia.org.');
  });

  it('limits: referrals, CNAMEs and name-server depth', async () => {
    const referrals = await resolver({ referralsMax: 1 }).resolve(Name.parse('www.wikipedia.org'), RR_TYPE.A);
    expect(referrals.result).to.include({ kind: 'limit', limit: 'referrals' });
    const cnames = await resolver({ cnamesMax: 1 }).resolve(Name.parse('m.wikipedia.org'), RR_TYPE.A);
    expect(cnames.result).to.include({ kind: 'limit', limit: 'cnames' });
    const depth = await resolver({ roots: [{ host: ROOT2, port: tree.port }], depthMax: 0 }).resolve(
      Name.parse('www.wikipedia.org'),
      RR_TYPE.A,
    );
    expect(depth.result).to.include({ kind: 'limit', limit: 'depth' });
    const queries = await resolver({ queriesMax: 2 }).resolve(Name.parse('www.wikipedia.org'), RR_TYPE.A);
    expect(queries.result).to.include({ kind: 'limit', limit: 'queries' });
  });

  it('a second root is asked when the first is dead', async () => {
    const resolution = await resolver({
      roots: [
        { host: DEAD, port: tree.port },
        { host: ROOT1, port: tree.port },
      ],
    }).resolve(Name.parse('www.wikipedia.org'), RR_TYPE.A);
    expect(resolution.result.kind).to.equal('answer');
    expect(servers(resolution.trace).slice(0, 2)).to.deep.equal([
      `${at(DEAD)} timeout`,
      `${at(ROOT1)} referral`,
    ]);
  });
});

describe('clients/resolver: the UDP exchange ignores datagrams that are not the reply', () => {
  let socket: Socket;
  let port: number;
  const zones = new ZoneSet([
    zone('example.', ['@ 3600 SOA ns h 1 2 3 4 5', '@ 3600 NS ns', 'ns 300 A 192.0.2.1']),
  ]);
  const responder = new Responder({ identity: 'forger-test' });

  before(async () => {
    socket = createSocket('udp4');
    // Before the real reply: garbage, a reply with another id, one for another question, a query.
    socket.on('message', (query, remote) => {
      const decoded = decodeMessage(query);
      if (!decoded.ok) return;
      const asked = decoded.message;
      const real = responder.respond(query, 'udp', zones) as Uint8Array;
      const other = (m: Message): Uint8Array => encodeMessage(m, { compress: false }).bytes;
      const reply = decodeMessage(real);
      if (!reply.ok) return;
      const forged: Uint8Array[] = [
        Uint8Array.from([1, 2, 3]),
        other({ ...reply.message, id: (asked.id + 1) & 0xffff }),
        other({
          ...reply.message,
          questions: [{ name: Name.parse('evil.example'), type: RR_TYPE.A, class: 1 }],
        }),
        other({ ...reply.message, flags: { ...reply.message.flags, qr: false } }),
        real,
      ];
      for (const datagram of forged) socket.send(datagram, remote.port, remote.address);
    });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    port = socket.address().port;
  });
  after(() => socket.close());

  it('waits past forged datagrams for the matching reply, counting what it ignored', async () => {
    const transport = new SocketTransport(realTimers);
    const query = buildQuery(0x4242, { name: Name.parse('ns.example'), type: RR_TYPE.A, class: 1 });
    const outcome = await transport.exchange({ host: '127.0.0.1', port }, query, 'udp', 2_000);
    if (!outcome.ok) expect.fail(`a reply, got ${outcome.failure}: ${outcome.detail}`);
    expect(outcome.ignored).to.equal(4);
    expect(outcome.message.id).to.equal(0x4242);
    expect(outcome.message.answers.map(recordToText)).to.deep.equal(['ns.example. 300 IN A 192.0.2.1']);
    expect(query.flags.rd).to.equal(false);
    expect(query.edns?.udpPayloadSize).to.equal(1232);
  });
});

describe('clients/resolver: server addresses', () => {
  it('parses IPv4 and IPv6 with and without ports, and rejects names and bad ports', () => {
    expect(parseServerAddress('192.0.2.1', 53)).to.deep.equal({ host: '192.0.2.1', port: 53 });
    expect(parseServerAddress('192.0.2.1:5353', 53)).to.deep.equal({ host: '192.0.2.1', port: 5353 });
    expect(parseServerAddress('[2001:db8::1]:5353', 53)).to.deep.equal({ host: '2001:db8::1', port: 5353 });
    expect(parseServerAddress('2001:db8::1', 53)).to.deep.equal({ host: '2001:db8::1', port: 53 });
    for (const bad of ['ns.example', '192.0.2.1:0', '192.0.2.1:70000', '[192.0.2.1]:53', '300.1.1.1'])
      expect(() => parseServerAddress(bad, 53), bad).to.throw(/192|ns\.example|300/);
  });
});
