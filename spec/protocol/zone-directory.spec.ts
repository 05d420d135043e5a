import { expect } from 'chai';
import { examplePlan } from '../../protocol/plan.js';
import {
  type RegisteredZone,
  registeredZoneSchema,
  ZONES_PER_GROUP_MAX,
  ZoneDirectory,
} from '../../protocol/zone-directory.js';

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

  it('says why a zone cannot move, and nothing when it can or when the same move is under way', () => {
    const moving: RegisteredZone = { ...registered('m.org.', 'org', 'moving'), to: 'root' };
    const drained: RegisteredZone = {
      ...registered('d.org.', 'root'),
      movedFrom: 'org',
      drainUntil: '2026-12-06T00:05:00.000Z',
    };
    const moves = new ZoneDirectory(plan, [
      registered('example.org.', 'wikipedia-org'),
      registered('gone.org.', 'org', 'deleting'),
      moving,
      drained,
    ]);
    expect(moves.moveProblem('example.org.', 'org')).to.equal(undefined);
    expect(moves.moveProblem('Example.ORG', 'root')).to.equal(undefined);
    expect(moves.moveProblem('org.', 'root')).to.match(/zone of the plan/);
    expect(moves.moveProblem('nothere.org.', 'root')).to.match(/not a zone of the cluster/);
    expect(moves.moveProblem('www.example.org.', 'root')).to.match(/not a zone of the cluster/);
    expect(moves.moveProblem('a..b', 'root')).to.match(/not a domain name/);
    expect(moves.moveProblem('example.org.', 'nope')).to.match(/no group "nope"/);
    expect(moves.moveProblem('example.org.', 'wikipedia-org')).to.match(
      /already served by group wikipedia-org/,
    );
    expect(moves.moveProblem('gone.org.', 'root')).to.match(/being deleted/);
    // Running the same move again continues it; another target waits for it to end.
    expect(moves.moveProblem('m.org.', 'root')).to.equal(undefined);
    expect(moves.moveProblem('m.org.', 'wikipedia-org')).to.match(/moving to group root/);
    // A finished move whose old copy is not gone yet: the same move finishes it, no other starts.
    expect(moves.moveProblem('d.org.', 'root')).to.equal(undefined);
    expect(moves.moveProblem('d.org.', 'org')).to.match(/still has a copy in group org/);
    expect(moves.get('d.org.')).to.include({
      movedFrom: 'org',
      drainUntilMs: Date.parse(drained.drainUntil ?? ''),
    });
    // A moving zone counts in both groups, and routes to its old group until it moved.
    expect(moves.zoneFor('www.m.org.')).to.include({ group: 'org', state: 'moving', to: 'root' });
    expect(moves.zonesOf('root')).to.equal(3);
    // No new zone where one is moving.
    expect(moves.creationProblem('m.org.', 'org')).to.match(/moving to root/);
  });

  it('refuses a move to a full group', () => {
    const many = Array.from({ length: ZONES_PER_GROUP_MAX - 1 }, (_, i) => registered(`z${i}.org.`, 'org'));
    const full = new ZoneDirectory(plan, [...many, registered('mover.org.', 'root')]);
    expect(full.moveProblem('mover.org.', 'org')).to.match(/serves its maximum/);
    expect(full.moveProblem('z1.org.', 'root')).to.equal(undefined);
  });

  it('reads registry entries of moves and refuses malformed ones', () => {
    const ok = registeredZoneSchema.safeParse({ ...registered('m.org.', 'org', 'moving'), to: 'root' });
    expect(ok.success).to.equal(true);
    expect(registeredZoneSchema.safeParse(registered('m.org.', 'org', 'moving')).success).to.equal(false);
    expect(registeredZoneSchema.safeParse({ ...registered('m.org.', 'org'), to: 'root' }).success).to.equal(
      false,
    );
    expect(
      registeredZoneSchema.safeParse({ ...registered('m.org.', 'org'), movedFrom: 'root' }).success,
    ).to.equal(false);
  });

  it('reads the drain time of a deleting entry, and refuses it on any other', () => {
    const deleteAfter = '2026-12-07T10:00:05.000Z';
    const deleting = { ...registered('d.org.', 'org', 'deleting'), deleteAfter };
    expect(registeredZoneSchema.safeParse(deleting).success).to.equal(true);
    expect(registeredZoneSchema.safeParse({ ...registered('d.org.', 'org'), deleteAfter }).success).to.equal(
      false,
    );
    const read = new ZoneDirectory(plan, [deleting, registered('e.org.', 'org', 'deleting')]);
    expect(read.get('d.org.')?.deleteAfterMs).to.equal(Date.parse(deleteAfter));
    expect(read.get('e.org.')).to.not.have.property('deleteAfterMs');
  });
});
