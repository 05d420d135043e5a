/**
 * Readiness and liveness decisions (health.ts) and the counters carried across actor
 * restarts (carried-counter.ts), as tables of looks at the actors.
 */
import { expect } from 'chai';
import { DnsTraffic } from '../../../../actors/dns/server/dns-traffic.js';
import type { ElectionStatus } from '../../../../actors/election/protocol.js';
import type { SnapshotWork } from '../../../../actors/state-machine/protocol.js';
import { BucketCounts } from '../../../../runtime/bucket-counts.js';
import { CarriedCounter } from '../../../../runtime/composition/observability/carried-counter.js';
import {
  type HealthBounds,
  LivenessTracker,
  readiness,
} from '../../../../runtime/composition/observability/health.js';
import type { ReplicaLook } from '../../../../runtime/composition/observability/replica-probe.js';

const BOUNDS: HealthBounds = { silenceMsMax: 1_000, leaderContactMsMax: 500, appliedLagMax: 10 };
const FACTS = { self: 'r1', dnsListenersExpected: 1 };

function election(overrides: Partial<ElectionStatus> = {}): ElectionStatus {
  return {
    term: 3,
    votedFor: 'r2',
    role: 'follower',
    leaderId: 'r2',
    voters: ['r1', 'r2', 'r3'],
    framesDropped: 0,
    messagesDropped: { 'non-member': 0, 'non-voter': 0, 'forged-sender': 0, misaddressed: 0, unencodable: 0 },
    elections: 0,
    preVotes: 0,
    ...overrides,
  };
}

const NO_SNAPSHOTS: SnapshotWork = {
  bytes: new BucketCounts([1]).reading(),
  seconds: new BucketCounts([1]).reading(),
};

function healthyLook(atMs = 10_000): ReplicaLook {
  return {
    atMs,
    election: { answered: true, value: election() },
    contact: { answered: true, value: { ok: true, ageMs: 40, commitIndex: 100 } },
    machine: {
      answered: true,
      value: {
        appliedIndex: 98,
        appliedTerm: 3,
        snapshotsInstalled: 0,
        recoveredFromSnapshot: 0,
        keys: 1,
        sessions: 1,
        waitingWrites: 0,
        waitingReads: 0,
        snapshotsTaken: NO_SNAPSHOTS,
        snapshotsRestored: NO_SNAPSHOTS,
      },
    },
    storage: { answered: false, error: 'not asked' },
    actors: [],
    dns: {
      answered: true,
      value: {
        listeners: [{ address: '127.0.0.1', port: 53, family: 'IPv4', mode: 'lease' }],
        appliedIndex: 99,
        zones: 1,
        heldQueries: 0,
        traffic: new DnsTraffic().reading(),
        counters: {},
      },
    },
  };
}

function reasons(look: ReplicaLook): readonly string[] {
  const verdict = readiness(look, FACTS, BOUNDS);
  return verdict.ok ? [] : verdict.reasons;
}

