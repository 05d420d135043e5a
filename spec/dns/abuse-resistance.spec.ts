/**
 * DNS abuse resistance on a real replica process (real nats-server, `runtime/main`, real
 * sockets on several loopback addresses): response rate limiting under a UDP flood from
 * one address (a spoofed-source flood looks like this to the server), minimal answers to
 * ANY (RFC 8482) through `dig`, and the per-client TCP connection limit.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { DEFAULT_RATE_LIMIT } from '../../actors/dns/server/response-rate-limit.js';
import type { RaftClient } from '../../clients/raft-client.js';
import type { DnsChange } from '../../protocol/dns/changes.js';
import { HybridClock } from '../../protocol/dns/version.js';
import { RR_TYPE } from '../../protocol/dns/wire/codes.js';
import { TcpClient } from '../actors/dns/server/sockets.js';
import { boundUdpSocket, ednsQuery, steadyClient } from '../fixtures/dns-clients.js';
import { createZoneChange } from '../fixtures/dns-zone.js';
import { pollUntil } from '../fixtures/poll-until.js';
import { type DnsListenerInfo, RaftCluster, type ReplicaProcess } from '../fixtures/raft-cluster.js';

const execFileAsync = promisify(execFile);
const ZONE = 'example.org.';
const FLOOD_MS = 2_000;
/** The flood's rate: about what one replica's DNS thread reads under load on 2 shared cores. */
const FLOOD_QPS = 2_000;
const FLOOD_TICK_MS = 5;
const FLOODER = '127.0.0.2';
/** Another /24 than the flooder's: RRL buckets are per client prefix. */
const LEGITIMATE = '127.0.1.3';
const LEGITIMATE_EVERY_MS = 100;
const TCP_PER_CLIENT = 4;
/** Between two looks at the flood's answers when waiting for the last ones. */
const SETTLE_LOOK_MS = 300;

interface FloodResult {
  sentBytes: number;
  sent: number;
  receivedBytes: number;
  full: number;
  slippedWithTc: number;
  emptyWithoutTc: number;
}

/** Sends `packet` from `from` at `FLOOD_QPS` for `durationMs`, counting what comes back. */
async function flood(
  target: DnsListenerInfo,
  from: string,
  packet: Buffer,
  durationMs: number,
): Promise<FloodResult> {
  const socket = await boundUdpSocket(from);
  const result: FloodResult = {
    sentBytes: 0,
    sent: 0,
    receivedBytes: 0,
    full: 0,
    slippedWithTc: 0,
    emptyWithoutTc: 0,
  };
  socket.on('message', (message) => {
    result.receivedBytes += message.length;
    const truncated = ((message[2] as number) & 0x02) !== 0;
    if (message.readUInt16BE(6) > 0) result.full++;
    else if (truncated) result.slippedWithTc++;
    else result.emptyWithoutTc++;
  });
  const end = Date.now() + durationMs;
  const started = Date.now();
  while (Date.now() < end) {
    // Paced, not as fast as the socket takes it: beyond what the replica's one DNS thread can
    // read, the kernel drops packets of every client alike, which no rate limit can help.
    const due = Math.floor(((Date.now() - started) * FLOOD_QPS) / 1000) - result.sent;
    for (let i = 0; i < due; i++) {
      socket.send(packet, target.port, target.address);
      result.sent++;
      result.sentBytes += packet.length;
    }
    await new Promise((resolve) => setTimeout(resolve, FLOOD_TICK_MS)); // the flood's pace
  }
  // Answers still in flight count too: wait until nothing more arrives between two looks.
  const deadline = Date.now() + 10_000;
  for (let seen = -1; ; ) {
    const now = result.full + result.slippedWithTc + result.emptyWithoutTc;
    if (now === seen || Date.now() > deadline) break;
    seen = now;
    await new Promise((resolve) => setTimeout(resolve, SETTLE_LOOK_MS));
  }
  socket.close();
  return result;
}

