/**
 * RFC 2136 UPDATE signed with TSIG against a real 3-replica group: real nats-server (with
 * JetStream, for the cluster's key bucket), three `runtime/main` processes, keys made with
 * `raftns tsig add`, and the real clients: `nsupdate -k` and `-y`, `knsupdate`, `dig -y`.
 * Every UPDATE is sent to every replica in turn, followers included (RFC 2136 §6: they
 * forward). "Nothing changed" is checked with the zone's SOA serial, which every
 * committed write moves.
 */
import { execFile, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import type { RaftClient } from '../../clients/raft-client.js';
import type { TsigKey } from '../../protocol/dns/tsig/key.js';
import { parseKeyFile } from '../../protocol/dns/tsig/key-file.js';
import { locateTsig } from '../../protocol/dns/tsig/locate.js';
import { signRequest } from '../../protocol/dns/tsig/sign.js';
import { HybridClock } from '../../protocol/dns/version.js';
import { OPCODE, RCODE, RR_CLASS, RR_TYPE } from '../../protocol/dns/wire/codes.js';
import { decodeMessage, encodeMessage, type Message } from '../../protocol/dns/wire/message.js';
import { Name } from '../../protocol/dns/wire/name.js';
import { queryFlags } from '../fixtures/dns-query.js';
import { createZoneChange } from '../fixtures/dns-zone.js';
import { type NatsServerHandle, startNatsServer } from '../fixtures/nats-server.js';
import { pollUntil } from '../fixtures/poll-until.js';
import { type DnsListenerInfo, RaftCluster } from '../fixtures/raft-cluster.js';
import { raftns } from '../fixtures/raftns-cli.js';

const execFileAsync = promisify(execFile);
const ZONE = 'example.org.';

interface ToolRun {
  readonly code: number;
  readonly out: string;
}

/** Runs `command` with `script` on stdin; never rejects. */
function runWithInput(command: string, args: readonly string[], script: string): Promise<ToolRun> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, out });
    });
    child.stdin.end(script);
  });
}

function updateScript(at: DnsListenerInfo, lines: readonly string[]): string {
  return [`server ${at.address} ${at.port}`, `zone ${ZONE}`, ...lines, 'send', ''].join('\n');
}

async function dig(at: DnsListenerInfo, ...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync(
    'dig',
    [`@${at.address}`, '-p', String(at.port), '+norec', '+time=2', '+tries=1', ...args],
    { timeout: 10_000 },
  );
  return stdout;
}

async function short(at: DnsListenerInfo, name: string, type: string): Promise<string[]> {
  return (await dig(at, '+short', name, type))
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .sort();
}

/** Sends one datagram and waits for the answer. */
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

function updateMessage(id: number, updates: Message['authorities']): Message {
  return {
    id,
    flags: queryFlags({ opcode: OPCODE.UPDATE }),
    questions: [{ name: Name.parse(ZONE), type: RR_TYPE.SOA, class: RR_CLASS.IN }],
    answers: [],
    authorities: updates,
    additionals: [],
  };
}

/** Waits until `check` holds (5 s at most). */
function until(what: string, check: () => Promise<boolean>): Promise<true> {
  return pollUntil(what, 5_000, async () => ((await check()) ? true : undefined));
}

/** mulberry32: the fuzz messages are reproducible from the printed seed. */
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