describe('readiness', () => {
  it('is ready when a voter hears from its leader and has applied nearly all of the commit index', () => {
    expect(readiness(healthyLook(), FACTS, BOUNDS)).to.deep.equal({
      ok: true,
      checks: ['member', 'leader', 'applied', 'dns'],
    });
  });

  const cases: ReadonlyArray<readonly [string, (look: ReplicaLook) => ReplicaLook, RegExp]> = [
    [
      'no known leader',
      (l) => ({ ...l, election: { answered: true, value: election({ leaderId: null, role: 'candidate' }) } }),
      /^no known leader in term 3 \(role candidate\)$/,
    ],
    [
      'not a voter',
      (l) => ({ ...l, election: { answered: true, value: election({ voters: ['r2', 'r3'] }) } }),
      /^not a voter of the group \(voters: r2,r3\)$/,
    ],
    [
      'a stale leader contact',
      (l) => ({ ...l, contact: { answered: true, value: { ok: true, ageMs: 501, commitIndex: 100 } } }),
      /^last contact with the leader 501 ms ago \(bound 500 ms\)$/,
    ],
    [
      'no contact in the term',
      (l) => ({ ...l, contact: { answered: true, value: { ok: false, reason: 'no-contact' } } }),
      /^no contact with a leader yet in this term$/,
    ],
    [
      'a state machine too far behind',
      (l) => ({ ...l, contact: { answered: true, value: { ok: true, ageMs: 1, commitIndex: 109 } } }),
      /^applied index 98 is 11 behind commit index 109 \(bound 10\)$/,
    ],
    [
      'a closed DNS listener',
      (l) =>
        l.dns?.answered === true
          ? { ...l, dns: { answered: true, value: { ...l.dns.value, listeners: [] } } }
          : l,
      /^0 of 1 DNS listeners open$/,
    ],
    [
      'a silent election actor',
      (l) => ({ ...l, election: { answered: false, error: 'deadline' } }),
      /^election actor did not answer: deadline$/,
    ],
  ];
  for (const [what, change, reason] of cases) {
    it(`is not ready with ${what}, and says so`, () => {
      const found = reasons(change(healthyLook()));
      expect(found).to.have.length(1);
      expect(found[0]).to.match(reason);
    });
  }

  it('reports a DNS copy behind the commit index beside a lagging state machine', () => {
    const look = healthyLook();
    const lagging: ReplicaLook = {
      ...look,
      contact: { answered: true, value: { ok: true, ageMs: 1, commitIndex: 120 } },
    };
    expect(reasons(lagging)).to.deep.equal([
      'applied index 98 is 22 behind commit index 120 (bound 10)',
      'DNS copy at index 99 is 21 behind commit index 120 (bound 10)',
    ]);
  });
});

describe('liveness', () => {
  it('gives an actor that stops answering the silence bound before failing, and recovers', () => {
    const tracker = new LivenessTracker(0, BOUNDS);
    expect(tracker.judge(healthyLook(1_000), undefined).ok).to.equal(true);
    const silent = (atMs: number): ReplicaLook => ({
      ...healthyLook(atMs),
      machine: { answered: false, error: 'restarting' },
    });
    expect(tracker.judge(silent(2_000), undefined).ok).to.equal(true);
    const failing = tracker.judge(silent(2_001), undefined);
    expect(failing.ok ? [] : failing.reasons).to.deep.equal([
      'actor state-machine has not answered for 1001 ms',
    ]);
    expect(tracker.judge(healthyLook(2_002), undefined).ok).to.equal(true);
  });

  it('an AWS-serving actor that stays silent fails liveness like any other', () => {
    const tracker = new LivenessTracker(0, BOUNDS);
    const look = (atMs: number): ReplicaLook => ({
      ...healthyLook(atMs),
      awsServing: { answered: false, error: 'restarting' },
    });
    expect(tracker.judge(look(1_000), undefined).ok).to.equal(true);
    const failing = tracker.judge(look(1_001), undefined);
    expect(failing.ok ? [] : failing.reasons).to.deep.equal([
      'actor aws-serving has not answered for 1001 ms',
    ]);
  });

  it('fails once an actor exhausted its restart budget', () => {
    const verdict = new LivenessTracker(0, BOUNDS).judge(healthyLook(), 'dns crashed 6 times in 60000 ms');
    expect(verdict.ok ? [] : verdict.reasons).to.deep.equal([
      'restart budget exhausted: dns crashed 6 times in 60000 ms',
    ]);
  });
});

describe('counters carried across actor restarts', () => {
  it('adds the increments of each reading, and all of a reading after a reset', () => {
    const counter = new CarriedCounter();
    const increments = [5, 7, 7, 2, 4].map((reading) => counter.advance(reading));
    expect(increments).to.deep.equal([5, 2, 0, 2, 2]);
  });
});
