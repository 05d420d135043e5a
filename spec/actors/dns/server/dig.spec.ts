import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { Responder } from '../../../../actors/dns/server/responder.js';
import { DnsListeners } from '../../../fixtures/dns-listeners.js';
import { zone } from '../zone/helpers.js';
import { exampleZones } from './helpers.js';

/**
 * Real clients against the listeners: dig (BIND 9) and kdig (Knot). Their output is
 * parsed for the status, the flags, the section counts and the records.
 */
const run = promisify(execFile);

interface ToolAnswer {
  readonly status: string;
  readonly opcode: string;
  readonly flags: readonly string[];
  readonly counts: { query: number; answer: number; authority: number; additional: number };
  readonly answers: readonly string[];
  readonly authorities: readonly string[];
  readonly additionals: readonly string[];
  readonly nsid: string | undefined;
  readonly udpSize: number | undefined;
  readonly output: string;
}

/** Reads dig's or kdig's text output. */
function parseTool(output: string): ToolAnswer {
  const header = /->>HEADER<<- opcode: (\w+)[,;] status: (\w+)/.exec(output);
  const flags = /;; [Ff]lags: ([a-z ]*);/.exec(output);
  const count = (name: string): number => Number(new RegExp(`${name}: (\\d+)`).exec(output)?.[1] ?? NaN);
  const section = (title: string): string[] => {
    const at = output.search(new RegExp(`;; ${title} SECTION:`));
    if (at < 0) return [];
    const lines = output.slice(at).split('\n').slice(1);
    const end = lines.findIndex((l) => l.trim() === '' || l.startsWith(';;'));
    return lines.slice(0, end < 0 ? undefined : end).map((l) => l.trim().split(/\s+/).join(' '));
  };
  const nsid = /NSID: [^\n]*"([^"]*)"/.exec(output)?.[1];
  const udp = /udp: (\d+)|UDP size: (\d+)/.exec(output);
  if (header === null || flags === null) expect.fail(`unreadable tool output:\n${output}`);
  return {
    opcode: header[1] as string,
    status: header[2] as string,
    flags: (flags[1] as string).trim().split(/\s+/).filter(Boolean),
    counts: {
      query: count('QUERY'),
      answer: count('ANSWER'),
      authority: count('AUTHORITY'),
      additional: count('ADDITIONAL'),
    },
    answers: section('ANSWER'),
    authorities: section('AUTHORITY'),
    additionals: section('ADDITIONAL'),
    nsid,
    udpSize: udp === null ? undefined : Number(udp[1] ?? udp[2]),
    output,
  };
}

