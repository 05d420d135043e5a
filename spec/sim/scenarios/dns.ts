import { DEFAULT_DNS_ACTOR, type DnsActorOptions } from '../../../actors/dns/dns-actor-options.js';
import type { DnsListenerConfig } from '../../../actors/dns/protocol.js';
import { DNS } from '../../../actors/raft/actor-names.js';
import { raftConfig } from '../../../actors/raft/raft-config.js';
import type { StateMachineMessage, SubmitResult } from '../../../actors/state-machine/protocol.js';
import type { DnsBatch } from '../../../protocol/dns/changes.js';
import { RCODE, RR_TYPE } from '../../../protocol/dns/wire/codes.js';
import { decodeMessage, fullRcode } from '../../../protocol/dns/wire/message.js';
import type { ReadMode } from '../../../protocol/read-mode.js';
import type { ActorSpec } from '../../../runtime/actor.js';
import { DEFAULT_STATE_MACHINE_ACTOR, raftReplicaActors } from '../../../runtime/composition/raft-actors.js';
import type { MessageOf } from '../../../runtime/message.js';
import type { Random } from '../../../runtime/random.js';
import type { FaultPlan } from '../../../runtime/sim/fault-plan.js';
import { Simulator } from '../../../runtime/sim/simulator.js';
import { makeQuery } from '../../actors/dns/server/helpers.js';
import { type DnsRrsetInput, type DnsRrsetOutput, dnsRrsetModel } from '../../checkers/dns-model.js';
import { HistoryRecorder } from '../../checkers/history.js';
import { checkLinearizable } from '../../checkers/linearizability.js';
import { dnsActorSpec } from '../../fixtures/dns-actor-spec.js';
import { RaftInvariants } from '../raft-invariants.js';
import type { Scenario, ScenarioOutcome, ScenarioRunOptions } from '../scenario.js';
import { mixedFaults } from './fault-plans.js';

/**
 * DNS reads checked under simulation: each replica runs the real Raft actors and the real
 * DNS actor behind a simulated socket, with one listener per read mode. Writers put A
 * records through the state machine (DNS batches, each RRset write carrying a fresh
 * version whose number is also its address); readers query a random replica in a random
 * mode over UDP or TCP while replicas crash, actors crash, the network partitions and
 * leadership moves. At the end, the `linearizable` and `lease` answers together with the
 * writes must be a linearizable history of max registers (checkers/dns-model.ts), and every
 * `bounded:<ms>` answer must carry a version at least as new as every write acknowledged
 * more than the bound (plus a network delay) before the query was sent.
 */
export interface DnsScenarioOptions {
  readonly name: string;
  readonly replicas: number;
  readonly writers: number;
  readonly readers: number;
  readonly faults: boolean;
}

const ZONE = 'example.org.';
const NAMES = ['a', 'b', 'c'];
const REQUEST_TIMEOUT_MS = 400;
const ATTEMPTS_MAX = 8;
const VIRTUAL_MS = 4_000;
/** Above the DNS actor's hold timeout, so a held query is answered (or SERVFAILed) before the client gives up. */
const DNS_QUERY_TIMEOUT_MS = 500;
const HOLD_TIMEOUT_MS = 400;
const MAX_STALE_MS = 60;
/** The simulated client network's largest one-way delay. */
const DNS_DELAY_MAX_MS = 8;
const ACKED_WRITES_MIN = 5;
/**
 * A floor that catches a DNS front answering nothing, not a promise of availability: under
 * the heaviest fault draws (dns3 1279580694: 79 SERVFAILs, 25 queries lost) a healthy group
 * still answers only a dozen queries with data.
 */
const ANSWERS_MIN = 10;

const MODES: ReadonlyArray<{ readonly port: number; readonly mode: ReadMode }> = [
  { port: 5301, mode: { kind: 'linearizable' } },
  { port: 5302, mode: { kind: 'lease' } },
  { port: 5303, mode: { kind: 'bounded', maxStaleMs: MAX_STALE_MS } },
];

type Submit = MessageOf<StateMachineMessage, 'submit'>;

/** Versions up to 2^24 - 1 fit in the last three octets of the address. */
function addressOf(version: number): string {
  return `10.${(version >> 16) & 255}.${(version >> 8) & 255}.${version & 255}`;
}

function versionOf(address: string): number {
  const [, b, c, d] = address.split('.').map(Number);
  return ((b as number) << 16) | ((c as number) << 8) | (d as number);
}

