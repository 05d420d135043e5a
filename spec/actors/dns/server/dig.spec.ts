import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { Responder } from '../../../../actors/dns/server/responder.js';
import { DnsListeners } from '../../../fixtures/dns-listeners.js';
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
      const version = await dig(tool, 'version.bind.', 'CH', 'TXT');
      expect(version.status).to.equal('REFUSED');
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
    const { stdout } = await run(
      'dig',
      ['@127.0.0.1', '-p', String(port), '+time=2', '+tries=1', 'example.', 'AXFR'],
      {
        timeout: 10_000,
      },
    );
    expect(stdout).to.match(/Transfer failed/);
  });

  it('dig: echoes the question case (DNS 0x20; kdig prints owners lowercased)', async () => {
    const mixed = await dig('dig', 'WwW.ExAmPlE.', 'A');
    expect(mixed.answers).to.deep.equal(['WwW.ExAmPlE. 300 IN A 192.0.2.1']);
  });
});