describe('dns/server: dig and kdig against the listeners', function () {
  this.timeout(30_000);
  let listeners: DnsListeners;
  let port: number;

  before(async () => {
    const zones = exampleZones();
    zones.add(
      zone('svc.test.', [
        '@ 3600 SOA ns1 hostmaster 1 7200 3600 1209600 300',
        '@ 3600 NS ns1',
        '@ 3600 MX 10 mail',
        '@ 3600 MX 20 mx.elsewhere.net.',
        'ns1 3600 A 192.0.2.53',
        'mail 300 A 192.0.2.25',
        'mail 300 AAAA 2001:db8::25',
        '_sip._tcp 300 SRV 0 5 5060 sip',
        'sip 300 A 192.0.2.80',
      ]),
    );
    const responder = new Responder({ identity: 'replica-7' });
    listeners = await DnsListeners.start({
      addresses: ['127.0.0.1:0'],
      handler: (query, transport) => responder.respond(query, transport, zones),
    });
    port = listeners.bound[0]?.port as number;
  });
  after(() => listeners.close());

  async function dig(tool: 'dig' | 'kdig', ...args: string[]): Promise<ToolAnswer> {
    const retries = tool === 'dig' ? '+tries=1' : '+retry=0';
    const { stdout } = await run(
      tool,
      ['@127.0.0.1', '-p', String(port), '+norec', '+time=2', retries, ...args],
      {
        timeout: 10_000,
      },
    );
    return parseTool(stdout);
  }

  for (const tool of ['dig', 'kdig'] as const) {
    it(`${tool}: an authoritative answer over UDP and TCP`, async () => {
      for (const transport of ['+notcp', '+tcp']) {
        const a = await dig(tool, transport, 'www.example.', 'A');
        expect(a.status, a.output).to.equal('NOERROR');
        expect(a.flags).to.include.members(['qr', 'aa']);
        expect(a.flags).to.not.include.members(['tc', 'ra', 'rd']);
        expect(a.counts).to.deep.include({ query: 1, answer: 1, authority: 0 });
        expect(a.answers).to.deep.equal(['www.example. 300 IN A 192.0.2.1']);
      }
    });

    it(`${tool}: NXDOMAIN with the SOA, and a referral without AA`, async () => {
      const nx = await dig(tool, 'nope.example.', 'A');
      expect(nx.status).to.equal('NXDOMAIN');
      expect(nx.flags).to.include('aa');
      expect(nx.authorities.map((l) => l.split(' ').slice(0, 4).join(' '))).to.deep.equal([
        'example. 300 IN SOA',
      ]);
      const ref = await dig(tool, 'host.child.example.', 'A');
      expect(ref.status).to.equal('NOERROR');
      expect(ref.flags).to.not.include('aa');
      expect(ref.counts).to.deep.include({ answer: 0, authority: 2 });
    });

    it(`${tool}: TC at 512 octets without EDNS or with +bufsize=512, none over TCP`, async () => {
      const noEdns = await dig(tool, '+noedns', '+ignore', 'big.example.', 'TXT');
      expect(noEdns.flags, noEdns.output).to.include('tc');
      const small = await dig(tool, '+bufsize=512', '+ignore', 'big.example.', 'TXT');
      expect(small.flags).to.include('tc');
      expect(small.udpSize).to.equal(1232);
      const tcp = await dig(tool, '+tcp', 'big.example.', 'TXT');
      expect(tcp.flags).to.not.include('tc');
      expect(tcp.counts.answer).to.equal(30);
    });

    it(`${tool}: NSID and CH TXT id.server. give the identity`, async () => {
      const nsid = await dig(tool, '+nsid', 'www.example.', 'A');
      expect(nsid.nsid, nsid.output).to.equal('replica-7');
      const id = await dig(tool, 'id.server.', 'CH', 'TXT');
      expect(id.status).to.equal('NOERROR');
      expect(id.answers).to.deep.equal(['id.server. 0 CH TXT "replica-7"']);
    });

    it(`${tool}: CH TXT version.bind. and version.server. give the product and version`, async () => {
      for (const name of ['version.bind.', 'version.server.']) {
        const version = await dig(tool, name, 'CH', 'TXT');
        expect(version.status, version.output).to.equal('NOERROR');
        expect(version.answers).to.deep.equal([`${name} 0 CH TXT "raftns 0.1.0"`]);
      }
    });

    it(`${tool}: CD is not copied into authoritative answers`, async () => {
      const answer = await dig(tool, '+cdflag', 'www.example.', 'A');
      expect(answer.status).to.equal('NOERROR');
      expect(answer.flags, answer.output).to.not.include('cd');
    });

    it(`${tool}: NS, MX and SRV answers carry the in-zone addresses of their targets`, async () => {
      const ns = await dig(tool, 'svc.test.', 'NS');
      expect(ns.additionals, ns.output).to.deep.equal(['ns1.svc.test. 3600 IN A 192.0.2.53']);
      const mx = await dig(tool, 'svc.test.', 'MX');
      expect(mx.additionals).to.deep.equal([
        'mail.svc.test. 300 IN A 192.0.2.25',
        'mail.svc.test. 300 IN AAAA 2001:db8::25',
      ]);
      const srv = await dig(tool, '_sip._tcp.svc.test.', 'SRV');
      expect(srv.additionals).to.deep.equal(['sip.svc.test. 300 IN A 192.0.2.80']);
    });

    it(`${tool}: a TSIG-signed query gets NOTAUTH with BADKEY (no keys are configured)`, async () => {
      const signed = await dig(tool, '-y', 'hmac-sha256:some-key:c2VjcmV0LXNlY3JldA==', 'www.example.', 'A');
      expect(signed.status, signed.output).to.equal(tool === 'dig' ? 'NOTAUTH' : 'BADKEY');
      expect(signed.output).to.match(/TSIG\s+hmac-sha256\. \d+ 300 0 \d+ BADKEY 0/);
    });

    it(`${tool}: REFUSED outside the zones`, async () => {
      const refused = await dig(tool, 'www.example.net.', 'A');
      expect(refused.status).to.equal('REFUSED');
      expect(refused.flags).to.not.include('aa');
    });
  }

  it('dig: BADVERS for EDNS version 1', async () => {
    const badvers = await dig('dig', '+edns=1', '+noednsnegotiation', 'www.example.', 'A');
    expect(badvers.status, badvers.output).to.equal('BADVERS');
  });

  it('dig: NOTIMP for opcode STATUS, and for AXFR', async () => {
    const status = await dig('dig', '+opcode=status', 'www.example.', 'A');
    expect(status.status, status.output).to.equal('NOTIMP');
    expect(status.opcode).to.equal('STATUS');
    // RFC 6891 §6.1.1: the query had an OPT, so the error answer has one.
    expect(status.udpSize, status.output).to.equal(1232);
    expect((await dig('dig', '+noedns', '+opcode=status', 'www.example.', 'A')).udpSize).to.equal(undefined);
    const { stdout } = await run(
      'dig',
      ['@127.0.0.1', '-p', String(port), '+time=2', '+tries=1', 'example.', 'AXFR'],
      {
        timeout: 10_000,
      },
    );
    expect(stdout).to.match(/Transfer failed/);
  });

  it('dig: FORMERR with an OPT for a query without a question (+header-only)', async () => {
    const empty = await dig('dig', '+header-only', 'www.example.', 'A');
    expect(empty.status, empty.output).to.equal('FORMERR');
    expect(empty.counts.query).to.equal(0);
    expect(empty.udpSize, empty.output).to.equal(1232);
  });

  it('nsupdate: a signed UPDATE gets NOTAUTH(BADKEY), an unsigned one NOTIMP', async () => {
    const script = `server 127.0.0.1 ${port}\nzone example.\nupdate add x.example. 60 A 192.0.2.1\nsend\n`;
    const update = async (...args: string[]): Promise<string> =>
      new Promise((resolve) => {
        const child = execFile(
          'nsupdate',
          ['-t', '3', ...args],
          { timeout: 20_000 },
          (_error, stdout, stderr) => resolve(stdout + stderr),
        );
        child.stdin?.end(script);
      });
    expect(await update('-y', 'hmac-sha256:some-key:c2VjcmV0LXNlY3JldA==')).to.match(
      /update failed: NOTAUTH\(BADKEY\)/,
    );
    expect(await update()).to.match(/update failed: NOTIMP/);
  });

  it('dig: echoes the question case (DNS 0x20; kdig prints owners lowercased)', async () => {
    const mixed = await dig('dig', 'WwW.ExAmPlE.', 'A');
    expect(mixed.answers).to.deep.equal(['WwW.ExAmPlE. 300 IN A 192.0.2.1']);
  });
});
