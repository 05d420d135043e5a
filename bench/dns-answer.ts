/**
 * `npm run bench:answer`: what the responder costs per query, in one thread, without
 * sockets: a cache hit, a miss (the lookup and the encoding of the answer), and the default
 * cache under queries spread evenly over every name (the worst case for the cache).
 *
 * Setup: a store holding `--zones` zones `z<i>.wikipedia.org.` and `--records` A records
 * spread over them (`host<j>.z<j mod zones>.wikipedia.org.`), its deltas applied to the
 * serving copy (`ZoneReplica`) as the DNS actor does; `--queries` queries for random
 * existing names (seeded xorshift, seed printed) per figure, after a warm-up of the same
 * count. Each figure is the median of `--runs` runs.
 *
 * Options: --zones N (10000), --records N (100000), --queries N (200000), --runs N (3),
 * --seed N.
 */
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { DEFAULT_CACHE_ENTRIES, Responder } from '../actors/dns/server/responder.js';
import { DnsStore } from '../actors/dns/store/dns-store.js';
import { ZoneReplica } from '../actors/dns/store/zone-replica.js';
import { BATCH_CHANGES_MAX, type DnsChange } from '../protocol/dns/changes.js';
import { HybridClock } from '../protocol/dns/version.js';
import { aQueryBytes } from '../spec/fixtures/dns-query.js';
import { createZoneChange } from '../spec/fixtures/dns-zone.js';

const { values } = parseArgs({
  options: {
    zones: { type: 'string', default: '10000' },
    records: { type: 'string', default: '100000' },
    queries: { type: 'string', default: '200000' },
    runs: { type: 'string', default: '3' },
    seed: { type: 'string' },
  },
});
const ZONES = Number(values.zones);
const RECORDS = Number(values.records);
const QUERIES = Number(values.queries);
const RUNS = Number(values.runs);
const SEED = values.seed === undefined ? randomBytes(4).readUInt32BE(0) : Number(values.seed);
const ZONE_CREATES_PER_BATCH = 100;

const zoneName = (i: number) => `z${i}.wikipedia.org.`;

function fill(): { replica: ZoneReplica; names: string[] } {
  const clock = new HybridClock('bench', () => Date.now());
  const store = new DnsStore({ zonesMax: Math.max(ZONES, 1) });
  const replica = new ZoneReplica();
  const apply = (changes: DnsChange[]) => {
    const result = store.applyBatch({ changes });
    if (!result.ok) throw new Error(result.error.message);
    replica.apply(store.takeDeltas());
  };
  for (let first = 0; first < ZONES; first += ZONE_CREATES_PER_BATCH) {
    const changes: DnsChange[] = [];
    for (let i = first; i < Math.min(ZONES, first + ZONE_CREATES_PER_BATCH); i++) {
      changes.push(createZoneChange(zoneName(i)));
    }
    apply(changes);
  }
  const names: string[] = [];
  for (let first = 0; first < RECORDS; first += BATCH_CHANGES_MAX) {
    const changes: DnsChange[] = [];
    for (let j = first; j < Math.min(RECORDS, first + BATCH_CHANGES_MAX); j++) {
      const zone = zoneName(j % ZONES);
      const name = `host${j}.${zone}`;
      names.push(name);
      changes.push({
        op: 'upsert',
        zone,
        name,
        type: 'A',
        ttl: 300,
        rdata: [`10.${(j >> 16) & 255}.${(j >> 8) & 255}.${j & 255}`],
        version: clock.next(),
      });
    }
    apply(changes);
  }
  return { replica, names };
}

/** xorshift32 indexes into `count` names: reproducible from the printed seed. */
function order(seed: number, length: number, count: number): Uint32Array {
  let x = seed || 1;
  const out = new Uint32Array(length);
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x % count;
  }
  return out;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** Microseconds per query over `picks`, after a warm-up pass over the same picks. */
function measure(
  responder: Responder,
  replica: ZoneReplica,
  queries: Uint8Array[],
  picks: Uint32Array,
): number {
  const run = () => {
    for (const pick of picks) {
      const answer = responder.respond(queries[pick] as Uint8Array, 'udp', replica);
      if (answer === null || ((answer[3] as number) & 0x0f) !== 0) throw new Error('no NOERROR answer');
    }
  };
  run();
  const started = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - started) / 1000 / picks.length;
}

function main(): void {
  const filledAt = process.hrtime.bigint();
  const { replica, names } = fill();
  const fillMs = Number(process.hrtime.bigint() - filledAt) / 1e6;
  const queries = names.map((name) => aQueryBytes(name, 7));
  console.log('bench:answer');
  console.log(
    `  setup: ${ZONES} zones, ${RECORDS} A records (filled in ${fillMs.toFixed(0)} ms); ${QUERIES} queries per run, median of ${RUNS}; seed ${SEED}`,
  );
  console.log(`  cpu: ${cpus()[0]?.model ?? '?'}, node ${process.version}, one thread`);
  const spread = order(SEED, QUERIES, queries.length);
  const one = new Uint32Array(QUERIES).fill(spread[0] as number);
  const figures = {
    hit: median(
      Array.from({ length: RUNS }, () =>
        measure(new Responder({ identity: 'bench' }), replica, queries, one),
      ),
    ),
    miss: median(
      Array.from({ length: RUNS }, () =>
        measure(new Responder({ identity: 'bench', cacheEntries: 0 }), replica, queries, spread),
      ),
    ),
    spreadDefaultCache: median(
      Array.from({ length: RUNS }, () =>
        measure(new Responder({ identity: 'bench' }), replica, queries, spread),
      ),
    ),
  };
  console.log(`  cache hit (one name, asked again)          ${figures.hit.toFixed(2)} µs/query`);
  console.log(`  cache miss (no cache: lookup + encoding)    ${figures.miss.toFixed(2)} µs/query`);
  console.log(
    `  every name evenly, default cache (${DEFAULT_CACHE_ENTRIES} entries)  ${figures.spreadDefaultCache.toFixed(2)} µs/query`,
  );
  console.log(
    JSON.stringify({ figure: 'dns-answer', zones: ZONES, records: RECORDS, seed: SEED, ...figures }),
  );
}

main();