/** The version an answer carries (0: no such RRset), or why it carries none. */
type Answer =
  | { readonly kind: 'version'; readonly version: number }
  | { readonly kind: 'servfail' }
  /** REFUSED: the replica's copy does not hold the zone yet. */
  | { readonly kind: 'no-zone' }
  | { readonly kind: 'bad'; readonly why: string };

function readAnswer(bytes: Uint8Array, name: string): Answer {
  const decoded = decodeMessage(bytes);
  if (!decoded.ok) return { kind: 'bad', why: `undecodable answer: ${decoded.error.message}` };
  const message = decoded.message;
  const rcode = fullRcode(message);
  if (rcode === RCODE.SERVFAIL) return { kind: 'servfail' };
  if (rcode === RCODE.NXDOMAIN) return { kind: 'version', version: 0 };
  if (rcode === RCODE.REFUSED) return { kind: 'no-zone' };
  if (rcode !== RCODE.NOERROR) return { kind: 'bad', why: `rcode ${rcode} for ${name}` };
  const records = message.answers.filter((r) => r.type === RR_TYPE.A);
  if (records.length === 0) return { kind: 'version', version: 0 };
  if (records.length > 1) return { kind: 'bad', why: `${records.length} A records for ${name}, want one` };
  const rdata = records[0]?.rdata;
  if (rdata?.kind !== 'A') return { kind: 'bad', why: `not an A record for ${name}` };
  return { kind: 'version', version: versionOf(rdata.address) };
}

function simDnsActorSpec(id: string): ActorSpec {
  const listeners: DnsListenerConfig[] = MODES.map(({ port, mode }) => ({ host: '127.0.0.1', port, mode }));
  const options: DnsActorOptions = {
    ...DEFAULT_DNS_ACTOR,
    identity: id,
    listeners,
    holdTimeoutMs: HOLD_TIMEOUT_MS,
    cacheEntries: 1_024,
    // The catalog is regenerated as the copy changes: the simulator runs that path too.
    catalogZone: 'catalog.g1.sim.raftns.invalid.',
  };
  return dnsActorSpec(options, 4_096);
}

