import { expect } from 'chai';
import { SeededRandom } from '../../../runtime/random.js';
import { RestartPolicy } from '../../../runtime/supervisor/restart-policy.js';

describe('RestartPolicy', () => {
  const config = { maxRestarts: 3, windowMs: 1_000, backoffBaseMs: 100, backoffMaxMs: 300 };

  it('backs off exponentially with jitter, capped', () => {
    const policy = new RestartPolicy(config, new SeededRandom(7));
    const delays = [0, 1, 2].map((i) => {
      const d = policy.onCrash(i);
      if (d.action !== 'restart') throw new Error('expected a restart');
      return [d.attempt, d.delayMs] as const;
    });
    expect(delays.map(([a]) => a)).to.deep.equal([1, 2, 3]);
    expect(delays[0]?.[1]).to.be.within(50, 100);
    expect(delays[1]?.[1]).to.be.within(100, 200);
    expect(delays[2]?.[1]).to.be.within(150, 300);
  });

  it('escalates past the budget within the window', () => {
    const policy = new RestartPolicy(config, new SeededRandom(7));
    for (let i = 0; i < 3; i++) expect(policy.onCrash(i * 10).action).to.equal('restart');
    const decision = policy.onCrash(40);
    expect(decision.action).to.equal('escalate');
  });

  it('forgets crashes older than the window', () => {
    const policy = new RestartPolicy(config, new SeededRandom(7));
    for (let i = 0; i < 3; i++) policy.onCrash(i);
    const decision = policy.onCrash(5_000);
    expect(decision).to.include({ action: 'restart', attempt: 1 });
  });
});
