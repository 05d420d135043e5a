import { expect } from 'chai';
import { dnsReadiness } from '../../../actors/aws-serving/dns-readiness.js';
import type { DnsServerStatus } from '../../../actors/dns/protocol.js';
import type { ContactResult } from '../../../actors/log/protocol.js';

const status = (listeners: number, appliedIndex: number) =>
  ({
    listeners: Array.from({ length: listeners }, () => ({
      address: '127.0.0.1',
      port: 53,
      family: 'IPv4',
      mode: 'lease',
    })),
    appliedIndex,
    zones: 1,
    heldQueries: 0,
  }) as unknown as DnsServerStatus;
const contact = (commitIndex: number): ContactResult => ({ ok: true, ageMs: 10, commitIndex });
const BOUNDS = { dnsListeners: 2, appliedLagMax: 1_000 };

describe('aws-serving: DNS readiness (the /readyz rule for the load balancer)', () => {
  it('ready with every listener open and the copy within the bound of the commit index', () => {
    expect(dnsReadiness(status(2, 100), contact(1_100), BOUNDS)).to.deep.equal({ ready: true });
  });

  it('not ready, with the reason, for each way it can fall short', () => {
    const cases: [string, ReturnType<typeof dnsReadiness>][] = [
      ['no proof', dnsReadiness(status(2, 100), { ok: false, reason: 'no-contact' }, BOUNDS)],
      ['DNS actor silent', dnsReadiness(undefined, contact(100), BOUNDS)],
      ['1 of 2 listeners', dnsReadiness(status(1, 100), contact(100), BOUNDS)],
      ['1001 behind', dnsReadiness(status(2, 99), contact(1_100), BOUNDS)],
    ];
    for (const [what, verdict] of cases) expect(verdict.ready, what).to.equal(false);
    expect(cases.map(([, v]) => (v.ready ? '' : v.reason))).to.deep.equal([
      'no proof of the commit index from a leader yet',
      'the DNS actor did not answer',
      '1 of 2 DNS listeners open',
      'DNS copy at index 99 is 1001 behind commit index 1100 (bound 1000)',
    ]);
  });

  it('a replica without DNS listeners needs only the proof of the commit index', () => {
    expect(dnsReadiness(undefined, contact(5), { dnsListeners: 0, appliedLagMax: 0 })).to.deep.equal({
      ready: true,
    });
  });
});
