import { expect } from 'chai';
import { GroupStateMachine } from '../../../actors/state-machine/group-state-machine.js';
import type { DnsChange } from '../../../protocol/dns/changes.js';
import { frozenZoneKey } from '../../../protocol/dns/zone-freeze-key.js';
import type { GroupCommand } from '../../../protocol/group/commands.js';
import { copyBatch } from '../../../runtime/composition/zone-move-copy.js';
import { LogFeed } from './helpers.js';

const ZONE = 'example.org.';
const v = (hlcMs: number) => ({ hlcMs, counter: 0, writer: 'w' });
const create: DnsChange = {
  op: 'create-zone',
  zone: ZONE,
  soa: {
    mname: 'ns1.a.org.',
    rname: 'h.example.org.',
    refresh: 1,
    retry: 2,
    expire: 3,
    minimum: 4,
    ttl: 60,
    serial: 7,
  },
  ns: ['ns1.a.org.'],
  nsTtl: 300,
};
const upsert = (name: string, ms: number, rdata = '192.0.2.1'): DnsChange => ({
  op: 'upsert',
  zone: ZONE,
  name,
  type: 'A',
  ttl: 60,
  rdata: [rdata],
  version: v(ms),
});

function machine(): { run: (command: GroupCommand) => unknown; sm: GroupStateMachine } {
  const sm = new GroupStateMachine();
  const feed = new LogFeed();
  let seq = 0;
  return {
    sm,
    run: (command) => {
      seq++;
      const outcome = sm.apply(feed.command('c', seq, seq - 1, command));
      if (outcome.kind !== 'applied') throw new Error(`not applied: ${outcome.kind}`);
      return outcome.result;
    },
  };
}

describe('a zone frozen for its move (zone-freeze.ts)', () => {
  it('refuses every write to the zone after the freeze entry as zone-moving, naming the new group', () => {
    const { run } = machine();
    expect(run({ kind: 'dns-batch', batch: { changes: [create, upsert('www', 10)] } })).to.deep.include({
      kind: 'dns-batch',
    });
    run({ kind: 'kv-put', key: frozenZoneKey('Example.ORG'), value: 'group-b' });
    const refused = run({ kind: 'dns-batch', batch: { changes: [upsert('www', 20, '192.0.2.2')] } }) as {
      dns: { ok: boolean; error?: { code: string; to: string; zone: string } };
    };
    expect(refused.dns.ok).to.equal(false);
    expect(refused.dns.error).to.include({ code: 'zone-moving', to: 'group-b', zone: 'example.org.' });
    // Names spelled differently are the same zone (RFC 4343).
    const upper = run({
      kind: 'dns-batch',
      batch: { changes: [{ ...upsert('x', 21), zone: 'EXAMPLE.org.' }] },
    }) as { dns: { ok: boolean } };
    expect(upper.dns.ok).to.equal(false);
    const imported = run({
      kind: 'dns-import',
      import: { zone: ZONE, importId: 'abc', chunks: 1, version: v(22) },
    }) as { dns: { ok: boolean; error?: { code: string } } };
    expect(imported.dns.error?.code).to.equal('zone-moving');
  });

  it('lets the zone be deleted, which ends the freeze in the same entry', () => {
    const { run } = machine();
    run({ kind: 'dns-batch', batch: { changes: [create] } });
    run({ kind: 'kv-put', key: frozenZoneKey(ZONE), value: 'group-b' });
    const deleted = run({ kind: 'dns-batch', batch: { changes: [{ op: 'delete-zone', zone: ZONE }] } }) as {
      dns: { ok: boolean };
    };
    expect(deleted.dns.ok).to.equal(true);
    const again = run({ kind: 'dns-batch', batch: { changes: [create, upsert('www', 30)] } }) as {
      dns: { ok: boolean };
    };
    expect(again.dns.ok).to.equal(true);
  });

  it('leaves other zones writable', () => {
    const { run } = machine();
    run({ kind: 'dns-batch', batch: { changes: [create] } });
    run({ kind: 'kv-put', key: frozenZoneKey('other.org.'), value: 'group-b' });
    const ok = run({ kind: 'dns-batch', batch: { changes: [upsert('www', 10)] } }) as {
      dns: { ok: boolean };
    };
    expect(ok.dns.ok).to.equal(true);
  });
});

describe('the copy of a moving zone (zone-move-copy.ts)', () => {
  it('keeps every version and tombstone, moves the serial forward and names the new nameservers', () => {
    const a = machine();
    a.run({
      kind: 'dns-batch',
      batch: {
        changes: [
          create,
          upsert('www', 10),
          upsert('gone', 11),
          upsert('mail', 12),
          { op: 'delete-rrset', zone: ZONE, name: 'gone', type: 'A', version: v(13) },
          { op: 'upsert', zone: ZONE, name: 'mail', type: 'TXT', ttl: 60, rdata: ['"x"'], version: v(14) },
          { op: 'delete-rrset', zone: ZONE, name: 'mail', type: 'TXT', version: v(15) },
        ],
      },
    });
    const read = (sm: GroupStateMachine, name: string) => {
      const result = sm.query({ op: 'dns-rrsets', zone: ZONE, name });
      if (result.op !== 'dns-rrsets' || result.view === null) throw new Error(`no ${name}`);
      return result.view;
    };
    const zones = a.sm.query({ op: 'dns-zones' });
    const serial = zones.op === 'dns-zones' ? (zones.zones[0]?.serial ?? 0) : 0;
    const names = [ZONE, `www.${ZONE}`, `mail.${ZONE}`].map((n) => read(a.sm, n));
    const batch = copyBatch(ZONE, serial, names, ['ns1.b.org.', 'ns2.b.org.'], 300);
    if (batch === undefined) throw new Error('the zone fits one batch');
    const b = machine();
    const copied = b.run({ kind: 'dns-batch', batch: { changes: batch } }) as {
      dns: { ok: boolean; serials: Record<string, number> };
    };
    expect(copied.dns.ok, JSON.stringify(copied)).to.equal(true);
    expect(Object.values(copied.dns.serials)[0]).to.be.greaterThan(serial);
    expect(read(b.sm, `www.${ZONE}`).rrsets).to.deep.equal(read(a.sm, `www.${ZONE}`).rrsets);
    expect(read(b.sm, `mail.${ZONE}`)).to.deep.equal(read(a.sm, `mail.${ZONE}`));
    const ns = read(b.sm, ZONE).rrsets.find((r) => r.type === 'NS');
    expect(ns?.rdata).to.deep.equal(['ns1.b.org.', 'ns2.b.org.']);
    // Last writer wins across the copy: an older write than the copied one changes nothing.
    const older = b.run({ kind: 'dns-batch', batch: { changes: [upsert('www', 5, '192.0.2.99')] } }) as {
      dns: { ok: boolean; outcomes: string[] };
    };
    expect(older.dns.outcomes).to.deep.equal(['superseded']);
  });
});
