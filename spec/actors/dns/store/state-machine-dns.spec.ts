import { expect } from 'chai';
import { ZoneReplica } from '../../../../actors/dns/store/zone-replica.js';
import { GroupStateMachine } from '../../../../actors/state-machine/group-state-machine.js';
import type { DnsBatch } from '../../../../protocol/dns/changes.js';
import { RR_CLASS } from '../../../../protocol/dns/wire/codes.js';
import { Name } from '../../../../protocol/dns/wire/name.js';
import { decodeSessionCommand, encodeSessionCommand } from '../../../../protocol/group/command-codec.js';
import { LogFeed } from '../../state-machine/helpers.js';

const ZONE = 'example.org.';
const CREATE: DnsBatch = {
  changes: [
    {
      op: 'create-zone',
      zone: ZONE,
      soa: { mname: 'ns1', rname: 'admin', refresh: 1, retry: 2, expire: 3, minimum: 4, ttl: 60 },
      ns: ['ns1'],
      nsTtl: 60,
    },
  ],
};
const UPSERT: DnsBatch = {
  changes: [
    {
      op: 'upsert',
      zone: ZONE,
      name: 'www',
      type: 'A',
      ttl: 60,
      rdata: ['192.0.2.1'],
      version: { hlcMs: 1, counter: 0, writer: 'w' },
    },
  ],
};

