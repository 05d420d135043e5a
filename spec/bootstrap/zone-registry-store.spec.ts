import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { expect } from 'chai';
import { ZoneRegistryConflict, ZoneRegistryStore, zonesBucket } from '../../bootstrap/zone-registry-store.js';
import { silentLogger } from '../../runtime/log.js';
import { connectNats } from '../../runtime/nats/nats-connection.js';
import { type NatsServerHandle, startNatsServer } from '../fixtures/nats-server.js';

describe('bootstrap/zone-registry-store (real nats-server with JetStream)', function () {
  this.timeout(60_000);
  let nats: NatsServerHandle;
  let nc: NatsConnection;

  before(async () => {
    nats = await startNatsServer({ jetstream: true });
    nc = await connectNats({ urls: [nats.url], name: 'zone-registry-store-spec', log: silentLogger });
  });
  after(async () => {
    await nc?.close();
    await nats?.stop();
  });

  const streamNames = async (): Promise<string[]> => {
    const names: string[] = [];
    for await (const name of (await jetstreamManager(nc)).streams.names()) names.push(name);
    return names;
  };

  it('lists no zones of a bucket no one created, and creates none', async () => {
    const registry = await ZoneRegistryStore.openToRead(nc, 'absent');
    expect(await registry.list()).to.deep.equal([]);
    expect(await streamNames()).to.not.include(`KV_${zonesBucket('absent')}`);
  });

  it('lists the zones registered through a store that created the bucket', async () => {
    const writer = await ZoneRegistryStore.open(nc, 'present');
    await writer.create('a.example.org.', 'g1', new Date('2026-12-07T00:00:00Z'));
    const reader = await ZoneRegistryStore.openToRead(nc, 'present');
    expect(await reader.list()).to.deep.equal([
      { zone: 'a.example.org.', group: 'g1', state: 'active', createdAt: '2026-12-07T00:00:00.000Z' },
    ]);
  });

  it('schedules the drop of a deleting entry by compare-and-set, and only of a deleting one', async () => {
    const store = await ZoneRegistryStore.open(nc, 'drain');
    const active = await store.create('d.example.org.', 'g1', new Date('2026-12-07T00:00:00Z'));
    let refused: unknown;
    await store.markDeleteAfter(active, new Date('2026-12-07T00:00:05Z')).catch((e: unknown) => {
      refused = e;
    });
    expect(refused).to.be.instanceOf(ZoneRegistryConflict);
    const deleting = await store.markDeleting(active);
    const scheduled = await store.markDeleteAfter(deleting, new Date('2026-12-07T00:00:05Z'));
    expect((await store.get('d.example.org.'))?.entry).to.deep.equal({
      ...deleting.entry,
      deleteAfter: '2026-12-07T00:00:05.000Z',
    });
    // A second caller still at the old revision changes nothing.
    refused = undefined;
    await store.markDeleteAfter(deleting, new Date('2026-12-07T01:00:00Z')).catch((e: unknown) => {
      refused = e;
    });
    expect(refused).to.be.instanceOf(ZoneRegistryConflict);
    expect((await store.get('d.example.org.'))?.revision).to.equal(scheduled.revision);
  });
});