export function dnsScenario(options: DnsScenarioOptions): Scenario {
  return {
    name: options.name,
    description: `${options.replicas}-replica group with its DNS actors, ${options.writers} writers, ${options.readers} DNS readers${options.faults ? ', with faults' : ''}: linearizable and lease answers linearizable, bounded answers within the bound`,
    async run(seed: number, runOptions: ScenarioRunOptions = {}): Promise<ScenarioOutcome> {
      const ids = Array.from({ length: options.replicas }, (_, i) => `r${i + 1}`);
      const faults: FaultPlan | undefined = options.faults
        ? mixedFaults(ids.length, VIRTUAL_MS - 800)
        : undefined;
      const sim = await Simulator.create({
        seed,
        traceLinesKept: runOptions.traceLinesKept,
        replicas: ids.map((id) => ({
          id,
          actors: [
            ...raftReplicaActors({
              raft: raftConfig('g1', id, ids, { snapshotThresholdEntries: 25, snapshotChunkBytes: 256 }),
              clockDriftBoundMs: 10,
              stateMachine: {
                ...DEFAULT_STATE_MACHINE_ACTOR,
                waitTimeoutMs: 2_000,
                zoneSink: DNS,
                // Every dump of these small zones goes in parts (production: 16,384 deltas a part),
                // so the checks cover a dump's parts lost with a restarted actor.
                dumpPartDeltas: 4,
              },
            }),
            simDnsActorSpec(id),
          ],
        })),
        network: options.faults
          ? { dropProbability: 0.02, duplicateProbability: 0.02, delayMs: { min: 1, max: 10 } }
          : { delayMs: { min: 1, max: 3 } },
        dnsNetwork: {
          dropProbability: options.faults ? 0.02 : 0,
          delayMs: { min: 1, max: DNS_DELAY_MAX_MS },
        },
        disk: options.faults
          ? {
              fsyncLatencyMs: { min: 1, max: 4 },
              slowFsyncProbability: 0.02,
              slowFsyncLatencyMs: { min: 20, max: 100 },
            }
          : { fsyncLatencyMs: { min: 1, max: 2 } },
        restartPolicy: { maxRestarts: 10, windowMs: 1_000, backoffBaseMs: 10, backoffMaxMs: 100 },
        processRebootMs: { min: 20, max: 100 },
        ...(faults === undefined ? {} : { faults }),
      });
      const invariants = new RaftInvariants(ids);
      sim.onStep(() => invariants.check(sim));

      const random = sim.random;
      const history = new HistoryRecorder<DnsRrsetInput, DnsRrsetOutput>();
      const stats = {
        writesAcked: 0,
        writesUnknown: 0,
        answers: { linearizable: 0, lease: 0, bounded: 0 },
        servfail: 0,
        lost: 0,
        tcp: 0,
      };
      const violations: string[] = [];
      sim.onStep(() => {
        if (violations.length > 0) throw new Error(violations[0]);
      });
      /** Acknowledged writes in completion order: when, which name, which version. */
      const acked: Array<{ readonly atMs: number; readonly name: string; readonly version: number }> = [];
      const owedBy = (name: string, atMs: number) => {
        let newest = 0;
        for (const write of acked) {
          if (write.atMs > atMs) break;
          if (write.name === name && write.version > newest) newest = write.version;
        }
        return newest;
      };
      const pause = (r: Random, minMs: number, maxMs: number) =>
        new Promise<void>((resolve) => sim.schedule(r.intBetween(minMs, maxMs), 'client pause', resolve));
      const clientsStopMs = VIRTUAL_MS - 200 - DNS_QUERY_TIMEOUT_MS;
      let sessions = 0;
      let nextVersion = 1;

      /** Submits `batch` with a session, following not-leader hints; the index, or undefined if unknown. */
      const submit = async (client: { target: string }, batch: DnsBatch): Promise<'applied' | 'unknown'> => {
        const session = `w${sessions++}`;
        for (let attempt = 0; attempt < ATTEMPTS_MAX; attempt++) {
          const result: SubmitResult | undefined = await sim
            .request<Submit>(
              client.target,
              'state-machine',
              {
                type: 'submit',
                command: { clientId: session, seq: 1, ackedSeq: 0, command: { kind: 'dns-batch', batch } },
              },
              { timeoutMs: REQUEST_TIMEOUT_MS },
            )
            .catch(() => undefined);
          if (result?.status === 'applied') {
            const dns = result.result.kind === 'dns-batch' ? result.result.dns : undefined;
            if (dns?.ok !== true && !(dns?.ok === false && dns.error.code === 'zone-exists'))
              violations.push(`DNS batch refused: ${JSON.stringify(dns)}`);
            return 'applied';
          }
          if (result?.status === 'rejected') {
            if (result.reason === 'invalid')
              violations.push(`the scenario sent an invalid batch: ${result.detail}`);
            return 'unknown';
          }
          client.target =
            result?.status === 'not-leader' && result.leaderId !== null && ids.includes(result.leaderId)
              ? result.leaderId
              : (ids[random.intBetween(0, ids.length - 1)] as string);
          await pause(random, 5, 40);
        }
        return 'unknown';
      };

      let zoneReady = false;
      let zoneAckedMs = Number.POSITIVE_INFINITY;
      const setUp = async () => {
        const client = { target: ids[0] as string };
        while (!zoneReady && sim.nowMs() < clientsStopMs) {
          const outcome = await submit(client, {
            changes: [
              {
                op: 'create-zone',
                zone: ZONE,
                soa: {
                  mname: 'ns1.example.net.',
                  rname: 'hostmaster.example.net.',
                  refresh: 3600,
                  retry: 600,
                  expire: 604800,
                  minimum: 60,
                  ttl: 3600,
                },
                ns: ['ns1.example.net.'],
                nsTtl: 3600,
              },
            ],
          });
          zoneReady = outcome === 'applied';
          if (zoneReady) zoneAckedMs = sim.nowMs();
        }
      };

      const runWriter = async (id: number) => {
        const client = { target: ids[id % ids.length] as string };
        while (!zoneReady) await pause(random, 10, 30);
        while (sim.nowMs() < clientsStopMs) {
          const name = NAMES[random.intBetween(0, NAMES.length - 1)] as string;
          const version = nextVersion++;
          const handle = history.invoke(`w${id}`, { kind: 'write', name, version }, sim.nowMs());
          const outcome = await submit(client, {
            changes: [
              {
                op: 'upsert',
                zone: ZONE,
                name,
                type: 'A',
                ttl: 60,
                rdata: [addressOf(version)],
                version: { hlcMs: version, counter: 0, writer: `w${id}` },
              },
            ],
          });
          if (outcome === 'applied') {
            history.complete(handle, null, sim.nowMs());
            acked.push({ atMs: sim.nowMs(), name, version });
            stats.writesAcked++;
          } else {
            history.unknown(handle);
            stats.writesUnknown++;
          }
          await pause(random, 1, 30);
        }
      };

      const runReader = async (id: number) => {
        while (!zoneReady) await pause(random, 10, 30);
        while (sim.nowMs() < clientsStopMs) {
          const name = NAMES[random.intBetween(0, NAMES.length - 1)] as string;
          const replica = ids[random.intBetween(0, ids.length - 1)] as string;
          const { port, mode } = MODES[random.intBetween(0, MODES.length - 1)] as (typeof MODES)[number];
          const transport = random.intBetween(0, 4) === 0 ? 'tcp' : 'udp';
          if (transport === 'tcp') stats.tcp++;
          const query = makeQuery(`${name}.${ZONE}`, 'A', { id: random.intBetween(0, 0xffff) });
          const calledMs = sim.nowMs();
          const handle =
            mode.kind === 'bounded' ? undefined : history.invoke(`q${id}`, { kind: 'read', name }, calledMs);
          const bytes = await sim.dnsQuery(replica, port, transport, query, DNS_QUERY_TIMEOUT_MS);
          let answer: Answer = bytes === null ? { kind: 'servfail' } : readAnswer(bytes, name);
          if (answer.kind === 'no-zone') {
            // Only a bounded answer may predate the zone's creation, and only within its bound.
            answer =
              mode.kind === 'bounded' && calledMs - mode.maxStaleMs - DNS_DELAY_MAX_MS < zoneAckedMs
                ? { kind: 'version', version: 0 }
                : { kind: 'bad', why: `REFUSED for ${name} after the zone was acknowledged` };
          }
          if (bytes === null) stats.lost++;
          else if (answer.kind === 'servfail') stats.servfail++;
          if (answer.kind === 'bad') violations.push(`${replica} ${mode.kind}: ${answer.why}`);
          if (answer.kind !== 'version') {
            if (handle !== undefined) history.fail(handle, sim.nowMs());
          } else if (handle !== undefined) {
            stats.answers[mode.kind === 'lease' ? 'lease' : 'linearizable']++;
            history.complete(handle, answer.version, sim.nowMs());
          } else if (mode.kind === 'bounded') {
            stats.answers.bounded++;
            // The promise: every write acknowledged more than the bound (plus one delay) before the query is visible.
            const cutoffMs = calledMs - mode.maxStaleMs - DNS_DELAY_MAX_MS;
            const owed = owedBy(name, cutoffMs);
            if (answer.version < owed) {
              violations.push(
                `bounded:${mode.maxStaleMs} answer from ${replica} at ${calledMs} ms for ${name}: v${answer.version}, older than v${owed} acknowledged by ${cutoffMs} ms`,
              );
            }
          }
          await pause(random, 1, 20);
        }
      };

      void setUp();
      for (let i = 0; i < options.writers; i++) void runWriter(i);
      for (let i = 0; i < options.readers; i++) void runReader(i);

      let result = await sim.run({
        maxSteps: runOptions.maxSteps ?? 3_000_000,
        maxVirtualMs: runOptions.maxVirtualMs ?? VIRTUAL_MS,
      });
      let verdict = 'skipped';
      if (result.ok) {
        result = sim.verify(() => {
          const checked = checkLinearizable(dnsRrsetModel(), history.history(), { maxSteps: 2_000_000 });
          verdict = checked.result;
          if (checked.result === 'not-linearizable')
            throw new Error(`DNS answers not linearizable: ${checked.counterexample ?? ''}`);
          if (stats.writesAcked < ACKED_WRITES_MIN)
            throw new Error(
              `no progress: only ${stats.writesAcked} writes acknowledged (want ${ACKED_WRITES_MIN})`,
            );
          const answered = stats.answers.linearizable + stats.answers.lease + stats.answers.bounded;
          if (answered < ANSWERS_MIN)
            throw new Error(`no progress: only ${answered} DNS answers with data (want ${ANSWERS_MIN})`);
        });
      }
      const summary =
        `writes=${stats.writesAcked} unknown=${stats.writesUnknown} answers=${JSON.stringify(stats.answers)} ` +
        `servfail=${stats.servfail} lost=${stats.lost} tcp=${stats.tcp} leaders=${invariants.leadersElected} ` +
        `crashes=${sim.crashes.length} linearizability=${verdict}`;
      return { scenario: options.name, seed, result, summary };
    },
  };
}
