import { expect } from 'chai';
import {
  AGREEMENT_ROWS_MAX,
  agreementRows,
  agreementText,
  repairChanges,
  type SyncOwner,
  type ZoneAgreement,
  zoneFilled,
} from '../../../protocol/dns/region-repair.js';
import type { RecordVersion } from '../../../protocol/dns/version.js';

const v = (hlcMs: number, writer = 'w'): RecordVersion => ({ hlcMs, counter: 0, writer });
const ZONE = 'example.org.';

describe('protocol/dns/region-repair: what one region takes from another, and how it is reported', () => {
  it('takes only versions newer than its own, name tombstones first, and nothing older than its name tombstone', () => {
    const local: SyncOwner[] = [
      {
        name: 'a.example.org.',
        nameVersion: null,
        entries: [{ type: 'A', version: v(5), ttl: 60, rdata: ['192.0.2.1'] }],
      },
      { name: 'b.example.org.', nameVersion: v(9), entries: [] },
    ];
    const remote: SyncOwner[] = [
      // Older A: nothing; newer TXT tombstone: taken.
      {
        name: 'A.example.org.',
        nameVersion: null,
        entries: [
          { type: 'A', version: v(4), ttl: 60, rdata: ['192.0.2.9'] },
          { type: 'TXT', version: v(6) },
        ],
      },
      // Below our name tombstone: nothing; above it: taken.
      {
        name: 'b.example.org.',
        nameVersion: null,
        entries: [
          { type: 'A', version: v(8), ttl: 60, rdata: ['192.0.2.2'] },
          { type: 'MX', version: v(10), ttl: 60, rdata: ['10 mx.example.org.'] },
        ],
      },
      // Unknown here: the name tombstone, then what survives it.
      {
        name: 'c.example.org.',
        nameVersion: v(3),
        entries: [{ type: 'A', version: v(7), ttl: 30, rdata: ['192.0.2.3'] }],
      },
    ];
    expect(repairChanges(ZONE, local, remote)).to.deep.equal([
      [
        { op: 'delete-rrset', zone: ZONE, name: 'A.example.org.', type: 'TXT', version: v(6) },
        {
          op: 'upsert',
          zone: ZONE,
          name: 'b.example.org.',
          type: 'MX',
          ttl: 60,
          rdata: ['10 mx.example.org.'],
          version: v(10),
        },
        { op: 'delete-name', zone: ZONE, name: 'c.example.org.', version: v(3) },
        {
          op: 'upsert',
          zone: ZONE,
          name: 'c.example.org.',
          type: 'A',
          ttl: 30,
          rdata: ['192.0.2.3'],
          version: v(7),
        },
      ],
    ]);
  });

  it('cuts batches at 256 changes without splitting an owner', () => {
    const remote: SyncOwner[] = Array.from({ length: 100 }, (_, i) => ({
      name: `n${i}.example.org.`,
      nameVersion: null,
      entries: ['A', 'TXT', 'MX'].map((type) => ({ type, version: v(i + 1) })),
    }));
    const batches = repairChanges(ZONE, [], remote);
    expect(batches.map((b) => b.length)).to.deep.equal([255, 45]);
  });

  it('takes an RRset of the same version only when its content wins the tie, so both regions settle on one', () => {
    const owner = (entry: SyncOwner['entries'][number]): SyncOwner => ({
      name: 'www.example.org.',
      nameVersion: null,
      entries: [entry],
    });
    const low = owner({ type: 'A', version: v(5), ttl: 60, rdata: ['192.0.2.1'] });
    const high = owner({ type: 'A', version: v(5), ttl: 60, rdata: ['192.0.2.2'] });
    const deleted = owner({ type: 'A', version: v(5) });
    // The region holding the losing content takes the winner; the other takes nothing.
    expect(repairChanges(ZONE, [low], [high])).to.deep.equal([
      [
        {
          op: 'upsert',
          zone: ZONE,
          name: 'www.example.org.',
          type: 'A',
          ttl: 60,
          rdata: ['192.0.2.2'],
          version: v(5),
        },
      ],
    ]);
    expect(repairChanges(ZONE, [high], [low])).to.deep.equal([]);
    // Data wins a tie against a deletion of the same version.
    expect(repairChanges(ZONE, [deleted], [low])).to.have.length(1);
    expect(repairChanges(ZONE, [low], [deleted])).to.deep.equal([]);
    // The very same write: nothing.
    expect(repairChanges(ZONE, [high], [high])).to.deep.equal([]);
  });

  it('keeps only well-formed agreement rows from a status, at most the bound, and words them', () => {
    const good = {
      zone: ZONE,
      region: 'r2',
      state: 'differ' as const,
      sinceMs: 0,
      checkedMs: 5,
      repaired: 2,
    };
    expect(
      agreementRows([good, { ...good, state: 'odd' }, null, 'x', { ...good, sinceMs: -0.5 }]),
    ).to.deep.equal([good]);
    expect(agreementRows({})).to.deep.equal([]);
    expect(agreementRows(Array.from({ length: AGREEMENT_ROWS_MAX + 5 }, () => good))).to.have.length(
      AGREEMENT_ROWS_MAX,
    );
    expect(agreementText([])).to.equal('not-compared');
    expect(agreementText([{ ...good, state: 'agree' }])).to.equal('agree');
    expect(agreementText([good, { ...good, region: 'r3', state: 'agree' }])).to.equal(
      'differ:r2@1970-01-01T00:00:00.000Z',
    );
  });

  it('calls a zone filled once every other region reached found it absent or held (agree, or every difference pulled)', () => {
    const row = (region: string, state: ZoneAgreement['state'], heldMs?: number) => ({
      zone: 'Example.ORG.',
      region,
      state,
      ...(heldMs === undefined ? {} : { heldMs }),
    });
    const others = ['r2', 'r3'];
    expect(zoneFilled(ZONE, [], []), 'one region').to.equal(true);
    expect(zoneFilled(ZONE, [row('r2', 'agree')], others), 'r3 not compared yet').to.equal(false);
    expect(zoneFilled(ZONE, [row('r2', 'agree'), row('r3', 'absent')], others)).to.equal(true);
    expect(zoneFilled(ZONE, [row('r2', 'differ'), row('r3', 'agree')], others), 'r2 never held').to.equal(
      false,
    );
    expect(zoneFilled(ZONE, [row('r2', 'differ', 7), row('r3', 'agree')], others), 'r2 held once').to.equal(
      true,
    );
    expect(zoneFilled(ZONE, [row('r2', 'unreachable'), row('r3', 'agree')], others), 'r2 down').to.equal(
      true,
    );
    expect(
      zoneFilled(ZONE, [row('r2', 'unreachable'), row('r3', 'unreachable')], others),
      'all down',
    ).to.equal(false);
    expect(
      zoneFilled(ZONE, [{ ...row('r2', 'agree'), zone: 'other.org.' }, row('r3', 'agree')], others),
      'a row of another zone',
    ).to.equal(false);
  });
});