async function metric(replica: ReplicaProcess, line: RegExp): Promise<number> {
  const http = replica.http;
  if (http === undefined) throw new Error(`${replica.id} reported no HTTP listener`);
  const body = await (await fetch(`http://${http.host}:${http.port}/metrics`)).text();
  const found = body.split('\n').find((l) => line.test(l));
  return found === undefined ? Number.NaN : Number(found.split(' ').at(-1));
}

describe('DNS abuse resistance on a real replica (RRL, ANY, TCP per-client limit)', function () {
  this.timeout(120_000);
  let cluster: RaftCluster;
  let client: RaftClient;
  let replica: ReplicaProcess;
  let dns: DnsListenerInfo;
  const clock = new HybridClock('abuse-spec', () => Date.now());
  const upsert = (name: string, type: string, rdata: string[]): DnsChange => ({
    op: 'upsert',
    zone: ZONE,
    name,
    type,
    ttl: 300,
    rdata,
    version: clock.next(),
  });

  before(async () => {
    cluster = await RaftCluster.start({
      replicas: 1,
      rrlResponsesPerSecond: DEFAULT_RATE_LIMIT.responsesPerSecond,
      extraArgs: () => ['--http', '127.0.0.1:0', '--dns-tcp-per-client', String(TCP_PER_CLIENT)],
    });
    await cluster.waitForLeader(20_000);
    client = await cluster.client();
    for (const changes of [
      [createZoneChange(ZONE, 1)],
      [
        upsert('www.example.org.', 'A', ['192.0.2.1']),
        upsert('www.example.org.', 'AAAA', ['2001:db8::1']),
        upsert('www.example.org.', 'TXT', ['"site"']),
        upsert(
          'big.example.org.',
          'TXT',
          Array.from({ length: 10 }, (_, i) => `"${'x'.repeat(80)}${i}"`),
        ),
      ],
    ]) {
      const result = await client.dnsBatch({ changes });
      if (!result.ok) throw new Error(`write failed: ${result.error.message}`);
    }
    replica = cluster.replicas[0] as ReplicaProcess;
    const found = replica.dns.find((l) => l.family === 'IPv4');
    if (found === undefined) throw new Error(`no IPv4 listener: ${JSON.stringify(replica.dns)}`);
    dns = found;
  });

  after(async () => {
    await client?.close();
    await cluster?.stop();
  });

  it('under a UDP flood from one address, another prefix keeps ≥ 95 % of its answers and the flooder gets ≤ 1 byte per byte sent', async () => {
    const packet = ednsQuery('big.example.org.', RR_TYPE.TXT, 0x4242);
    const [flooded, legitimate] = await Promise.all([
      flood(dns, FLOODER, packet, FLOOD_MS),
      steadyClient(dns, {
        from: LEGITIMATE,
        name: 'big.example.org.',
        type: RR_TYPE.TXT,
        everyMs: LEGITIMATE_EVERY_MS,
        durationMs: FLOOD_MS,
        answerTimeoutMs: 2_000,
      }),
    ]);
    const amplification = flooded.receivedBytes / flooded.sentBytes;
    const ratio = legitimate.answered / legitimate.asked;
    console.log(
      `      flood: ${flooded.sent} queries (${flooded.sentBytes} B) in ${FLOOD_MS} ms; back ${flooded.full} answers, ` +
        `${flooded.slippedWithTc} slipped (TC), ${flooded.receivedBytes} B: amplification ${amplification.toFixed(3)}; ` +
        `legitimate ${legitimate.answered}/${legitimate.asked} (${(100 * ratio).toFixed(1)} %)`,
    );
    expect(flooded.sent).to.be.above(1_000);
    expect(legitimate.asked, 'the legitimate client asked at all').to.be.at.least(5);
    expect(ratio).to.be.at.least(0.95);
    expect(amplification).to.be.at.most(1);
    // Full answers: the bucket's burst plus its refill over the flood, nothing more.
    const rate = DEFAULT_RATE_LIMIT.responsesPerSecond;
    expect(flooded.full).to.be.at.most(rate + Math.ceil((rate * (FLOOD_MS + 2_000)) / 1000));
    expect(flooded.slippedWithTc).to.be.above(0);
    expect(flooded.emptyWithoutTc, 'every empty answer is a slip, with TC').to.equal(0);
    for (const action of ['slip', 'drop'])
      await pollUntil(`raftns_dns_rrl_limited_total{action="${action}"} above 0`, 10_000, async () =>
        (await metric(replica, new RegExp(`^raftns_dns_rrl_limited_total\\{[^}]*action="${action}"`))) > 0
          ? true
          : undefined,
      );
  });

  it('TCP is never limited: a client whose UDP answers slip gets every answer over TCP', async () => {
    // Well over the bucket at once over UDP: some answers come back truncated and empty.
    const rate = DEFAULT_RATE_LIMIT.responsesPerSecond;
    const socket = await boundUdpSocket(FLOODER);
    let slips = 0;
    socket.on('message', (message) => {
      if ((message[2] as number) & 0x02 && message.readUInt16BE(6) === 0) slips++;
    });
    const packet = ednsQuery('www.example.org.', RR_TYPE.A, 7);
    for (let i = 0; i < 4 * rate; i++) socket.send(packet, dns.port, dns.address);
    await pollUntil('a slipped (TC) answer', 10_000, async () => (slips > 0 ? true : undefined));
    socket.close();
    // Then more than a bucket's worth over TCP from the same address, pipelined: all answered.
    const tcp = await TcpClient.connect(dns.address, dns.port, FLOODER);
    const count = 2 * rate;
    tcp.write(
      Buffer.concat(
        Array.from({ length: count }, (_, i) =>
          TcpClient.frame(ednsQuery('www.example.org.', RR_TYPE.A, i + 1)),
        ),
      ),
    );
    const answers = await tcp.read(count, 20_000);
    tcp.close();
    expect(answers).to.have.length(count);
    for (const answer of answers) {
      expect((answer[2] as number) & 0x02, 'TC over TCP').to.equal(0);
      expect(answer.readUInt16BE(6), 'answer records').to.equal(1);
    }
  });

  it('dig ANY gets one RRset (RFC 8482 §4.1), over UDP and over TCP', async () => {
    for (const transport of ['+notcp', '+tcp']) {
      const { stdout } = await execFileAsync(
        'dig',
        [
          `@${dns.address}`,
          '-p',
          String(dns.port),
          '+norec',
          '+time=2',
          '+tries=2',
          transport,
          'www.example.org',
          'ANY',
        ],
        { timeout: 20_000 },
      );
      expect(stdout, stdout).to.match(/status: NOERROR/);
      const answers = stdout
        .slice(stdout.indexOf(';; ANSWER SECTION:'))
        .split('\n')
        .slice(1)
        .filter((l) => l.startsWith('www.example.org.'));
      expect(answers, stdout).to.have.length(1);
    }
  });

  it(`closes a client's TCP connections beyond ${TCP_PER_CLIENT} at once, and counts them`, async () => {
    const before = await metric(
      replica,
      /^raftns_dns_tcp_connections_rejected_per_client_total(\{[^}]*\})? /,
    );
    const kept: TcpClient[] = [];
    for (let i = 0; i < TCP_PER_CLIENT; i++) {
      const c = await TcpClient.connect(dns.address, dns.port, '127.0.0.4');
      c.write(TcpClient.frame(ednsQuery('www.example.org.', RR_TYPE.A, i + 1)));
      expect((await c.read(1)).length).to.equal(1);
      kept.push(c);
    }
    const extra = await TcpClient.connect(dns.address, dns.port, '127.0.0.4');
    await extra.closedPromise;
    const other = await TcpClient.connect(dns.address, dns.port, '127.0.0.5');
    other.write(TcpClient.frame(ednsQuery('www.example.org.', RR_TYPE.A, 99)));
    expect((await other.read(1)).length).to.equal(1);
    for (const c of [...kept, other]) c.close();
    const after = await pollUntil('the metrics to show the rejected connection', 10_000, async () => {
      const value = await metric(
        replica,
        /^raftns_dns_tcp_connections_rejected_per_client_total(\{[^}]*\})? /,
      );
      return value >= (Number.isNaN(before) ? 0 : before) + 1 ? value : undefined;
    });
    expect(after).to.be.at.least(1);
  });
});
