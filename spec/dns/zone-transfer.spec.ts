/**
 * Zone transfers (AXFR, RFC 5936; IXFR from the replicated change history, RFC 1995) from a
 * real 3-replica group: real nats-server (JetStream, for the key and rule buckets), three
 * `runtime/main` processes each with a `lease` and a `linearizable` listener, keys made
 * with `raftns tsig add`, rules with `raftns zone allow-transfer`, and `kdig` as the
 * client (it checks the TSIG of every message itself). The zone is imported with
 * `raftns zone import` and compared with `raftns zone export`.
 */
import { createSocket } from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import { expect } from 'chai';
import { MESSAGES_PER_TURN } from '../../actors/dns/transfer/transfer-desk.js';
import type { RaftClient } from '../../clients/raft-client.js';
import type { DnsChange } from '../../protocol/dns/changes.js';
import type { TsigKey } from '../../protocol/dns/tsig/key.js';
import { parseKeyFile } from '../../protocol/dns/tsig/key-file.js';
import { signRequest } from '../../protocol/dns/tsig/sign.js';
import { TsigStreamVerifier } from '../../protocol/dns/tsig/stream.js';
import { HybridClock } from '../../protocol/dns/version.js';
import { RCODE, RR_CLASS, RR_TYPE } from '../../protocol/dns/wire/codes.js';
import { decodeMessage, encodeMessage, type Message } from '../../protocol/dns/wire/message.js';
import { Name } from '../../protocol/dns/wire/name.js';
import { silentLogger } from '../../runtime/log.js';
import { connectNats } from '../../runtime/nats/nats-connection.js';
import { queryFlags } from '../fixtures/dns-query.js';
import { type NatsServerHandle, startNatsServer } from '../fixtures/nats-server.js';
import { pollUntil } from '../fixtures/poll-until.js';
import type { DnsListenerInfo, RaftCluster } from '../fixtures/raft-cluster.js';
import { raftns } from '../fixtures/raftns-cli.js';
import {
  ixfrSequence,
  kdig,
  readTransfer,
  recordTexts,
  replicaMetric,
  startTransferCluster,
  tcpExchange,
  transferEnded,
} from '../fixtures/zone-transfer.js';

const ZONE = 'example.org.';
const CLUSTER = 'xfr';

/**
 * A zone of about ten 64 KiB messages, more than the transfer desk sends in one actor turn
 * (so writes apply between a transfer's messages): A, AAAA, TXT, MX, SRV, CNAME, a
 * delegation with glue.
 */
function zoneFile(): string {
  const lines = [
    '$TTL 300',
    '@ IN SOA ns1 hostmaster 1 3600 600 604800 60',
    '  NS ns1',
    '  NS ns2.example.net.',
    '  MX 10 mail',
    'ns1 A 192.0.2.53',
    'mail A 192.0.2.25',
    '_sip._tcp SRV 10 5 5060 sip.example.net.',
    'alias CNAME www',
    'www A 192.0.2.80',
    'sub NS ns.sub',
    'ns.sub A 192.0.2.99',
  ];
  for (let i = 0; i < 3000; i++) lines.push(`h${i} A 10.${(i >> 8) & 255}.${i & 255}.1`);
  for (let i = 0; i < 1000; i++) lines.push(`v6-${i} AAAA 2001:db8::${i.toString(16)}`);
  for (let i = 0; i < 2000; i++) lines.push(`t${i} TXT "${'x'.repeat(240)} ${i}"`);
  return `${lines.join('\n')}\n`;
}

function query(type: number, overrides: Partial<Message> = {}): Message {
  return {
    id: 4242,
    flags: queryFlags(),
    questions: [{ name: Name.parse(ZONE), type, class: RR_CLASS.IN }],
    answers: [],
    authorities: [],
    additionals: [],
    ...overrides,
  };
}

