import type { Scenario } from '../scenario.js';
import { counterScenario } from './counter.js';
import { dnsScenario } from './dns.js';
import { raftScenario } from './raft.js';

/** Every scenario `npm run sim` can run, by name. The first is the default. */
export const SCENARIOS: readonly Scenario[] = [
  counterScenario('counter', true),
  counterScenario('counter-unsafe', false),
  raftScenario({ name: 'raft3', replicas: 3, clients: 4, faults: 'mixed' }),
  raftScenario({ name: 'raft5', replicas: 5, clients: 5, faults: 'mixed', snapshotThresholdBytes: 600 }),
  raftScenario({ name: 'raft3-calm', replicas: 3, clients: 3, faults: 'none' }),
  raftScenario({ name: 'raft-reconfig', replicas: 5, clients: 4, faults: 'mixed', reconfigure: true }),
  raftScenario({
    name: 'raft-reconfig-partitions',
    replicas: 5,
    clients: 4,
    faults: 'partitions',
    reconfigure: true,
  }),
  raftScenario({
    name: 'raft-minority-leader',
    replicas: 5,
    clients: 5,
    faults: 'none',
    minorityLeader: true,
  }),
  raftScenario({ name: 'raft5-drift', replicas: 5, clients: 5, faults: 'mixed', clockDrift: true }),
  raftScenario({
    name: 'raft-minority-leader-drift',
    replicas: 5,
    clients: 5,
    faults: 'none',
    minorityLeader: true,
    clockDrift: true,
  }),
  dnsScenario({ name: 'dns3', replicas: 3, writers: 2, readers: 6, faults: true }),
  dnsScenario({ name: 'dns3-calm', replicas: 3, writers: 2, readers: 4, faults: false }),
];

export const DEFAULT_SCENARIO = 'raft3';

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
