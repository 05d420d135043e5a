import { expect } from 'chai';
import { examplePlan } from '../../protocol/plan.js';
import { type RegisteredZone, ZONES_PER_GROUP_MAX, ZoneDirectory } from '../../protocol/zone-directory.js';

const plan = examplePlan('c', ['r1']);
const registered = (
  zone: string,
  group: string,
  state: RegisteredZone['state'] = 'active',
): RegisteredZone => ({
  zone,
  group,
  state,
  createdAt: '2026-12-06T00:00:00.000Z',
});

describe('the zone directory (plan zones and registered zones)', () => {
  const directory = new ZoneDirectory(plan, [
    registered('example.org.', 'wikipedia-org'),
    registered('Sub.Example.ORG.', 'org'),
    registered('gone.org.', 'org', 'deleting'),
    registered('orphan.org.', 'no-such-group'),
  ]);

  it('routes a name to the longest served zone, case-insensitively, from either source', () => {
    expect(directory.zoneFor('www.example.org')).to.include({
      zone: 'example.org.',
      group: 'wikipedia-org',
      source: 'registry',
    });
    expect(directory.zoneFor('A.SUB.example.org.')).to.include({ zone: 'sub.example.org.', group: 'org' });
    expect(directory.zoneFor('en.wikipedia.org.')).to.include({ zone: 'wikipedia.org.', source: 'plan' });
    expect(directory.zoneFor('example.com.')).to.include({ zone: '.', group: 'root' });
    expect(directory.zoneFor('x.gone.org.')).to.include({ zone: 'gone.org.', state: 'deleting' });
  });

  it('ignores entries of groups the plan does not have', () => {
    expect(directory.zoneFor('orphan.org.')?.zone).to.equal('org.');
  });

  it('lists parents before children, and the zones below one deepest first', () => {
    expect(directory.zones().map((z) => z.zone)).to.deep.equal([
      '.',
      'org.',
      'example.org.',
      'gone.org.',
      'wikipedia.org.',
      'sub.example.org.',
    ]);
    expect(directory.below('org.').map((z) => z.zone)).to.deep.equal([
      'sub.example.org.',
      'wikipedia.org.',
      'gone.org.',
      'example.org.',
    ]);
    expect(directory.parentOf('sub.example.org.')?.zone).to.equal('example.org.');
    expect(directory.parentOf('org.')?.zone).to.equal('.');
    expect(directory.parentOf('.')).to.equal(undefined);
  });

  it('says why a zone cannot be created, and nothing when it can', () => {
    expect(directory.creationProblem('new.org.', 'org')).to.equal(undefined);
    expect(directory.creationProblem('deep.new.example.org', 'root')).to.equal(undefined);
    expect(directory.creationProblem('.', 'org')).to.match(/root zone/);
    expect(directory.creationProblem('new.org.', 'nope')).to.match(/no group "nope"/);
    expect(directory.creationProblem('EXAMPLE.org.', 'org')).to.match(
      /already served by group wikipedia-org/,
    );
    expect(directory.creationProblem('gone.org.', 'org')).to.match(/being deleted/);
    expect(directory.creationProblem('a..b.', 'org')).to.match(/not a domain name/);
    expect(directory.creationProblem('x.c.raftns.invalid.', 'org')).to.match(/reserved/);
    // Above a served zone: the new cut would hide the delegation below it.
    const chain = new ZoneDirectory(plan, [registered('a.b.org.', 'org')]);
    expect(chain.creationProblem('b.org.', 'org')).to.match(/would contain zones .*a\.b\.org\./);
  });

  it('bounds the zones of one group (its zone list is one NATS reply), and routes among many zones by label walk', () => {
    const many = Array.from({ length: ZONES_PER_GROUP_MAX - 1 }, (_, i) => registered(`z${i}.org.`, 'org'));
    const full = new ZoneDirectory(plan, many);
    // `org.` itself is the group's planned zone: the group is full.
    expect(full.zonesOf('org')).to.equal(ZONES_PER_GROUP_MAX);
    expect(full.creationProblem('one-more.org.', 'org')).to.match(/serves its maximum/);
    expect(full.creationProblem('one-more.org.', 'root')).to.equal(undefined);
    expect(full.zoneFor(`www.z${ZONES_PER_GROUP_MAX - 2}.org.`)?.zone).to.equal(
      `z${ZONES_PER_GROUP_MAX - 2}.org.`,
    );
  });
});
