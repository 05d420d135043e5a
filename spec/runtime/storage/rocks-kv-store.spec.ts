import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel } from 'node:worker_threads';
import { expect } from 'chai';
import { utf8 } from '../../../runtime/storage/kv-store.js';
import { RocksKvStore } from '../../../runtime/storage/rocks-kv-store.js';

const bytes = (...values: number[]) => new Uint8Array(values);

describe('RocksKvStore', function () {
  this.timeout(30_000);
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'raftns-rocks-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lets messages already queued for this thread arrive before a write blocks it (group commit)', async () => {
    // The binding writes synchronously; a write that blocked at once would run before any
    // queued message is read, so a caller could never batch what arrives meanwhile.
    const store = await RocksKvStore.open(dir);
    const { port1, port2 } = new MessageChannel();
    const received: number[] = [];
    const first = new Promise((resolve) => port2.once('message', resolve));
    port2.on('message', (n: number) => received.push(n));
    try {
      // A port that is already receiving, as a worker's links are.
      port1.postMessage(0);
      await first;
      port1.postMessage(1);
      const seenWhenWritten = store
        .write([{ type: 'put', key: bytes(1), value: utf8('one') }], { sync: true })
        .then(() => [...received]);
      expect(await seenWhenWritten).to.deep.equal([0, 1]);
      // Writes keep their call order.
      const writes = [2, 3, 4].map((n) =>
        store.write([{ type: 'put', key: bytes(9), value: bytes(n) }], { sync: false }),
      );
      await Promise.all(writes);
      expect([...((await store.get(bytes(9))) ?? [])]).to.deep.equal([4]);
    } finally {
      port1.close();
      await store.close();
    }
  });

  it('writes atomic batches, reads them back after reopening, and scans in key order with a limit', async () => {
    const store = await RocksKvStore.open(dir);
    await store.write(
      [
        { type: 'put', key: bytes(2), value: utf8('two') },
        { type: 'put', key: bytes(1), value: utf8('one') },
        { type: 'put', key: bytes(3), value: utf8('three') },
        { type: 'del', key: bytes(2) },
      ],
      { sync: true },
    );
    expect(await store.get(bytes(9))).to.equal(undefined);
    await store.close();
    const reopened = await RocksKvStore.open(dir);
    expect(Buffer.from((await reopened.get(bytes(1))) ?? []).toString()).to.equal('one');
    const rows = await reopened.scan({ gte: bytes(0), limit: 10 });
    expect(rows.map(([k]) => k[0])).to.deep.equal([1, 3]);
    expect(await reopened.scan({ gte: bytes(0), limit: 1, reverse: true })).to.have.length(1);
    await reopened.close();
  });

  it('fsyncs once per synced batch and not for unsynced ones (strace)', function () {
    const strace = spawnSync('strace', ['-V']);
    if (strace.status !== 0) this.skip();
    const script = fileURLToPath(new URL('../../fixtures/processes/rocks-sync-writer.js', import.meta.url));
    const count = (sync: boolean) => {
      const run = spawnSync(
        'strace',
        [
          '-f',
          '-c',
          '-e',
          'trace=fdatasync,fsync',
          process.execPath,
          script,
          join(dir, String(sync)),
          '20',
          String(sync),
        ],
        { encoding: 'utf8' },
      );
      expect(run.status, run.stderr).to.equal(0);
      let total = 0;
      for (const line of run.stderr.split('\n')) {
        const match = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(fdatasync|fsync)\s*$/.exec(line);
        if (match) total += Number(match[1]);
      }
      return total;
    };
    const synced = count(true);
    const unsynced = count(false);
    expect(synced - unsynced, `synced run ${synced} syncs, unsynced run ${unsynced}`).to.be.at.least(20);
  });

  it('after a crash, leaves a write-ahead log of a few MiB to replay, not a large batch written before', async () => {
    const script = fileURLToPath(new URL('../../fixtures/processes/rocks-crash-writer.js', import.meta.url));
    const location = join(dir, 'crashed');
    // 24 MiB in one batch (a snapshot), then 1,024 batches of 4 KiB (entries after it).
    const large = 24 << 20;
    const smallBatches = 1024;
    const run = spawnSync(process.execPath, [script, location, String(large), String(smallBatches)], {
      encoding: 'utf8',
    });
    expect(run.signal, run.stderr).to.equal('SIGKILL');
    let walBytes = 0;
    for (const name of await readdir(location))
      if (name.endsWith('.log')) walBytes += (await stat(join(location, name))).size;
    // RocksDB's default 64 MiB memtables keep the whole 28 MiB in the log (checked).
    expect(walBytes, 'bytes of write-ahead log left to replay').to.be.below(8 << 20);
    const store = await RocksKvStore.open(location);
    try {
      expect((await store.get(utf8('snapshot')))?.length).to.equal(large);
      const entries = await store.scan({ gte: utf8('entry/'), lt: utf8('entry0'), limit: smallBatches + 1 });
      expect(entries.length).to.equal(smallBatches);
    } finally {
      await store.close();
    }
  });
});