describe('RFC 2136 UPDATE with TSIG against a 3-replica group (nsupdate, knsupdate, dig -y)', function () {
  this.timeout(180_000);
  let nats: NatsServerHandle;
  let cluster: RaftCluster;
  let client: RaftClient;
  let dir: string;
  let keyFile: string;
  let key: TsigKey;
  let secret: string;
  const clock = new HybridClock('spec-writer', () => Date.now());
  const at = (i: number): DnsListenerInfo => cluster.replicas[i]?.dns[0] as DnsListenerInfo;
  const cli = (...args: string[]) => raftns(['--nats', nats.url, '--cluster', cluster.cluster, ...args]);
  /** The zone's SOA serial at replica `i`; a lost datagram (a loaded machine) is asked again. */
  const serial = (i = 0) =>
    pollUntil(`the SOA serial of replica ${i}`, 10_000, async () => {
      const value = Number((await short(at(i), ZONE, 'SOA'))[0]?.split(' ')[2]);
      return Number.isInteger(value) ? value : undefined;
    });
  const nsupdate = (i: number, lines: readonly string[], auth: readonly string[] = ['-k', keyFile]) =>
    runWithInput('nsupdate', [...auth], updateScript(at(i), lines));

  before(async () => {
    nats = await startNatsServer({ jetstream: true });
    cluster = await RaftCluster.start({ replicas: 3, nats });
    await cluster.waitForLeader(20_000);
    client = await cluster.client();
    const created = await client.dnsBatch({
      changes: [
        createZoneChange(ZONE, 100),
        {
          op: 'upsert',
          zone: ZONE,
          name: 'www',
          type: 'A',
          ttl: 300,
          rdata: ['192.0.2.1', '192.0.2.2'],
          version: clock.next(),
        },
      ],
    });
    expect(created.ok, JSON.stringify(created)).to.equal(true);
    dir = await mkdtemp(join(tmpdir(), 'raftns-update-'));
    const added = await cli('tsig', 'add', 'updater.', '--zone', ZONE);
    expect(added.code, added.stderr).to.equal(0);
    keyFile = join(dir, 'updater.key');
    await writeFile(keyFile, added.stdout);
    const parsed = parseKeyFile(added.stdout);
    if (!parsed.ok) throw new Error(parsed.error.message);
    key = parsed.keys[0] as TsigKey;
    secret = Buffer.from(key.secret).toString('base64');
    // The replicas watch the bucket: the key works on every one within moments.
    for (let i = 0; i < 3; i++)
      await until(
        'the expected state',
        async () =>
          !(await dig(at(i), '-y', `hmac-sha256:updater.:${secret}`, ZONE, 'SOA')).includes('BADKEY'),
      );
  });

  after(async () => {
    await client?.close();
    await cluster?.stop();
    await nats?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('raftns tsig list shows names, algorithms and policies, never secrets', async () => {
    const listed = await cli('tsig', 'list');
    expect(listed.code, listed.stderr).to.equal(0);
    expect(listed.stdout).to.include('updater.\thmac-sha256\tzones=example.org.');
    expect(listed.stdout).to.not.include(secret);
    const again = await cli('tsig', 'add', 'updater.', '--zone', ZONE);
    expect(again.code).to.not.equal(0);
    expect(again.stderr).to.include('exists already');
  });

  it('dig -y: a signed SOA query gets a signed, verified, authoritative answer', async () => {
    for (let i = 0; i < 3; i++) {
      const out = await dig(at(i), '-y', `hmac-sha256:updater.:${secret}`, ZONE, 'SOA');
      expect(out, out).to.include('status: NOERROR');
      expect(out).to.match(/flags: qr aa/);
      expect(out).to.include('TSIG PSEUDOSECTION');
      expect(out).to.not.include("Couldn't verify");
    }
  });

  it('nsupdate -k adds, replaces and deletes (one RR, an RRset, a name) through every replica', async () => {
    for (let i = 0; i < 3; i++) {
      const name = `host${i}.example.org.`;
      const before = await serial();
      let run = await nsupdate(i, [
        `update add ${name} 300 A 192.0.2.10`,
        `update add ${name} 300 A 192.0.2.11`,
      ]);
      expect(run.code, run.out).to.equal(0);
      // The answer left after the commit: a linearizable read sees it at once.
      expect(await serial()).to.be.greaterThan(before);
      for (let j = 0; j < 3; j++)
        await until('the expected state', async () => (await short(at(j), name, 'A')).length === 2);
      run = await nsupdate(i, [`update delete ${name} A 192.0.2.10`]);
      expect(run.code, run.out).to.equal(0);
      await until('the expected state', async () => (await short(at(i), name, 'A')).join() === '192.0.2.11');
      run = await nsupdate(i, [`update delete ${name} A`, `update add ${name} 60 A 192.0.2.12`]);
      expect(run.code, run.out).to.equal(0);
      await until('the expected state', async () => (await short(at(i), name, 'A')).join() === '192.0.2.12');
      run = await nsupdate(i, [`update add ${name} 60 TXT "t"`]);
      expect(run.code, run.out).to.equal(0);
      run = await nsupdate(i, [`update delete ${name} A`]);
      expect(run.code, run.out).to.equal(0);
      await until('the expected state', async () => (await short(at(i), name, 'A')).length === 0);
      run = await nsupdate(i, [`update delete ${name}`]);
      expect(run.code, run.out).to.equal(0);
      await until('the expected state', async () => (await dig(at(i), name, 'TXT')).includes('NXDOMAIN'));
    }
  });

  it('nsupdate -y and knsupdate: the same key given inline', async () => {
    let run = await nsupdate(
      1,
      ['update add inline.example.org. 300 TXT "from nsupdate -y"'],
      ['-y', `hmac-sha256:updater.:${secret}`],
    );
    expect(run.code, run.out).to.equal(0);
    run = await runWithInput(
      'knsupdate',
      ['-y', `hmac-sha256:updater.:${secret}`],
      updateScript(at(2), ['update add knot.example.org. 300 A 192.0.2.77']),
    );
    expect(run.code, run.out).to.equal(0);
    await until(
      'the expected state',
      async () => (await short(at(0), 'knot.example.org.', 'A')).join() === '192.0.2.77',
    );
    expect(await short(at(0), 'inline.example.org.', 'TXT')).to.deep.equal(['"from nsupdate -y"']);
  });

  it('each prerequisite form fails with its rcode and changes nothing', async () => {
    const cases: ReadonlyArray<readonly [string, string]> = [
      ['prereq nxdomain www.example.org.', 'YXDOMAIN'],
      ['prereq yxdomain nope.example.org.', 'NXDOMAIN'],
      ['prereq nxrrset www.example.org. A', 'YXRRSET'],
      ['prereq yxrrset www.example.org. MX', 'NXRRSET'],
      ['prereq yxrrset www.example.org. A 192.0.2.1', 'NXRRSET'],
    ];
    for (const [prereq, rcode] of cases) {
      const before = await serial();
      const run = await nsupdate(0, [prereq, 'update add changed.example.org. 60 A 192.0.2.99']);
      expect(run.code, `${prereq}\n${run.out}`).to.not.equal(0);
      expect(run.out).to.include(rcode);
      expect(await serial()).to.equal(before);
    }
    expect(await short(at(0), 'changed.example.org.', 'A')).to.deep.equal([]);
    // And when they hold, the update applies.
    const run = await nsupdate(0, [
      'prereq yxrrset www.example.org. A 192.0.2.1',
      'prereq yxrrset www.example.org. A 192.0.2.2',
      'prereq nxdomain changed.example.org.',
      'update add changed.example.org. 60 A 192.0.2.99',
    ]);
    expect(run.code, run.out).to.equal(0);
  });

  it('unsigned → REFUSED, unknown key → BADKEY, bad signature → BADSIG; nothing changes', async () => {
    const before = await serial();
    const add = ['update add evil.example.org. 60 A 192.0.2.66'];
    let run = await nsupdate(0, add, []);
    expect(run.out).to.include('REFUSED');
    run = await nsupdate(1, add, ['-y', `hmac-sha256:stranger.:${secret}`]);
    expect(run.out).to.include('BADKEY');
    run = await nsupdate(2, add, ['-y', `hmac-sha256:updater.:${Buffer.alloc(32, 7).toString('base64')}`]);
    expect(run.out).to.include('BADSIG');
    expect(await serial()).to.equal(before);
  });

  it('a skewed time → NOTAUTH with BADTIME, signed, carrying the server time', async () => {
    const before = await serial();
    const skewed = Math.floor(Date.now() / 1000) - 3_600;
    const unsigned = encodeMessage(
      updateMessage(0x7777, [
        {
          name: Name.parse('late.example.org.'),
          type: RR_TYPE.A,
          class: RR_CLASS.IN,
          ttl: 60,
          rdata: { kind: 'A', address: '192.0.2.5' },
        },
      ]),
      { compress: true },
    ).bytes;
    const answer = await udpExchange(at(0), signRequest(unsigned, key, skewed).bytes);
    if (answer === null) throw new Error('no answer');
    const decoded = decodeMessage(answer);
    expect(decoded.ok && decoded.message.flags.rcode).to.equal(RCODE.NOTAUTH);
    const tsig = locateTsig(answer);
    expect(tsig.kind).to.equal('signed');
    if (tsig.kind !== 'signed') return;
    expect(tsig.record.rdata.error).to.equal(18);
    expect(tsig.record.rdata.mac.length).to.equal(32);
    const other = tsig.record.rdata.other;
    const serverTime = other.reduce((acc, b) => acc * 256 + b, 0);
    expect(Math.abs(serverTime - Date.now() / 1000)).to.be.lessThan(30);
    expect(await serial()).to.equal(before);
  });

  it('a key limited to a subtree and a type: the ACME DNS-01 flow of lego and certbot, and nothing else', async () => {
    const added = await cli(
      'tsig',
      'add',
      'acme.',
      '--algorithm',
      'hmac-sha1',
      '--zone',
      ZONE,
      '--subtree',
      '_acme-challenge.example.org',
      '--type',
      'TXT',
    );
    expect(added.code, added.stderr).to.equal(0);
    const acmeFile = join(dir, 'acme.key');
    await writeFile(acmeFile, added.stdout);
    const acme = ['-k', acmeFile];
    await until('the expected state', async () => {
      const run = await nsupdate(0, ['update add _acme-challenge.example.org. 120 TXT "probe"'], acme);
      return run.code === 0;
    });
    // lego: RemoveRRset + Insert in one UPDATE; then delete the specific RR.
    let run = await nsupdate(
      1,
      [
        'update delete _acme-challenge.example.org. TXT',
        'update add _acme-challenge.example.org. 120 TXT "token-abc"',
      ],
      acme,
    );
    expect(run.code, run.out).to.equal(0);
    await until(
      'the expected state',
      async () => (await short(at(1), '_acme-challenge.example.org.', 'TXT')).join() === '"token-abc"',
    );
    run = await nsupdate(2, ['update delete _acme-challenge.example.org. TXT "token-abc"'], acme);
    expect(run.code, run.out).to.equal(0);
    await until(
      'the expected state',
      async () => (await short(at(2), '_acme-challenge.example.org.', 'TXT')).length === 0,
    );
    const before = await serial();
    run = await nsupdate(0, ['update add www.example.org. 60 TXT "no"'], acme);
    expect(run.out).to.include('REFUSED');
    run = await nsupdate(0, ['update add _acme-challenge.example.org. 60 CAA 0 issue "ca.example"'], acme);
    expect(run.out).to.include('REFUSED');
    expect(await serial()).to.equal(before);
  });

  it('over TCP too (nsupdate -v, as certbot sends it)', async () => {
    const run = await nsupdate(2, ['update add tcp.example.org. 60 TXT "over tcp"'], ['-v', '-k', keyFile]);
    expect(run.code, run.out).to.equal(0);
    await until('the TCP update', async () => (await short(at(0), 'tcp.example.org.', 'TXT')).length === 1);
  });

  it('raftns tsig remove: the key stops working on every replica within moments', async () => {
    const added = await cli('tsig', 'add', 'short-lived.', '--zone', ZONE);
    expect(added.code, added.stderr).to.equal(0);
    const file = join(dir, 'short-lived.key');
    await writeFile(file, added.stdout);
    const add = ['update add gone.example.org. 60 TXT "x"'];
    await until('the new key signs', async () => (await nsupdate(0, add, ['-k', file])).code === 0);
    const removed = await cli('tsig', 'remove', 'short-lived');
    expect(removed.code, removed.stderr).to.equal(0);
    for (let i = 0; i < 3; i++)
      await until(`replica ${i} forgets the key`, async () =>
        (await nsupdate(i, add, ['-k', file])).out.includes('BADKEY'),
      );
    expect((await cli('tsig', 'remove', 'short-lived')).code).to.not.equal(0);
  });

  it('fuzz: mutated and random UPDATEs never crash a replica and never change data without a valid signature', async () => {
    const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
    console.log(`      fuzz seed ${seed} (FUZZ_SEED=${seed} replays it)`);
    const random = seededRandom(seed);
    const before = await serial();
    // A signed UPDATE that changes nothing (an RR that is there): even a mutation that
    // keeps the MAC valid (the header id, which the MAC does not cover) cannot change data.
    const base = signRequest(
      encodeMessage(
        updateMessage(1, [
          {
            name: Name.parse('www.example.org.'),
            type: RR_TYPE.A,
            class: RR_CLASS.IN,
            ttl: 300,
            rdata: { kind: 'A', address: '192.0.2.1' },
          },
        ]),
        { compress: true },
      ).bytes,
      key,
      Math.floor(Date.now() / 1000),
    ).bytes;
    const messages: Uint8Array[] = [];
    for (let n = 0; n < 300; n++) {
      let bytes: Uint8Array;
      if (random() < 0.7) {
        bytes = base.slice();
        for (let k = 1 + Math.floor(random() * 4); k > 0; k--)
          bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
        if (random() < 0.2) bytes = bytes.slice(0, Math.floor(random() * bytes.length));
      } else {
        bytes = new Uint8Array(12 + Math.floor(random() * 200)).map(() => Math.floor(random() * 256));
        bytes[2] = 0x28; // QR clear, opcode UPDATE
      }
      const socket = createSocket('udp4');
      await new Promise<void>((resolve) =>
        socket.send(bytes, at(n % 3).port, at(n % 3).address, () => resolve()),
      );
      socket.close();
      messages.push(bytes);
    }
    // Over TCP every framed UPDATE is answered (or counted answered), so after the client's
    // FIN the server closes the connection (RFC 7766 §6.2.3) instead of waiting forever.
    for (let c = 0; c < 3; c++) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`TCP connection ${c} never closed`)), 15_000);
        const conn = connect(at(c).port, at(c).address, () => {
          for (const bytes of messages.slice(c * 30, c * 30 + 30)) {
            const frame = Buffer.alloc(2 + bytes.length);
            frame.writeUInt16BE(bytes.length, 0);
            frame.set(bytes, 2);
            conn.write(frame);
          }
          conn.end();
        });
        conn.on('data', () => undefined);
        conn.on('close', () => {
          clearTimeout(timer);
          resolve();
        });
        conn.on('error', () => undefined);
      });
    }
    for (let i = 0; i < 3; i++) {
      expect(cluster.replicas[i]?.running, `replica ${i} alive`).to.equal(true);
      expect(await serial(i)).to.equal(before);
    }
  });
});
