/**
 * lexicon's `powerdns` provider (Debian's `lexicon`, unchanged) against the raftns API: it
 * lists, creates, updates and deletes records of a zone served by a one-replica group, with
 * a zone-scoped key made by `raftns api-key add`. Every step is checked through lexicon's own
 * listing and through DNS (`dig` at the replica), so a write the API accepted but did not
 * commit fails the spec. lexicon sends back the RRsets it read (with every field of our GET)
 * and PUTs `/notify` after each change, so both must be accepted as PowerDNS does.
 */
import { expect } from 'chai';
import { type ApiCluster, startApiCluster } from '../fixtures/api-cluster.js';
import { runTool, type ToolRun } from '../fixtures/child-process.js';
import type { DnsListenerInfo } from '../fixtures/raft-cluster.js';

const CLUSTER = 'lexiconapi';
const ZONE = 'example.org.';
const TOOL_TIMEOUT_MS = 60_000;

interface LexiconRecord {
  readonly type: string;
  readonly name: string;
  readonly ttl: number;
  readonly content: string;
  readonly id: string;
}

describe('lexicon (powerdns provider) through the HTTP API', function () {
  this.timeout(180_000);
  let api: ApiCluster | undefined;
  let apiUrl = '';
  let key = '';
  let dns: DnsListenerInfo | undefined;

  before(async () => {
    api = await startApiCluster({ cluster: CLUSTER, zone: ZONE });
    apiUrl = api.apiUrl();
    dns = api.dns();
    key = await api.addKey('lexicon', '--zones', ZONE);
  });

  after(async () => {
    await api?.stop();
  });

  function lexicon(action: string, type: string, ...options: string[]): Promise<ToolRun> {
    return runTool(
      'lexicon',
      [
        'powerdns',
        action,
        'example.org',
        type,
        ...options,
        '--auth-token',
        key,
        '--pdns-server',
        apiUrl,
        '--output',
        action === 'list' ? 'JSON' : 'QUIET',
      ],
      // tldextract must not try the network for the public suffix list.
      {
        env: { ...process.env, TLDEXTRACT_CACHE: '/nonexistent', NO_PROXY: '*' },
        timeoutMs: TOOL_TIMEOUT_MS,
      },
    );
  }

  async function list(type: string, ...options: string[]): Promise<LexiconRecord[]> {
    const run = await lexicon('list', type, ...options);
    expect(run.code, run.out).to.equal(0);
    return JSON.parse(run.stdout) as LexiconRecord[];
  }

  async function dig(name: string, type: string): Promise<string[]> {
    if (dns === undefined) throw new Error('no DNS listener');
    const run = await runTool(
      'dig',
      [`@${dns.address}`, '-p', String(dns.port), '+short', '+norec', name, type],
      {
        timeoutMs: 10_000,
      },
    );
    expect(run.code, run.out).to.equal(0);
    return run.stdout
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '')
      .sort();
  }

  it('creates records, adding to an existing RRset', async () => {
    const first = await lexicon('create', 'TXT', '--name', '_acme-challenge.www', '--content', 'token-one');
    expect(first.code, first.out).to.equal(0);
    const second = await lexicon('create', 'TXT', '--name', '_acme-challenge.www', '--content', 'token-two');
    expect(second.code, second.out).to.equal(0);
    const address = await lexicon('create', 'A', '--name', 'www', '--content', '192.0.2.10', '--ttl', '120');
    expect(address.code, address.out).to.equal(0);

    const txt = await list('TXT', '--name', '_acme-challenge.www');
    expect(txt.map((r) => r.content).sort()).to.deep.equal(['token-one', 'token-two']);
    expect(await dig('_acme-challenge.www.example.org', 'TXT')).to.deep.equal(['"token-one"', '"token-two"']);
    const a = await list('A', '--name', 'www');
    expect(a.map((r) => [r.name, r.content, r.ttl])).to.deep.equal([['www.example.org', '192.0.2.10', 120]]);
    expect(await dig('www.example.org', 'A')).to.deep.equal(['192.0.2.10']);
  });

  it('updates a record by its identifier', async () => {
    const [record] = await list('A', '--name', 'www');
    if (record === undefined) throw new Error('no A record to update');
    const updated = await lexicon(
      'update',
      'A',
      '--identifier',
      record.id,
      '--name',
      'www',
      '--content',
      '192.0.2.11',
    );
    expect(updated.code, updated.out).to.equal(0);
    expect((await list('A', '--name', 'www')).map((r) => r.content)).to.deep.equal(['192.0.2.11']);
    expect(await dig('www.example.org', 'A')).to.deep.equal(['192.0.2.11']);
  });

  it('deletes one record of an RRset, then the RRset', async () => {
    const one = await lexicon('delete', 'TXT', '--name', '_acme-challenge.www', '--content', 'token-one');
    expect(one.code, one.out).to.equal(0);
    expect(await dig('_acme-challenge.www.example.org', 'TXT')).to.deep.equal(['"token-two"']);
    const all = await lexicon('delete', 'TXT', '--name', '_acme-challenge.www');
    expect(all.code, all.out).to.equal(0);
    expect(await list('TXT', '--name', '_acme-challenge.www')).to.deep.equal([]);
    expect(await dig('_acme-challenge.www.example.org', 'TXT')).to.deep.equal([]);
  });

  it('is refused without a valid key, and changes nothing', async () => {
    const saved = key;
    key = 'not-a-key';
    try {
      const refused = await lexicon('create', 'A', '--name', 'intruder', '--content', '192.0.2.66');
      expect(refused.code).to.not.equal(0);
      expect(refused.out).to.include('401');
    } finally {
      key = saved;
    }
    expect(await dig('intruder.example.org', 'A')).to.deep.equal([]);
  });
});
