import type { Scenario } from '../scenario.js';
import { counterScenario } from './counter.js';

/** Every scenario `npm run sim` can run, by name. The first is the default. */
export const SCENARIOS: readonly Scenario[] = [
  counterScenario('counter', true),
  counterScenario('counter-unsafe', false),
];

export const DEFAULT_SCENARIO = 'counter';

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
