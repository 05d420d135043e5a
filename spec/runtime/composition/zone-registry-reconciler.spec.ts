import { expect } from 'chai';
import {
  type ZonePassOutcome,
  zonePassRetryAfter,
} from '../../../runtime/composition/zone-registry-reconciler.js';

describe('composition: zone registry reconciler scheduling', () => {
  const RETRY_MS = 100;
  const NOW = 1_000_000;

  it('looks again after the short retry while a zone waits on another group, even during a drain', () => {
    const outcome: ZonePassOutcome = { kind: 'done', changes: 0, pending: 1, wakeAtMs: NOW + 300_000 };
    expect(zonePassRetryAfter(outcome, NOW, RETRY_MS)).to.equal(RETRY_MS);
  });

  it('sleeps until the earliest drain end when nothing else is pending', () => {
    const outcome: ZonePassOutcome = { kind: 'done', changes: 0, pending: 0, wakeAtMs: NOW + 4_321 };
    expect(zonePassRetryAfter(outcome, NOW, RETRY_MS)).to.equal(4_321);
  });

  it('runs at once for a drain end already passed, and leaves the interval alone otherwise', () => {
    expect(
      zonePassRetryAfter({ kind: 'done', changes: 0, pending: 0, wakeAtMs: NOW - 5 }, NOW, RETRY_MS),
    ).to.equal(0);
    expect(zonePassRetryAfter({ kind: 'done', changes: 3, pending: 0 }, NOW, RETRY_MS)).to.equal(undefined);
    expect(zonePassRetryAfter({ kind: 'not-leader' }, NOW, RETRY_MS)).to.equal(undefined);
  });
});