function udpExchange(at: DnsListenerInfo, bytes: Uint8Array, timeoutMs = 3_000): Promise<Uint8Array | null> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      resolve(null);
    }, timeoutMs);
    socket.on('message', (msg) => {
      clearTimeout(timer);
      socket.close();
      resolve(new Uint8Array(msg));
    });
    socket.send(bytes, at.port, at.address);
  });
}

function rcodeOf(bytes: Uint8Array | null | undefined): number {
  if (bytes == null) return -1;
  return (bytes[3] as number) & 0x0f;
}

describe('zone transfers from a 3-replica group (kdig AXFR/IXFR, TSIG, transfer rules)', function () {
  this.timeout(300_000);
  let nats: NatsServerHandle;
  let nc: NatsConnection;
  let cluster: RaftCluster;
  let client: RaftClient;
  let dir: string;
  let key: TsigKey;
  let secret: string;
  let otherSecret: string;
  const clock = new HybridClock('xfr-spec', () => Date.now());
  const lease = (i: number) => cluster.replicas[i]?.dns[0] as DnsListenerInfo;
  const linearizable = (i: number) => cluster.replicas[i]?.dns[1] as DnsListenerInfo;
  const cli = (...args: string[]) =>
    raftns(['--nats', nats.url, '--cluster', CLUSTER, '--timeout', '60000', ...args], { timeoutMs: 120_000 });
  const axfr = (at: DnsListenerInfo, ...args: string[]) => kdig(at, ['-t', 'AXFR', ...args, ZONE]);
  const withKey = () => ['-y', `hmac-sha256:xfr.:${secret}`];
  /** `allow-transfer --key xfr.` (idempotent), applied on every replica: each spec may run alone (`-g`). */
  const allowKey = async () => {
    const allowed = await cli('zone', 'allow-transfer', ZONE, '--key', 'xfr.');
    expect(allowed.code, allowed.stderr).to.equal(0);
    for (let i = 0; i < 3; i++)
      await pollUntil(`replica ${i} applies the rule`, 10_000, async () =>
        (await kdig(lease(i), ['-t', 'IXFR=0', ...withKey(), ZONE])).out.includes('REFUSED')
          ? undefined
          : true,
      );
  };
  const exported = async (): Promise<string[]> => {
    const run = await cli('zone', 'export', ZONE);
    expect(run.code, run.stderr).to.equal(0);
    return recordTexts(run.stdout, ZONE).sort();
  };

  before(async () => {
    nats = await startNatsServer({ jetstream: true });
    nc = await connectNats({ urls: [nats.url], name: 'zone-transfer-spec', log: silentLogger });
    cluster = await startTransferCluster({ nats, nc, cluster: CLUSTER, zone: ZONE });
    client = await cluster.client();
    dir = await mkdtemp(join(tmpdir(), 'raftns-xfr-'));
    const file = join(dir, 'zone.db');
    await writeFile(file, zoneFile());
    const imported = await cli('zone', 'import', ZONE, file);
    expect(imported.code, imported.stderr).to.equal(0);
    const added = await cli('tsig', 'add', 'xfr.', '--zone', ZONE);
    expect(added.code, added.stderr).to.equal(0);
    const parsed = parseKeyFile(added.stdout);
    if (!parsed.ok) throw new Error(parsed.error.message);
    key = parsed.keys[0] as TsigKey;
    secret = Buffer.from(key.secret).toString('base64');
    const other = await cli('tsig', 'add', 'other.', '--zone', ZONE);
    expect(other.code, other.stderr).to.equal(0);
    const otherParsed = parseKeyFile(other.stdout);
    if (!otherParsed.ok) throw new Error(otherParsed.error.message);
    otherSecret = Buffer.from((otherParsed.keys[0] as TsigKey).secret).toString('base64');
    // Every replica knows both keys (a signed SOA query is not BADKEY) and serves the zone.
    for (let i = 0; i < 3; i++)
      await pollUntil(`replica ${i} knows the keys`, 15_000, async () => {
        const a = await kdig(lease(i), ['-y', `hmac-sha256:xfr.:${secret}`, ZONE, 'SOA']);
        const b = await kdig(lease(i), ['-y', `hmac-sha256:other.:${otherSecret}`, ZONE, 'SOA']);
        return a.out.includes('NOERROR') && b.out.includes('NOERROR') ? true : undefined;
      });
  });

  after(async () => {
    await client?.close();
    await cluster?.stop();
    await nc?.close();
    await nats?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('refuses every transfer while the zone has no rule (the default denies), signed or not', async () => {
    for (let i = 0; i < 3; i++) {
      const unsigned = await axfr(lease(i));
      expect(unsigned.out).to.include('REFUSED');
      const signed = await axfr(lease(i), ...withKey());
      expect(signed.out).to.include('REFUSED');
    }
  });

  it('with `allow-transfer --key`, kdig -y transfers the whole zone from every replica and listener, equal to the export, in several signed messages', async () => {
    const allowed = await cli('zone', 'allow-transfer', ZONE, '--key', 'xfr.');
    expect(allowed.code, allowed.stderr).to.equal(0);
    const listed = await cli('zone', 'allow-transfer', '--list');
    expect(listed.stdout).to.include(`${ZONE}\tkey=xfr.`);
    const expected = await exported();
    expect(expected.length).to.be.greaterThan(6000);
    for (let i = 0; i < 3; i++) {
      for (const at of [lease(i), linearizable(i)]) {
        const run = await pollUntil(`replica ${i} (${at.mode}) applies the rule`, 10_000, async () => {
          const r = await axfr(at, ...withKey());
          return r.out.includes('REFUSED') ? undefined : r;
        });
        expect(run.code, run.out.slice(0, 2000)).to.equal(0);
        expect(run.out).to.not.match(/failed|WARNING/i);
        const transfer = readTransfer(run.out, ZONE);
        // RFC 5936 §2.2: SOA first and last.
        expect(transfer.records[0]).to.match(/ SOA /);
        expect(transfer.records.at(-1)).to.equal(transfer.records[0]);
        expect(transfer.messages, 'more messages than one actor turn sends').to.be.greaterThan(
          MESSAGES_PER_TURN,
        );
        expect(transfer.records.slice(0, -1).sort()).to.deep.equal(expected);
      }
    }
  });

  it('every message of a signed transfer carries a TSIG that verifies in sequence (RFC 8945 §5.3.1)', async () => {
    const signed = signRequest(
      encodeMessage(query(RR_TYPE.AXFR), { compress: true }).bytes,
      key,
      Math.floor(Date.now() / 1000),
    );
    const frames = await tcpExchange(lease(1), signed.bytes, { timeoutMs: 15_000, until: transferEnded });
    expect(transferEnded(frames), 'the transfer ended with its SOA').to.equal(true);
    expect(frames.length).to.be.greaterThan(2);
    const verifier = new TsigStreamVerifier(key, signed.mac);
    for (const frame of frames) {
      expect(frame.length).to.be.at.most(65535);
      const verdict = verifier.verify(frame, Math.floor(Date.now() / 1000));
      expect(verdict.kind, JSON.stringify(verdict)).to.equal('verified');
    }
  });

  it('refuses a key that is not listed and a source outside the prefixes; NOTAUTH for an unknown key', async () => {
    const other = await axfr(lease(0), '-y', `hmac-sha256:other.:${otherSecret}`);
    expect(other.out).to.include('REFUSED');
    const unsigned = await axfr(lease(0));
    expect(unsigned.out).to.include('REFUSED');
    const unknown = await axfr(lease(0), '-y', `hmac-sha256:nobody.:${otherSecret}`);
    expect(unknown.out).to.match(/NOTAUTH|BADKEY/);
    const elsewhere = await cli('zone', 'allow-transfer', ZONE, '--from', '192.0.2.0/24');
    expect(elsewhere.code, elsewhere.stderr).to.equal(0);
    const stillRefused = await axfr(lease(0));
    expect(stillRefused.out).to.include('REFUSED');
  });

  it('`--from 127.0.0.0/8` lets unsigned transfers from loopback in; `--remove` shuts them out again', async () => {
    const allowed = await cli('zone', 'allow-transfer', ZONE, '--from', '127.0.0.0/8');
    expect(allowed.code, allowed.stderr).to.equal(0);
    await pollUntil('every replica allows loopback', 10_000, async () => {
      for (let i = 0; i < 3; i++) if ((await axfr(lease(i))).out.includes('REFUSED')) return undefined;
      return true;
    });
    const run = await axfr(lease(2));
    expect(readTransfer(run.out, ZONE).records.length).to.be.greaterThan(6000);
    const removed = await cli('zone', 'allow-transfer', ZONE, '--remove', '--from', '127.0.0.0/8');
    expect(removed.code, removed.stderr).to.equal(0);
    await pollUntil('every replica refuses loopback again', 10_000, async () => {
      for (let i = 0; i < 3; i++) if (!(await axfr(lease(i))).out.includes('REFUSED')) return undefined;
      return true;
    });
    // The key still works.
    expect((await axfr(lease(2), ...withKey())).code).to.equal(0);
  });

  it('AXFR over UDP is NOTIMP (RFC 5936 §4.2); IXFR over UDP gets our SOA alone (RFC 1995 §2)', async () => {
    const axfrUdp = await udpExchange(lease(0), encodeMessage(query(RR_TYPE.AXFR), { compress: true }).bytes);
    expect(rcodeOf(axfrUdp)).to.equal(RCODE.NOTIMP);
    const ixfr = query(RR_TYPE.IXFR, {
      authorities: [
        {
          name: Name.parse(ZONE),
          type: RR_TYPE.SOA,
          class: RR_CLASS.IN,
          ttl: 0,
          rdata: {
            kind: 'SOA',
            mname: Name.parse('ns1.example.org.'),
            rname: Name.parse('h.example.org.'),
            serial: 0,
            refresh: 0,
            retry: 0,
            expire: 0,
            minimum: 0,
          },
        },
      ],
    });
    const signed = signRequest(
      encodeMessage(ixfr, { compress: true }).bytes,
      key,
      Math.floor(Date.now() / 1000),
    );
    const answer = await udpExchange(lease(0), signed.bytes);
    const decoded = decodeMessage(answer ?? new Uint8Array(0));
    if (!decoded.ok) expect.fail('IXFR over UDP: no answer');
    expect(decoded.message.flags.rcode).to.equal(RCODE.NOERROR);
    expect(decoded.message.answers.map((r) => r.type)).to.deep.equal([RR_TYPE.SOA]);
  });

  it('IXFR over TCP: the current serial gets the SOA alone; a serial the history does not reach gets the whole zone in AXFR form (RFC 1995 §2, §4)', async () => {
    await allowKey();
    const current = readTransfer((await axfr(lease(0), ...withKey())).out, ZONE).serials[0] as number;
    const same = await kdig(lease(0), ['-t', `IXFR=${current}`, ...withKey(), ZONE]);
    expect(same.code, same.out).to.equal(0);
    expect(readTransfer(same.out, ZONE).records).to.have.length(1);
    // 200 versions back: past the 64 the history keeps (RFC 1982: still older than current).
    const tooOld = (current + 2 ** 32 - 200) % 2 ** 32;
    const older = await kdig(lease(0), ['-t', `IXFR=${tooOld}`, ...withKey(), ZONE]);
    expect(older.code, older.out).to.equal(0);
    const full = readTransfer(older.out, ZONE);
    expect(full.records.slice(0, -1).sort()).to.deep.equal(await exported());
  });

  it('IXFR after writes: every replica answers the exact RFC 1995 §4 difference sequence from its history, over TCP, and over UDP when it fits', async () => {
    await allowKey();
    const write = async (changes: DnsChange[]): Promise<number> => {
      const result = await client.dnsBatch({ changes });
      if (!result.ok) return expect.fail(JSON.stringify(result));
      return result.serials[ZONE] as number;
    };
    const a = (rdata: string): DnsChange => ({
      op: 'upsert',
      zone: ZONE,
      name: 'ixfr-a',
      type: 'A',
      ttl: 60,
      rdata: [rdata],
      version: clock.next(),
    });
    const s1 = await write([a('192.0.2.10')]);
    const s0 = s1 - 1;
    const s2 = await write([
      a('192.0.2.11'),
      {
        op: 'upsert',
        zone: ZONE,
        name: 'ixfr-b',
        type: 'TXT',
        ttl: 60,
        rdata: ['"hello"'],
        version: clock.next(),
      },
    ]);
    const s3 = await write([
      { op: 'delete-rrset', zone: ZONE, name: 'ixfr-b', type: 'TXT', version: clock.next() },
    ]);
    expect([s2, s3]).to.deep.equal([s1 + 1, s1 + 2]);
    const A10 = `ixfr-a.${ZONE} 60 IN A 192.0.2.10`;
    const A11 = `ixfr-a.${ZONE} 60 IN A 192.0.2.11`;
    const HELLO = `ixfr-b.${ZONE} 60 IN TXT "hello"`;
    const expected = [
      `SOA ${s3}`,
      ...[`SOA ${s0}`, `SOA ${s1}`, A10],
      ...[`SOA ${s1}`, A10, `SOA ${s2}`, A11, HELLO],
      ...[`SOA ${s2}`, HELLO, `SOA ${s3}`],
      `SOA ${s3}`,
    ];
    const lastStep = [`SOA ${s3}`, `SOA ${s2}`, HELLO, `SOA ${s3}`, `SOA ${s3}`];
    const incrementalBefore = await Promise.all(
      cluster.replicas.map((r) => replicaMetric(r, /^raftns_dns_transfers_total\{[^}]*answer="incremental"/)),
    );
    for (let i = 0; i < 3; i++) {
      const tcp = await kdig(linearizable(i), ['-t', `IXFR=${s0}`, ...withKey(), ZONE]);
      expect(tcp.code, tcp.out).to.equal(0);
      expect(ixfrSequence(tcp.out, ZONE), `replica ${i}`).to.deep.equal(expected);
      // From the middle of the history: the last step alone.
      const last = await kdig(linearizable(i), ['-t', `IXFR=${s2}`, ...withKey(), ZONE]);
      expect(ixfrSequence(last.out, ZONE), `replica ${i}`).to.deep.equal(lastStep);
      const udp = await kdig(linearizable(i), ['+notcp', '-t', `IXFR=${s2}`, ...withKey(), ZONE]);
      expect(udp.code, udp.out).to.equal(0);
      expect(udp.out).to.match(/UDP/);
      expect(ixfrSequence(udp.out, ZONE), `replica ${i} over UDP`).to.deep.equal(lastStep);
    }
    // The replicas counted them as incremental answers (3 each: two over TCP, one over UDP).
    await pollUntil('the metrics show the incremental transfers', 10_000, async () => {
      for (let i = 0; i < 3; i++) {
        const now = await replicaMetric(
          cluster.replicas[i] as (typeof cluster.replicas)[number],
          /^raftns_dns_transfers_total\{[^}]*answer="incremental"/,
        );
        const before = incrementalBefore[i] ?? Number.NaN;
        if (!(now - (Number.isNaN(before) ? 0 : before) >= 3)) return undefined;
      }
      return true;
    });
  });

  it('IXFR over UDP that does not fit gets our SOA alone; the same over TCP the sequence (RFC 1995 §2)', async () => {
    await allowKey();
    let from = 0;
    for (let i = 0; i < 6; i++) {
      const result = await client.dnsBatch({
        changes: [
          {
            op: 'upsert',
            zone: ZONE,
            name: `ixfr-big${i}`,
            type: 'TXT',
            ttl: 60,
            rdata: [`"${'u'.repeat(250)}"`],
            version: clock.next(),
          },
        ],
      });
      if (!result.ok) expect.fail(JSON.stringify(result));
      if (i === 0) from = (result.serials[ZONE] as number) - 1;
    }
    const udp = await kdig(linearizable(0), ['+notcp', '+ignore', '-t', `IXFR=${from}`, ...withKey(), ZONE]);
    expect(udp.code, udp.out).to.equal(0);
    expect(ixfrSequence(udp.out, ZONE)).to.deep.equal([`SOA ${from + 6}`]);
    const tcp = await kdig(linearizable(0), ['-t', `IXFR=${from}`, ...withKey(), ZONE]);
    expect(ixfrSequence(tcp.out, ZONE).filter((r) => r.includes('ixfr-big'))).to.have.length(6);
  });

  it('answers malformed transfer requests with FORMERR or NOTAUTH and keeps serving', async () => {
    const twoQuestions = encodeMessage(
      query(RR_TYPE.AXFR, {
        questions: [
          { name: Name.parse(ZONE), type: RR_TYPE.AXFR, class: RR_CLASS.IN },
          { name: Name.parse(ZONE), type: RR_TYPE.AXFR, class: RR_CLASS.IN },
        ],
      }),
      { compress: true },
    ).bytes;
    expect(rcodeOf((await tcpExchange(lease(0), twoQuestions, { frames: 1 }))[0])).to.equal(RCODE.FORMERR);
    const ixfrWithoutSoa = encodeMessage(query(RR_TYPE.IXFR), { compress: true }).bytes;
    expect(rcodeOf((await tcpExchange(lease(0), ixfrWithoutSoa, { frames: 1 }))[0])).to.equal(RCODE.FORMERR);
    const notApex = encodeMessage(
      query(RR_TYPE.AXFR, {
        questions: [{ name: Name.parse(`www.${ZONE}`), type: RR_TYPE.AXFR, class: RR_CLASS.IN }],
      }),
      { compress: true },
    ).bytes;
    expect(rcodeOf((await tcpExchange(lease(0), notApex, { frames: 1 }))[0])).to.equal(RCODE.NOTAUTH);
    // A question cut short, and an AXFR question followed by garbage records.
    const good = encodeMessage(query(RR_TYPE.AXFR), { compress: true }).bytes;
    const cut = good.slice(0, good.length - 2);
    const garbage = new Uint8Array([...good.slice(0, 11), 3, ...good.slice(12), 0xff, 0xff, 0xff]);
    for (const bad of [cut, garbage]) {
      const frames = await tcpExchange(lease(0), bad, { frames: 1, timeoutMs: 3_000 });
      if (frames.length > 0) expect(rcodeOf(frames[0])).to.be.oneOf([RCODE.FORMERR, RCODE.REFUSED]);
    }
    // A frame length promising more than is sent, then a close: nothing to answer.
    await tcpExchange(lease(0), new Uint8Array([0xff, 0xff, 1, 2, 3]), { raw: true, timeoutMs: 500 });
    for (let i = 0; i < 3; i++) {
      const run = await axfr(lease(i), ...withKey());
      expect(run.code, run.out.slice(0, 500)).to.equal(0);
    }
  });

  it('a linearizable listener of every replica transfers a write acknowledged just before', async () => {
    for (let i = 0; i < 3; i++) {
      const written = await client.dnsBatch({
        changes: [
          {
            op: 'upsert',
            zone: ZONE,
            name: `lin${i}`,
            type: 'A',
            ttl: 60,
            rdata: [`192.0.2.${i + 1}`],
            version: clock.next(),
          },
        ],
      });
      expect(written.ok, JSON.stringify(written)).to.equal(true);
      const run = await axfr(linearizable(i), ...withKey());
      expect(run.code).to.equal(0);
      expect(readTransfer(run.out, ZONE).records).to.include(`lin${i}.${ZONE} 60 IN A 192.0.2.${i + 1}`);
    }
  });

  it('a transfer while writes continue is one version: its serial names exactly the counter records it holds', async () => {
    await allowKey();
    const base = readTransfer((await axfr(lease(0), ...withKey())).out, ZONE).serials[0] as number;
    // spec/actors/dns/transfer/zone-snapshot.spec.ts pins the mechanism deterministically;
    // here it is the running group. Writers in parallel, so batches apply between the turns of one transfer. Each batch of
    // writer w adds the owner n<k>.w<w>.counter and sets w<w>.counter to k, together. The
    // counter's node is created by the first batch, before every later owner, so a transfer
    // that read the zone as it changed would hold a counter ahead of its owners (or owners
    // ahead of the counter), and a serial that is not the base plus the batches it holds.
    const WRITERS = 8;
    const BATCHES_MAX = 120;
    let stop = false;
    const batches = new Array<number>(WRITERS).fill(0);
    const writers = batches.map(async (_, w) => {
      while (!stop && (batches[w] as number) < BATCHES_MAX) {
        const k = (batches[w] as number) + 1;
        const result = await client.dnsBatch({
          changes: [
            {
              op: 'upsert',
              zone: ZONE,
              name: `n${k}.w${w}.counter`,
              type: 'A',
              ttl: 60,
              rdata: ['192.0.2.7'],
              version: clock.next(),
            },
            {
              op: 'upsert',
              zone: ZONE,
              name: `w${w}.counter`,
              type: 'TXT',
              ttl: 60,
              rdata: [`"${k}"`],
              version: clock.next(),
            },
          ],
        });
        if (!result.ok) throw new Error(JSON.stringify(result));
        batches[w] = k;
      }
    });
    const seen = new Set<number>();
    try {
      for (let round = 0; round < 12; round++) {
        const at = round % 2 === 0 ? lease(round % 3) : linearizable(round % 3);
        const run = await axfr(at, ...withKey());
        expect(run.code, run.out.slice(0, 500)).to.equal(0);
        const transfer = readTransfer(run.out, ZONE);
        const serial = transfer.serials[0] as number;
        expect(transfer.serials.at(-1)).to.equal(serial);
        let held = 0;
        for (let w = 0; w < WRITERS; w++) {
          const counterLine = transfer.records.find(
            (r) => r.startsWith(`w${w}.counter.${ZONE} `) && r.includes(' TXT '),
          );
          const counter = counterLine === undefined ? 0 : Number(/"(\d+)"/.exec(counterLine)?.[1]);
          const owners = transfer.records
            .filter((r) => r.includes(`.w${w}.counter.${ZONE} `) && /^n\d+\./.test(r))
            .map((r) => Number(/^n(\d+)/.exec(r)?.[1]))
            .sort((a, b) => a - b);
          // One version: writer w's counter k and exactly its owners n1..nk.
          expect(owners, `writer ${w}`).to.deep.equal(Array.from({ length: counter }, (_, j) => j + 1));
          held += counter;
        }
        // The serial moves once per batch: base plus every batch the transfer holds.
        expect(serial - base).to.equal(held);
        seen.add(held);
      }
    } finally {
      stop = true;
      await Promise.all(writers);
    }
    const written = batches.reduce((a, b) => a + b, 0);
    expect(written).to.be.greaterThan(0);
    console.log(
      `      ${seen.size} distinct versions seen over 12 transfers during ${written} write batches`,
    );
    expect(seen.size, 'transfers saw the zone move').to.be.greaterThan(1);
  });
});
