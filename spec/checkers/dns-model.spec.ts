import { expect } from 'chai';
import { type DnsRrsetInput, type DnsRrsetOutput, dnsRrsetModel } from './dns-model.js';
import { HistoryRecorder } from './history.js';
import { checkLinearizable } from './linearizability.js';

describe('checkers/dns-model: an RRset as a max register of versions', () => {
  const check = (build: (h: HistoryRecorder<DnsRrsetInput, DnsRrsetOutput>) => void) => {
    const history = new HistoryRecorder<DnsRrsetInput, DnsRrsetOutput>();
    build(history);
    return checkLinearizable(dnsRrsetModel(), history.history()).result;
  };

  it('accepts a superseded write that leaves the newer version in place', () => {
    expect(
      check((h) => {
        h.complete(h.invoke('w1', { kind: 'write', name: 'a', version: 5 }, 0), null, 10);
        h.complete(h.invoke('w2', { kind: 'write', name: 'a', version: 3 }, 20), null, 30);
        h.complete(h.invoke('r', { kind: 'read', name: 'a' }, 40), 5, 50);
      }),
    ).to.equal('linearizable');
  });

  it('rejects a read older than a write completed before it began, and a read going back in time', () => {
    expect(
      check((h) => {
        h.complete(h.invoke('w1', { kind: 'write', name: 'a', version: 5 }, 0), null, 10);
        h.complete(h.invoke('r', { kind: 'read', name: 'a' }, 20), 0, 30);
      }),
    ).to.equal('not-linearizable');
    expect(
      check((h) => {
        const write = h.invoke('w1', { kind: 'write', name: 'a', version: 5 }, 0);
        h.complete(h.invoke('r1', { kind: 'read', name: 'a' }, 10), 5, 20);
        h.complete(h.invoke('r2', { kind: 'read', name: 'a' }, 30), 0, 40);
        h.unknown(write);
      }),
    ).to.equal('not-linearizable');
  });

  it('checks names independently', () => {
    expect(
      check((h) => {
        h.complete(h.invoke('w1', { kind: 'write', name: 'a', version: 5 }, 0), null, 10);
        h.complete(h.invoke('r', { kind: 'read', name: 'b' }, 20), 0, 30);
      }),
    ).to.equal('linearizable');
  });
});
