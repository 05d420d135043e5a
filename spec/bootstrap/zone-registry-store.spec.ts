import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { expect } from 'chai';
import { ZoneRegistryStore, zonesBucket } from '../../bootstrap/zone-registry-store.js';
import { silentLogger } from '../../runtime/log.js';
import { connectNats } from '../../runtime/nats/nats-connection.js';
import { type NatsServerHandle, startNatsServer } from '../fixtures/nats-server.js';

describe('bootstrap/zone-registry-store opened to read (real nats-server with JetStream)', function () {
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
});
