/**
 * Authoritative DNS from a real 3-replica group: real nats-server, three `runtime/main`
 * processes, records written through the client library over NATS, and `dig`/`kdig` as
 * the DNS clients, over UDP and TCP, IPv4 and IPv6, against every replica and read mode.
 */
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { promisify } from 'node:util';
import { expect } from 'chai';
import type { RaftClient } from '../../clients/raft-client.js';
import type { DnsBatch, DnsChange } from '../../protocol/dns/changes.js';
import { HybridClock } from '../../protocol/dns/version.js';
import { encodeMessage } from '../../protocol/dns/wire/message.js';
import { Name } from '../../protocol/dns/wire/name.js';
import { queryFlags } from '../fixtures/dns-query.js';
import { createZoneChange } from '../fixtures/dns-zone.js';
import { pollUntil } from '../fixtures/poll-until.js';
import { type DnsListenerInfo, RaftCluster, type ReplicaProcess } from '../fixtures/raft-cluster.js';

const execFileAsync = promisify(execFile);
const ZONE = 'example.org.';
const MODES = ['lease', 'linearizable', 'bounded:2000'] as const;
type Mode = (typeof MODES)[number];

/** What `dig` printed, split into the parts the tests check. */
interface DigResult {
  readonly status: string;
  readonly flags: readonly string[];
  readonly answer: readonly string[];
  readonly authority: readonly string[];
  readonly additional: readonly string[];
  readonly nsid: string | undefined;
  readonly raw: string;
}

function parseDig(out: string): DigResult {
  const status = /status: ([A-Z]+)/.exec(out)?.[1] ?? 'NONE';
  const flags = (/;; flags: ([a-z ]+);/.exec(out)?.[1] ?? '').trim().split(/\s+/);
  const section = (title: string): string[] => {
    const start = out.indexOf(`;; ${title} SECTION:`);
    if (start < 0) return [];
    const lines: string[] = [];
    for (const line of out.slice(start).split('\n').slice(1)) {
      if (line.trim() === '') break;
      lines.push(line.trim().replace(/\s+/g, ' '));
    }
    return lines;
  };
  const nsidMatch = /NSID: [0-9a-f ]+\("([^"]*)"\)/.exec(out);
  return {
    status,
    flags,
    answer: section('ANSWER'),
    authority: section('AUTHORITY'),
    additional: section('ADDITIONAL'),
    nsid: nsidMatch?.[1],
    raw: out,
  };
}

async function dig(listener: DnsListenerInfo, ...args: string[]): Promise<DigResult> {
  const { stdout } = await execFileAsync(
    'dig',
    [`@${listener.address}`, '-p', String(listener.port), '+norec', '+time=2', '+tries=1', ...args],
    { timeout: 10_000 },
  );
  return parseDig(stdout);
}