describe('state machine: DNS batches', () => {
  it('the dns command has one encoding; a batch failing validateBatchSyntax does not encode', () => {
    const encoded = encodeSessionCommand({
      clientId: 'c',
      seq: 1,
      ackedSeq: 0,
      command: { kind: 'dns-batch', batch: UPSERT },
    });
    if (!encoded.ok) expect.fail(encoded.error.message);
    const decoded = decodeSessionCommand(encoded.value);
    if (!decoded.ok) expect.fail(decoded.error.message);
    const command = decoded.value.command;
    if (command.kind !== 'dns-batch') expect.fail(`decoded a ${command.kind}`);
    expect(command.batch).to.deep.equal(UPSERT);
    // Decoding validated and parsed the batch once: the store applies this parsed form.
    expect(command.parsed.changes.map((c) => c.op)).to.deep.equal(UPSERT.changes.map((c) => c.op));
    const again = encodeSessionCommand(decoded.value);
    expect(again.ok && again.value).to.deep.equal(encoded.value);
    const bad = encodeSessionCommand({
      clientId: 'c',
      seq: 1,
      ackedSeq: 0,
      command: {
        kind: 'dns-batch',
        batch: { changes: [{ ...UPSERT.changes[0], rdata: ['nope'] } as never] },
      },
    });
    expect(bad.ok).to.equal(false);
    if (!bad.ok) expect(bad.error.message).to.match(/bad-rdata: change 0: rdata 0/);
    // A non-canonical spelling of a valid batch is rejected.
    const text = new TextDecoder().decode(encoded.value);
    const respelled = new TextEncoder().encode(text.replace('"changes"', ' "changes"').replace('\u0000', ''));
    expect(decodeSessionCommand(respelled).ok).to.equal(false);
  });

  it('a tombstone collection is one command with one encoding: replicas drop the same tombstones, keep the serial and equal digests', () => {
    const DELETE: DnsBatch = {
      changes: [
        {
          op: 'delete-rrset',
          zone: ZONE,
          name: 'www',
          type: 'A',
          version: { hlcMs: 2, counter: 0, writer: 'w' },
        },
      ],
    };
    const collection = {
      zone: ZONE,
      tombstones: [{ name: 'www.example.org.', type: 'A', version: { hlcMs: 2, counter: 0, writer: 'w' } }],
    };
    const command = { kind: 'dns-collect-tombstones' as const, collection };
    const encoded = encodeSessionCommand({ clientId: 'c', seq: 4, ackedSeq: 3, command });
    if (!encoded.ok) expect.fail(encoded.error.message);
    const decoded = decodeSessionCommand(encoded.value);
    expect(decoded.ok && decoded.value.command).to.deep.equal(command);
    expect(
      encodeSessionCommand({
        clientId: 'c',
        seq: 1,
        ackedSeq: 0,
        command: { kind: 'dns-collect-tombstones', collection: { zone: ZONE, tombstones: [] } },
      }).ok,
    ).to.equal(false);
    const machines = [new GroupStateMachine(), new GroupStateMachine()];
    const feeds = [new LogFeed(), new LogFeed()];
    const results = machines.map((machine, i) => {
      const feed = feeds[i] as LogFeed;
      machine.apply(feed.command('c', 1, 0, { kind: 'dns-batch', batch: CREATE }));
      machine.apply(feed.command('c', 2, 1, { kind: 'dns-batch', batch: UPSERT }));
      machine.apply(feed.command('c', 3, 2, { kind: 'dns-batch', batch: DELETE }));
      const scan = machine.query({ op: 'dns-tombstone-scan', zone: ZONE, beforeMs: 3, fromLeaf: 0 });
      expect(scan.op === 'dns-tombstone-scan' && scan.scan?.tombstones).to.equal(1);
      expect(scan.op === 'dns-tombstone-scan' && scan.scan?.leaves.length).to.equal(1);
      const none = machine.query({ op: 'dns-tombstone-scan', zone: ZONE, beforeMs: 2, fromLeaf: 0 });
      expect(none.op === 'dns-tombstone-scan' && none.scan?.leaves).to.deep.equal([]);
      return machine.apply(feed.command('c', 4, 3, command));
    });
    for (const outcome of results) {
      if (outcome.kind !== 'applied' || outcome.result.kind !== 'dns-batch')
        expect.fail(JSON.stringify(outcome));
      expect(outcome.result.dns).to.deep.equal({ ok: true, serials: {}, outcomes: ['applied'] });
    }
    const [one, two] = machines as [GroupStateMachine, GroupStateMachine];
    expect(one.digest()).to.equal(two.digest());
    expect(one.query({ op: 'dns-zones' })).to.deep.equal({
      op: 'dns-zones',
      zones: [{ zone: ZONE, serial: 3, rrsets: 2 }],
    });
    const scan = one.query({ op: 'dns-tombstone-scan', zone: ZONE, beforeMs: 3, fromLeaf: 0 });
    expect(scan.op === 'dns-tombstone-scan' && scan.scan).to.deep.equal({
      leaves: [],
      next: null,
      tombstones: 0,
    });
    const restored = GroupStateMachine.restore(one.snapshot());
    expect(restored.ok && restored.value.digest()).to.equal(one.digest());
  });

  it('executes batches exactly once, queues deltas, and keeps the store across snapshot/restore', () => {
    const machine = new GroupStateMachine();
    const feed = new LogFeed();
    machine.apply(feed.command('c', 1, 0, { kind: 'dns-batch', batch: CREATE }));
    const outcome = machine.apply(feed.command('c', 2, 1, { kind: 'dns-batch', batch: UPSERT }));
    if (outcome.kind !== 'applied' || outcome.result.kind !== 'dns-batch')
      expect.fail(JSON.stringify(outcome));
    expect(outcome.result.dns).to.deep.equal({ ok: true, serials: { [ZONE]: 2 }, outcomes: ['applied'] });
    const retry = machine.apply(feed.command('c', 2, 1, { kind: 'dns-batch', batch: UPSERT }));
    expect(retry.kind).to.equal('duplicate');
    const replica = new ZoneReplica();
    replica.apply(machine.takeDnsDeltas());
    expect(machine.takeDnsDeltas()).to.deep.equal([]);
    expect(
      replica.find(Name.parse('www.example.org.'), RR_CLASS.IN)?.rrset(Name.parse('www.example.org.'), 1)
        ?.ttl,
    ).to.equal(60);
    expect(machine.query({ op: 'dns-zones' })).to.deep.equal({
      op: 'dns-zones',
      zones: [{ zone: ZONE, serial: 2, rrsets: 3 }],
    });
    const restored = GroupStateMachine.restore(machine.snapshot());
    if (!restored.ok) expect.fail(restored.error.message);
    expect(restored.value.digest()).to.equal(machine.digest());
    expect(restored.value.query({ op: 'dns-rrsets', zone: ZONE, name: 'www' })).to.deep.equal(
      machine.query({ op: 'dns-rrsets', zone: ZONE, name: 'www' }),
    );
    expect(restored.value.dumpDnsDeltas()).to.deep.equal(machine.dumpDnsDeltas());
    // The cached DNS result survives the snapshot: the retry is still a duplicate.
    const again = restored.value.apply(feed.command('c', 2, 1, { kind: 'dns-batch', batch: UPSERT }));
    expect(again.kind).to.equal('duplicate');
  });
});
