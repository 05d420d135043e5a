/**
 * The status page's snapshots: the hierarchy as gathered, and the rates taken between
 * gatherings (DNS queries per second, mean write latency), table-driven with given times.
 */
import { expect } from 'chai';
import type { GroupRow, ReplicaRow } from '../../../../clients/cluster-status.js';
import { SnapshotBuilder } from '../../../../runtime/composition/status-page/status-snapshot.js';

function row(replica: string, figures: Partial<ReplicaRow> = {}): ReplicaRow {
  return {
    region: 'east',
    group: 'g1',
    index: 0,
    replica,
    reachable: true,
    role: 'follower',
    term: 3,
    leader: 'r1',
    commitIndex: 10,
    appliedIndex: 10,
    lag: 0,
    dnsQueries: 0,
    writesApplied: 0,
    writeSecondsApplied: 0,
    error: null,
    ...figures,
  };
}

function groups(...replicas: ReplicaRow[]): GroupRow[] {
  return [{ region: 'east', group: 'g1', zone: 'example.org.', leader: 'r1', replicas, agreement: [] }];
}

describe('status page snapshots', () => {
  it('draws regions → groups → replicas in the order gathered, counting snapshots', () => {
    const builder = new SnapshotBuilder('c', 'r2');
    const gathered: GroupRow[] = [
      ...groups(row('r1', { role: 'leader' }), row('r2')),
      { region: 'west', group: 'g1', zone: 'example.org.', leader: null, replicas: [], agreement: [] },
      { region: 'east', group: 'g2', zone: 'shop.example.org.', leader: null, replicas: [], agreement: [] },
    ];
    const first = builder.build(gathered, 0);
    expect(first.regions.map((r) => [r.region, r.groups.map((g) => g.group)])).to.deep.equal([
      ['east', ['g1', 'g2']],
      ['west', ['g1']],
    ]);
    expect(first.regions[0]?.groups[0]?.replicas.map((r) => [r.replica, r.role])).to.deep.equal([
      ['r1', 'leader'],
      ['r2', 'follower'],
    ]);
    expect(first.seq).to.equal(1);
    expect(builder.build(gathered, 500).seq).to.equal(2);
  });

  it('has no rates from one reading, then rates over the window', () => {
    const builder = new SnapshotBuilder('c', 'dashboard');
    const first = builder.build(
      groups(row('r1', { dnsQueries: 100, writesApplied: 10, writeSecondsApplied: 1 })),
      0,
    );
    expect(first.regions[0]?.groups[0]?.replicas[0]?.qps).to.equal(null);
    expect(first.regions[0]?.groups[0]?.replicas[0]?.writeLatencyMs).to.equal(null);
    // 0.5 s later: 50 more queries (100/s), 5 more writes taking 0.02 s in all (4 ms each).
    const second = builder.build(
      groups(row('r1', { dnsQueries: 150, writesApplied: 15, writeSecondsApplied: 1.02 })),
      500,
    );
    const r1 = second.regions[0]?.groups[0]?.replicas[0];
    expect(r1?.qps).to.be.closeTo(100, 1e-9);
    expect(r1?.writeLatencyMs).to.be.closeTo(4, 1e-9);
  });

  it('shows no write latency while no write was applied in the window', () => {
    const builder = new SnapshotBuilder('c', 'dashboard');
    builder.build(groups(row('r1', { writesApplied: 7, writeSecondsApplied: 0.5 })), 0);
    const later = builder.build(groups(row('r1', { writesApplied: 7, writeSecondsApplied: 0.5 })), 500);
    expect(later.regions[0]?.groups[0]?.replicas[0]?.writeLatencyMs).to.equal(null);
    expect(later.regions[0]?.groups[0]?.replicas[0]?.qps).to.equal(0);
  });

  it('starts again when a count went down (a restart), and forgets readings older than the window', () => {
    const builder = new SnapshotBuilder('c', 'dashboard');
    builder.build(groups(row('r1', { dnsQueries: 1_000 })), 0);
    const restarted = builder.build(groups(row('r1', { dnsQueries: 5 })), 500);
    expect(restarted.regions[0]?.groups[0]?.replicas[0]?.qps).to.equal(null);
    const next = builder.build(groups(row('r1', { dnsQueries: 55 })), 1_000);
    expect(next.regions[0]?.groups[0]?.replicas[0]?.qps).to.be.closeTo(100, 1e-9);
    // Ten seconds later nothing in the window: one reading again.
    const stale = builder.build(groups(row('r1', { dnsQueries: 60 })), 11_000);
    expect(stale.regions[0]?.groups[0]?.replicas[0]?.qps).to.equal(null);
  });

  it('gives an unreachable replica no rates, and keeps the last hierarchy when a gathering fails', () => {
    const builder = new SnapshotBuilder('c', 'dashboard');
    const good = builder.build(groups(row('r1', { dnsQueries: 1 }), row('r2', { dnsQueries: 1 })), 0);
    const down = builder.build(
      groups(
        row('r1', { dnsQueries: 11 }),
        row('r2', { reachable: false, dnsQueries: null, error: 'timeout' }),
      ),
      1_000,
    );
    expect(down.regions[0]?.groups[0]?.replicas.map((r) => r.qps)).to.deep.equal([10, null]);
    const failed = builder.failed(good, 'cannot read the plan');
    expect(failed.error).to.equal('cannot read the plan');
    expect(failed.regions).to.deep.equal(good.regions);
    expect(failed.seq).to.equal(3);
  });
});
