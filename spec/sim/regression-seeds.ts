/**
 * Seeds that once found a bug, replayed by every sweep of their scenario before any fresh
 * seed. A seed's trajectory changes whenever the code it runs changes, so a seed here is a
 * smoke test, not a proof: each bug also has a transcript or unit test that pins its
 * mechanism (named beside the seed).
 */
export const REGRESSION_SEEDS: Readonly<Record<string, readonly number[]>> = {
  'raft-reconfig': [
    // A bounded read at a follower credited a heartbeat from a leader deposed in a minority:
    // spec/raft/transcripts/bounded-read.txt.
    76041799,
    // A follower's log actor restarted and counted its ReadIndex request ids from 1 again;
    // the leader's late answer to its predecessor's request 1 (an index before an
    // acknowledged write) settled the new read: spec/actors/log/forwarded-reads.spec.ts.
    2521394336,
  ],
  'raft-minority-leader-drift': [
    // A follower credited a leader's message when its log actor got it, 65 ms after it
    // arrived (it waited behind the election actor's slow fsync), not when it arrived.
    209313317,
  ],
  raft3: [
    // A replica's start failed because an injected crash was restarting its storage actor;
    // the boot check took that for an unbootable disk (the replica rebooted from it).
    1279580640,
  ],
  dns3: [
    // The heaviest fault draw seen: the liveness floor (ANSWERS_MIN) must hold under it.
    1279580694,
  ],
  'raft5-drift': [
    // A follower snapshotted entries it had committed but not yet written; the write landed
    // after the snapshot's deletions and the replica could never start again.
    1,
  ],
};
