import { expect } from 'chai';
import { EXIT_FAILED, EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE } from '../../../clients/cli/exit-codes.js';
import { raftns } from '../../fixtures/raftns-cli.js';
import { DEAD, Hierarchy, LAME, ORG1, ROOT1, WIKIPEDIA } from './hierarchy.js';

describe('raftns resolve against a real hierarchy (child process)', function () {
  this.timeout(60_000);
  let tree: Hierarchy;
  let target: string[];

  before(async () => {
    tree = await Hierarchy.start();
    target = ['--root', `${ROOT1}:${tree.port}`, '--port', String(tree.port), '--query-timeout', '300'];
  });
  after(() => tree?.close());

  it('prints each step like dig +trace, then the answer; exit 0', async () => {
    const run = await raftns(['resolve', 'www.wikipedia.org', ...target]);
    expect(run.code, run.stderr).to.equal(EXIT_OK);
    expect(run.stderr).to.equal('');
    const lines = run.stdout.trim().split('\n');
    expect(lines.at(-1)).to.equal('www.wikipedia.org. 300 IN A 103.102.166.224');
    const steps = lines.filter((l) => l.startsWith(';;'));
    expect(steps).to.have.length(3);
    expect(steps[0]).to.match(
      new RegExp(
        `^;; www\\.wikipedia\\.org\\. IN A zone \\. from ${ROOT1}:${tree.port} over udp: NOERROR flags: qr; referral \\(to org\\.\\), \\d+ bytes in \\d+ ms$`,
      ),
    );
    expect(steps[1]).to.contain(`zone org. from ${ORG1}:${tree.port}(ns1.org.)`);
    expect(steps[2])
      .to.contain(`from ${WIKIPEDIA}:${tree.port}(ns1.wikipedia.org.)`)
      .and.contain('flags: qr aa; answer');
    expect(lines).to.include(`ns1.org. 3600 IN A ${ORG1}`);
  });

  it('--type and --json: the result and the trace as JSON', async () => {
    const run = await raftns(['--json', 'resolve', 'big.wikipedia.org', '--type', 'txt', ...target]);
    expect(run.code, run.stderr).to.equal(EXIT_OK);
    const parsed = JSON.parse(run.stdout) as {
      result: { kind: string; records: string[] };
      trace: { protocol: string; verdict: string }[];
    };
    expect(parsed.result.kind).to.equal('answer');
    expect(parsed.result.records).to.have.length(30);
    expect(parsed.trace.slice(-2).map((s) => `${s.protocol} ${s.verdict}`)).to.deep.equal([
      'udp truncated',
      'tcp answer',
    ]);
  });

  it('NXDOMAIN and NODATA exit 3 with one line on stderr', async () => {
    const nx = await raftns(['resolve', 'nope.wikipedia.org', ...target]);
    expect(nx.code).to.equal(EXIT_NOT_FOUND);
    expect(nx.stderr).to.equal('raftns: nope.wikipedia.org.: NXDOMAIN\n');
    expect(nx.stdout).to.contain(';; nope.wikipedia.org. NXDOMAIN\nwikipedia.org. 300 IN SOA');
    const nodata = await raftns(['resolve', 'www.wikipedia.org', '--type', 'MX', ...target]);
    expect(nodata.code).to.equal(EXIT_NOT_FOUND);
    expect(nodata.stderr).to.equal('raftns: www.wikipedia.org.: NODATA\n');
  });

  it('failures exit 1 with the error as one line; a dead then lame server shows in the trace', async () => {
    const lame = await raftns(['resolve', 'www.lame.org', ...target]);
    expect(lame.code).to.equal(EXIT_FAILED);
    expect(lame.stderr).to.equal(
      `raftns: resolve www.lame.org.: lame-delegation at lame.org.: ${LAME}:${tree.port}: REFUSED\n`,
    );
    const flaky = await raftns(['resolve', 'www.flaky.org', ...target]);
    expect(flaky.code, flaky.stderr).to.equal(EXIT_OK);
    expect(flaky.stdout).to.contain(`from ${DEAD}:${tree.port}(b.flaky.org.) over udp: timeout`);
    expect(flaky.stdout).to.contain(
      `from ${LAME}:${tree.port}(a.flaky.org.) over udp: REFUSED flags: qr; lame`,
    );
    const loop = await raftns(['resolve', 'www.loopy.org', ...target]);
    expect(loop.code).to.equal(EXIT_FAILED);
    expect(loop.stderr).to.match(/^raftns: resolve www\.loopy\.org\.: loop: .*\n$/);
  });

  it('usage errors exit 2', async () => {
    for (const args of [
      ['resolve', 'www.wikipedia.org'],
      ['resolve', 'www.wikipedia.org', '--root', 'ns.example'],
      ['resolve', 'www.wikipedia.org', '--type', 'BOGUS', ...target],
      ['resolve', 'a..b', ...target],
      ['resolve', 'www.wikipedia.org', ...target, '--port', '0'],
    ]) {
      const run = await raftns(args);
      expect(run.code, args.join(' ')).to.equal(EXIT_USAGE);
      expect(run.stderr.trim().split('\n'), args.join(' ')).to.have.length(1);
    }
  });
});