/** mulberry32: the fuzz packets are reproducible from the printed seed. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function queryBytes(name: string, type: number, rrClass = 1): Uint8Array {
  return encodeMessage(
    {
      id: 0x1234,
      flags: queryFlags(),
      questions: [{ name: Name.parse(name), type, class: rrClass }],
      answers: [],
      authorities: [],
      additionals: [],
      edns: {
        udpPayloadSize: 1232,
        extendedRcode: 0,
        version: 0,
        dnssecOk: false,
        options: [{ code: 3, data: new Uint8Array() }],
      },
    },
    { compress: true },
  ).bytes;
}

function listener(replica: ReplicaProcess, mode: Mode, family: 'IPv4' | 'IPv6' = 'IPv4'): DnsListenerInfo {
  const found = replica.dns.find((l) => l.mode === mode && l.family === family);
  if (found === undefined)
    throw new Error(`${replica.id} has no ${mode} ${family} listener: ${JSON.stringify(replica.dns)}`);
  return found;
}

describe('DNS from a 3-replica group (real processes, dig and kdig)', function () {
  this.timeout(120_000);
  let cluster: RaftCluster;
  let client: RaftClient;
  const clock = new HybridClock('spec-writer', () => Date.now());

  const write = async (batch: DnsBatch) => {
    const result = await client.dnsBatch(batch);
    if (!result.ok) throw new Error(`write failed: ${result.error.message}`);
    return result;
  };
  const upsert = (name: string, type: string, rdata: string[], ttl = 300): DnsChange => ({
    op: 'upsert',
    zone: ZONE,
    name,
    type,
    ttl,
    rdata,
    version: clock.next(),
  });

  before(async () => {
    cluster = await RaftCluster.start({
      replicas: 3,
      dnsListen: () => [...MODES.map((mode) => `127.0.0.1:0@${mode}`), '[::1]:0@lease'],
    });
    await cluster.waitForLeader(20_000);
    client = await cluster.client();
    await write({
      changes: [createZoneChange(ZONE, 100)],
    });
    await write({
      changes: [
        upsert('ns1.example.org.', 'A', ['192.0.2.53']),
        upsert('www.example.org.', 'A', ['192.0.2.1', '192.0.2.2']),
        upsert('www.example.org.', 'AAAA', ['2001:db8::1']),
        upsert('alias.example.org.', 'CNAME', ['www.example.org.']),
        upsert('example.org.', 'MX', ['10 mail.example.org.']),
        upsert('*.wild.example.org.', 'TXT', ['"wildcard"']),
        upsert('sub.example.org.', 'NS', ['ns.sub.example.org.']),
        upsert('ns.sub.example.org.', 'A', ['192.0.2.99']),
        upsert(
          'big.example.org.',
          'TXT',
          Array.from({ length: 40 }, (_, i) => `"${'x'.repeat(60)}${i}"`),
        ),
        upsert('unknown.example.org.', 'TYPE65534', ['\\# 2 abcd']),
      ],
    });
  });

  after(async () => {
    await client?.close();
    await cluster?.stop();
  });

  it('every replica answers authoritatively in every read mode, over UDP, TCP and IPv6', async () => {
    for (const replica of cluster.replicas) {
      for (const mode of MODES) {
        const udp = await dig(listener(replica, mode), 'www.example.org', 'A');
        expect(udp.status, `${replica.id} ${mode}\n${udp.raw}`).to.equal('NOERROR');
        expect(udp.flags).to.include('aa');
        expect(udp.flags).to.not.include('ra');
        expect(udp.answer).to.have.members([
          'www.example.org. 300 IN A 192.0.2.1',
          'www.example.org. 300 IN A 192.0.2.2',
        ]);
      }
      const tcp = await dig(listener(replica, 'lease'), '+tcp', 'www.example.org', 'AAAA');
      expect(tcp.answer).to.deep.equal(['www.example.org. 300 IN AAAA 2001:db8::1']);
      const v6 = await dig(listener(replica, 'lease', 'IPv6'), 'example.org', 'MX');
      expect(v6.answer).to.deep.equal(['example.org. 300 IN MX 10 mail.example.org.']);
    }
  });

  it('answers NXDOMAIN and NODATA with the SOA, referrals with glue, CNAME chains, wildcards and unknown types', async () => {
    const at = listener(cluster.replicas[1] as ReplicaProcess, 'lease');
    const nx = await dig(at, 'nope.example.org', 'A');
    expect(nx.status).to.equal('NXDOMAIN');
    expect(nx.flags).to.include('aa');
    expect(nx.authority[0]).to.match(
      /^example\.org\. 60 IN SOA ns1\.example\.org\. hostmaster\.example\.org\. \d+ 3600 600 604800 60$/,
    );
    const nodata = await dig(at, 'www.example.org', 'MX');
    expect(nodata.status).to.equal('NOERROR');
    expect(nodata.answer).to.deep.equal([]);
    expect(nodata.authority[0]).to.match(/ IN SOA /);
    const referral = await dig(at, 'host.sub.example.org', 'A');
    expect(referral.status).to.equal('NOERROR');
    expect(referral.flags).to.not.include('aa');
    expect(referral.authority).to.deep.equal(['sub.example.org. 300 IN NS ns.sub.example.org.']);
    expect(referral.additional).to.include('ns.sub.example.org. 300 IN A 192.0.2.99');
    const chain = await dig(at, 'ALIAS.Example.ORG', 'A');
    // The owner echoes the question's spelling; names compressed against it (the CNAME
    // target, the next owners) may take its case too, which DNS treats as equal (RFC 4343).
    expect(chain.answer[0]).to.match(/^ALIAS\.Example\.ORG\. 300 IN CNAME www\.example\.org\.$/i);
    expect(chain.answer[0]?.startsWith('ALIAS.Example.ORG. ')).to.equal(true);
    expect(chain.answer.slice(1).map((rr) => rr.toLowerCase())).to.have.members([
      'www.example.org. 300 in a 192.0.2.1',
      'www.example.org. 300 in a 192.0.2.2',
    ]);
    const wild = await dig(at, 'anything.wild.example.org', 'TXT');
    expect(wild.answer).to.deep.equal(['anything.wild.example.org. 300 IN TXT "wildcard"']);
    const unknown = await dig(at, 'unknown.example.org', 'TYPE65534');
    expect(unknown.answer).to.deep.equal(['unknown.example.org. 300 IN TYPE65534 \\# 2 ABCD']);
    const refused = await dig(at, 'www.example.com', 'A');
    expect(refused.status).to.equal('REFUSED');
  });

  it('truncates over UDP what does not fit, and TCP carries it whole', async () => {
    const at = listener(cluster.replicas[0] as ReplicaProcess, 'lease');
    const udp = await dig(at, '+bufsize=512', '+ignore', 'big.example.org', 'TXT');
    expect(udp.flags).to.include('tc');
    const tcp = await dig(at, '+tcp', 'big.example.org', 'TXT');
    expect(tcp.flags).to.not.include('tc');
    expect(tcp.answer).to.have.length(40);
  });

  it('tells which replica answered: NSID and CH TXT id.server', async () => {
    for (const replica of cluster.replicas) {
      const at = listener(replica, 'bounded:2000');
      const nsid = await dig(at, '+nsid', 'www.example.org', 'A');
      expect(nsid.nsid).to.equal(replica.id);
      const id = await dig(at, 'id.server', 'CH', 'TXT');
      expect(id.answer).to.deep.equal([`id.server. 0 CH TXT "${replica.id}"`]);
      const { stdout } = await execFileAsync(
        'kdig',
        [`@${at.address}`, '-p', String(at.port), '+norec', '+nsid', 'hostname.bind', 'CH', 'TXT'],
        { timeout: 10_000 },
      );
      expect(stdout).to.contain(`"${replica.id}"`);
    }
  });

  it('a write acknowledged by the leader is seen at once through every replica in lease and linearizable mode', async () => {
    // The leader answers lease reads from its published lease (no message), followers ask
    // the leader for a read index: both must include every acknowledged write.
    const followers = cluster.replicas;
    for (let round = 0; round < 5; round++) {
      const address = `198.51.100.${round + 1}`;
      const result = await write({ changes: [upsert('fresh.example.org.', 'A', [address], 60)] });
      expect(result.outcomes).to.deep.equal(['applied']);
      for (const follower of followers) {
        for (const mode of ['lease', 'linearizable'] as const) {
          const seen = await dig(listener(follower, mode), 'fresh.example.org', 'A');
          expect(seen.answer, `${follower.id} ${mode} round ${round}`).to.deep.equal([
            `fresh.example.org. 60 IN A ${address}`,
          ]);
        }
      }
    }
  });

  it('moves the SOA serial once per committed write, and a bad write changes nothing', async () => {
    const at = listener(cluster.replicas[2] as ReplicaProcess, 'linearizable');
    const serialOf = async () => {
      const soa = await dig(at, 'example.org', 'SOA');
      return Number(soa.answer[0]?.split(' ')[6]);
    };
    const before = await serialOf();
    const result = await write({ changes: [upsert('serial.example.org.', 'A', ['192.0.2.7'])] });
    expect(result.serials[ZONE]).to.equal(before + 1);
    expect(await serialOf()).to.equal(before + 1);
    // A CNAME beside other data is refused as a whole: nothing of the batch applies.
    const bad = await client.dnsBatch({
      changes: [
        upsert('other.example.org.', 'A', ['192.0.2.8']),
        upsert('www.example.org.', 'CNAME', ['x.example.org.']),
      ],
    });
    expect(bad.ok).to.equal(false);
    if (!bad.ok) expect(bad.error.code).to.equal('invalid-zone-data');
    expect(await serialOf()).to.equal(before + 1);
    const other = await dig(at, 'other.example.org', 'A');
    expect(other.status).to.equal('NXDOMAIN');
  });

  it('survives random and mutated packets over UDP and TCP: never crashes, never changes data', async () => {
    const seed = Number(process.env.RAFTNS_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const random = seededRandom(seed);
    console.log(`      fuzz seed ${seed} (replay: RAFTNS_FUZZ_SEED=${seed})`);
    const at = listener(cluster.replicas[0] as ReplicaProcess, 'lease');
    const soaBefore = (await dig(at, 'example.org', 'SOA')).answer;
    const valid = [
      queryBytes('www.example.org.', 1),
      queryBytes('alias.example.org.', 1),
      queryBytes('big.example.org.', 16),
      queryBytes('id.server.', 16, 3),
    ];
    const packets: Buffer[] = [];
    for (let i = 0; i < 1500; i++) {
      const base = Buffer.from(valid[Math.floor(random() * valid.length)] as Uint8Array);
      const kind = random();
      if (kind < 0.2)
        packets.push(
          Buffer.from(Array.from({ length: Math.floor(random() * 80) }, () => Math.floor(random() * 256))),
        );
      else if (kind < 0.4) packets.push(base.subarray(0, Math.floor(random() * base.length)));
      else {
        for (let flips = 1 + Math.floor(random() * 4); flips > 0; flips--) {
          const index = Math.floor(random() * base.length);
          base[index] = (base[index] as number) ^ (1 << Math.floor(random() * 8));
        }
        packets.push(base);
      }
    }
    try {
      const socket = createSocket('udp4');
      for (const packet of packets) socket.send(packet, at.port, at.address);
      await new Promise<void>((resolve) => socket.close(() => resolve()));
      // TCP: the same packets framed on a few connections, some cut short mid-frame.
      for (let c = 0; c < 10; c++) {
        await new Promise<void>((resolve) => {
          const conn = connect(at.port, at.address, () => {
            for (const packet of packets.slice(c * 50, c * 50 + 50)) {
              const frame = Buffer.alloc(2 + packet.length);
              frame.writeUInt16BE(packet.length, 0);
              packet.copy(frame, 2);
              conn.write(c % 2 === 0 ? frame : frame.subarray(0, 1 + Math.floor(random() * frame.length)));
            }
            conn.end();
          });
          conn.on('data', () => undefined);
          conn.on('close', () => resolve());
          conn.on('error', () => resolve());
        });
      }
      // Still serving, over both transports, the same data.
      for (const replica of cluster.replicas) expect(replica.running, replica.id).to.equal(true);
      expect((await dig(at, 'example.org', 'SOA')).answer).to.deep.equal(soaBefore);
      expect((await dig(at, '+tcp', 'www.example.org', 'A')).answer).to.have.length(2);
    } catch (error) {
      throw new Error(`fuzz seed ${seed} (replay with RAFTNS_FUZZ_SEED=${seed}): ${String(error)}`);
    }
  });

  it('keeps answering after the leader dies: survivors serve in every mode once a new leader is elected', async () => {
    const oldLeader = (await cluster.waitForLeader(20_000)).replica;
    await cluster.replica(oldLeader).kill('SIGKILL');
    const newLeader = (await cluster.waitForLeader(15_000, (leader) => leader.replica !== oldLeader)).replica;
    await write({ changes: [upsert('after.example.org.', 'A', ['192.0.2.77'])] });
    for (const replica of cluster.replicas.filter((r) => r.id !== oldLeader)) {
      for (const mode of MODES) {
        const seen = await dig(listener(replica, mode), 'after.example.org', 'A');
        expect(
          seen.answer,
          `${replica.id} (${replica.id === newLeader ? 'leader' : 'follower'}) ${mode}`,
        ).to.deep.equal(['after.example.org. 300 IN A 192.0.2.77']);
      }
    }
    // The old leader comes back with its data and catches up.
    await cluster.replica(oldLeader).start();
    await pollUntil('the restarted replica to serve the new record', 15_000, async () => {
      const seen = await dig(
        listener(cluster.replica(oldLeader), 'linearizable'),
        'after.example.org',
        'A',
      ).catch(() => undefined);
      return seen?.answer.length === 1 ? true : undefined;
    });
  });
});
