/**
 * The replica's Prometheus metrics (prom-client), in the exposition format at `/metrics`.
 *
 * Nothing here runs inside an actor. Each scrape takes a look at the actors (replica-probe.ts:
 * their status asks, numbers they keep deterministically) and sets the metrics from it;
 * what only the main thread sees (leadership changes from the leadership feed, actor
 * restarts from the supervisor, NATS reconnects, client write latencies) is counted as it
 * happens. Every series carries `cluster`, `region`, `group` and `replica` labels.
 *
 * Naming follows the Prometheus conventions: the `raftns_` prefix, base units
 * (`_seconds`), `_total` on counters, one metric per meaning with labels for its parts.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { AwsLeaseCounters } from '../../../actors/aws-lease/protocol.js';
import type { AwsServingStatus } from '../../../actors/aws-serving/protocol.js';
import type { DnsServerStatus } from '../../../actors/dns/protocol.js';
import { QUERY_TYPE_LABELS, RCODE_LABELS } from '../../../actors/dns/server/dns-traffic.js';
import { RAFT_MESSAGE_DROP_REASONS } from '../../../actors/election/protocol.js';
import type { StateMachineStatus } from '../../../actors/state-machine/protocol.js';
import type { StorageStatus } from '../../../actors/storage/protocol.js';
import type { ElectionRole } from '../../../protocol/election-role.js';
import type { ConnectionTracker, RequestFailureKind } from '../../nats/nats-connection.js';
import type { ActorHealth } from '../../worker/control-api.js';
import type { ClientIntakeStats, WriteOutcome } from '../client-intake.js';
import { CarriedCounters } from './carried-counter.js';
import { ActorHistogramMetric } from './carried-histogram.js';
import type { ReplicaLook } from './replica-probe.js';

const ROLES: readonly ElectionRole[] = ['follower', 'pre-candidate', 'candidate', 'leader'];

/** Client writes: from a millisecond (one fsync on a leader) to the request deadline. */
const WRITE_SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const NATS_REQUEST_FAILURES: readonly RequestFailureKind[] = ['timeout', 'no-responders', 'other'];

const MISNAMED_DEFAULT_METRICS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

export interface ReplicaLabels {
  readonly cluster: string;
  readonly region: string;
  readonly group: string;
  readonly replica: string;
}

/** What the main thread knows besides the actors' own reports. */
export interface MainThreadSources {
  readonly nats?: ConnectionTracker;
  readonly intake?: () => ClientIntakeStats | undefined;
}

export class ReplicaMetrics {
  readonly registry = new Registry();
  private readonly carried = new CarriedCounters();
  private readonly sources: MainThreadSources;

  // ---- Raft
  private readonly term = this.gauge('raftns_raft_term', 'The current Raft term as this replica knows it.');
  private readonly role = this.gauge(
    'raftns_raft_role',
    "This replica's role in its group: 1 for the current role, 0 for the others.",
    ['role'],
  );
  private readonly hasLeader = this.gauge(
    'raftns_raft_has_leader',
    '1 when this replica knows a leader of the current term, else 0.',
  );
  private readonly voters = this.gauge(
    'raftns_raft_voters',
    "The number of voters in the group's configuration.",
  );
  private readonly commitIndex = this.gauge(
    'raftns_raft_commit_index',
    'The highest log index this replica knows committed (absent while it has no leader contact).',
  );
  private readonly appliedIndex = this.gauge(
    'raftns_raft_applied_index',
    'The highest log index the state machine has applied.',
  );
  private readonly leaderContactAge = this.gauge(
    'raftns_raft_leader_contact_age_seconds',
    "Time since this replica's last proof of the leader's commit index (a majority's ack on the leader).",
  );
  private readonly leaderChanges = this.counter(
    'raftns_raft_leader_changes_total',
    'Leadership observations that named another leader or term.',
  );
  private readonly elections = this.counter('raftns_raft_elections_total', 'Elections this replica started.');
  private readonly preVotes = this.counter(
    'raftns_raft_pre_votes_total',
    'Pre-vote rounds this replica started (thesis §9.6).',
  );
  private readonly droppedFrames = this.counter(
    'raftns_raft_dropped_frames_total',
    'Peer frames the election actor dropped (undecodable, or from a stale term).',
  );
  private readonly droppedMessages = this.counter(
    'raftns_raft_dropped_messages_total',
    'Peer messages dropped, by reason (non-member: a sender outside every configuration of the group).',
    ['reason'],
  );
  private readonly snapshotsInstalled = this.counter(
    'raftns_raft_snapshots_installed_total',
    'Snapshots received from a leader and restored (InstallSnapshot, §7).',
  );
  private readonly appendEntries = this.histogram(
    'raftns_raft_append_batch_entries',
    'Log entries per append to storage (on a follower, one AppendEntries batch).',
  );
  private readonly snapshotBytes = this.histogram(
    'raftns_raft_snapshot_size_bytes',
    'Sizes of state machine snapshots, by operation: take (serialised for compaction) or install (received from a leader).',
  );
  private readonly snapshotSeconds = this.histogram(
    'raftns_raft_snapshot_duration_seconds',
    'Time the state machine took to serialise (take) or restore (install) a snapshot.',
  );

  // ---- storage
  private readonly batchSeconds = this.histogram(
    'raftns_storage_batch_duration_seconds',
    'From handing a synced batch (one group commit) to RocksDB to it being durable.',
  );
  private readonly batchBytes = this.histogram(
    'raftns_storage_batch_size_bytes',
    'Bytes (keys and values) per synced batch.',
  );
  private readonly batchEntries = this.histogram(
    'raftns_storage_batch_entries',
    'Log entries per synced batch.',
  );
  private readonly pendingWrites = this.gauge(
    'raftns_storage_pending_writes',
    'Writes waiting for the synced batch in flight.',
  );

  // ---- state machine
  private readonly keys = this.gauge('raftns_state_machine_keys', 'Keys in the state machine.');
  private readonly sessions = this.gauge('raftns_state_machine_sessions', 'Client sessions tracked.');
  private readonly waiting = this.gauge(
    'raftns_state_machine_waiting_requests',
    'Requests waiting in the state machine for their entry to apply or their read index.',
    ['kind'],
  );

  // ---- DNS
  private readonly dnsAppliedIndex = this.gauge(
    'raftns_dns_applied_index',
    "The log index the DNS actor's copy of the zones reflects.",
  );
  private readonly dnsZones = this.gauge('raftns_dns_zones', 'Zones in the DNS copy.');
  private readonly dnsListeners = this.gauge(
    'raftns_dns_listeners',
    'DNS listeners open (UDP and TCP each).',
  );
  private readonly dnsHeld = this.gauge(
    'raftns_dns_read_gate_waiting_queries',
    'Queries the read gate holds until the copy reaches their read index.',
  );
  private readonly dnsTcpConnections = this.gauge('raftns_dns_tcp_connections', 'Open DNS TCP connections.');
  private readonly dnsCacheEntries = this.gauge('raftns_dns_cache_entries', 'Entries in the answer cache.');
  private readonly dnsQueries = this.counter('raftns_dns_queries_total', 'DNS queries received.', [
    'transport',
  ]);
  private readonly dnsAnswers = this.counter('raftns_dns_answers_total', 'DNS answers sent.', ['transport']);
  private readonly dnsDrops = this.counter(
    'raftns_dns_dropped_queries_total',
    'DNS queries given no answer.',
    ['transport'],
  );
  private readonly dnsServed = this.counter(
    'raftns_dns_responses_total',
    'DNS responses by outcome: served from the copy, or SERVFAIL.',
    ['outcome'],
  );
  private readonly dnsServfails = this.counter(
    'raftns_dns_servfails_total',
    'SERVFAIL answers by the read gate reason.',
    ['reason'],
  );
  private readonly dnsGateWaits = this.counter(
    'raftns_dns_read_gate_waits_total',
    'Queries the read gate held before answering (the rest were answered at once).',
  );
  private readonly dnsLeaseReads = this.counter(
    'raftns_dns_lease_reads_total',
    "Queries answered at once from the leader's read lease (thesis §6.4.1).",
  );
  private readonly dnsCache = this.counter('raftns_dns_cache_lookups_total', 'Answer cache lookups.', [
    'result',
  ]);
  private readonly dnsTcpAccepted = this.counter(
    'raftns_dns_tcp_connections_accepted_total',
    'DNS TCP connections accepted.',
  );
  private readonly dnsTransfers = this.counter(
    'raftns_dns_transfers_total',
    'Zone transfers started, by answer: the whole zone (AXFR, or IXFR in AXFR form), IXFR difference sequences (RFC 1995 §4), or the SOA alone (§2).',
    ['answer'],
  );
  private readonly dnsTransferOctets = this.counter(
    'raftns_dns_transfer_octets_total',
    'Octets of zone transfer messages sent (AXFR and IXFR, TSIG included).',
  );
  private readonly dnsTcpRejected = this.counter(
    'raftns_dns_tcp_connections_rejected_total',
    'DNS TCP connections refused at the connection limit.',
  );
  private readonly dnsTcpRejectedPerClient = this.counter(
    'raftns_dns_tcp_connections_rejected_per_client_total',
    "DNS TCP connections refused at one client address's own limit (also in the rejected total).",
  );
  private readonly dnsRateLimited = this.counter(
    'raftns_dns_rrl_limited_total',
    'UDP answers over the response rate limit: slipped (sent truncated, TC=1, empty) or dropped.',
    ['action'],
  );
  private readonly dnsRateLimitEntries = this.gauge(
    'raftns_dns_rrl_entries',
    'Buckets in the response rate limiting table (client prefix and kind of answer).',
  );
  private readonly dnsTcpIdle = this.counter(
    'raftns_dns_tcp_idle_closes_total',
    'DNS TCP connections closed for idleness (RFC 7766 §6.2.3).',
  );
  private readonly dnsSendErrors = this.counter(
    'raftns_dns_send_errors_total',
    'DNS answers the socket could not hand to the kernel, or too large for a TCP frame.',
    ['kind'],
  );
  private readonly dnsQueryTypes = this.counter(
    'raftns_dns_queries_by_type_total',
    'DNS queries by the type of their question (common types; the rest as other).',
    ['type'],
  );
  private readonly dnsRcodes = this.counter(
    'raftns_dns_answers_by_rcode_total',
    "DNS answers by the header's rcode.",
    ['rcode'],
  );
  private readonly dnsResponseBytes = this.histogram(
    'raftns_dns_response_size_bytes',
    'Sizes of DNS answers, by transport.',
  );
  private readonly dnsZoneSyncs = this.counter(
    'raftns_dns_zone_syncs_total',
    'Zone updates from the state machine to the DNS copy, by kind.',
    ['kind'],
  );

  // ---- actors and supervision
  private readonly actorUp = this.gauge(
    'raftns_actor_up',
    'Whether the actor answered the last status ask within its deadline.',
    ['actor'],
  );
  private readonly restarts = this.counter(
    'raftns_actor_restarts_total',
    'Actors restarted by the supervisor after a crash.',
    ['actor'],
  );
  private readonly mailboxMessages = this.gauge(
    'raftns_actor_mailbox_messages',
    "Messages waiting in the actor's mailbox.",
    ['actor'],
  );
  private readonly creditsInUse = this.gauge(
    'raftns_actor_credits_in_use',
    'Messages the actor sent that their receivers have not consumed yet (each holds a credit).',
    ['actor'],
  );
  private readonly creditsAvailable = this.gauge(
    'raftns_actor_credits_available',
    "More messages the receivers' mailboxes would take from the actor now, over all its links.",
    ['actor'],
  );
  private readonly actorRequests = this.gauge(
    'raftns_actor_requests_in_flight',
    "The actor's requests to other actors awaiting their answer.",
    ['actor'],
  );
  private readonly escalations = this.counter(
    'raftns_actor_escalations_total',
    'Actors that exhausted their restart budget (the process then exits).',
  );

  // ---- NATS and clients
  private readonly natsConnected = this.gauge(
    'raftns_nats_connected',
    "Whether the process's client connection to NATS is up.",
  );
  private readonly natsReconnects = this.counter('raftns_nats_reconnects_total', 'Reconnections to NATS.');
  private readonly natsDisconnects = this.counter(
    'raftns_nats_disconnects_total',
    'Disconnections from NATS.',
  );
  private readonly natsRequestErrors = this.counter(
    'raftns_nats_request_errors_total',
    "Failed requests on the process's NATS connection (JetStream KV included), by kind.",
    ['kind'],
  );
  private readonly clientRequests = this.counter(
    'raftns_client_requests_total',
    'Client requests received over NATS.',
  );
  private readonly clientErrors = this.counter(
    'raftns_client_request_errors_total',
    'Client requests that failed in the intake, by kind.',
    ['kind'],
  );
  private readonly clientInFlight = this.gauge(
    'raftns_client_requests_in_flight',
    'Client requests being served.',
  );
  private readonly writeDuration = new Histogram({
    name: 'raftns_client_write_duration_seconds',
    help: 'From a client write reaching the intake to its outcome (applied: proposed, committed and applied).',
    labelNames: ['outcome'],
    buckets: WRITE_SECONDS_BUCKETS,
    registers: [this.registry],
  });

  // ---- AWS lease
  private readonly awsActions = this.counter(
    'raftns_aws_lease_actions_total',
    'Target-group calls of the AWS-lease actor, by action and outcome.',
    ['action', 'outcome'],
  );

  // ---- AWS serving
  private readonly awsServingActions = this.counter(
    'raftns_aws_serving_actions_total',
    "Calls of the AWS-serving actor on the replica's own DNS target, by action and outcome.",
    ['action', 'outcome'],
  );
  private readonly awsServingRegistered = new Gauge({
    name: 'raftns_aws_serving_registered',
    help: 'Whether the replica is in its DNS target group as far as it knows (1), out (0), or unknown (-1).',
    registers: [this.registry],
  });

  constructor(labels: ReplicaLabels, sources: MainThreadSources) {
    this.sources = sources;
    this.registry.setDefaultLabels({ ...labels });
    collectDefaultMetrics({ register: this.registry });
    // prom-client names these gauges `_total`, which the conventions reserve for counters
    // (`promtool check metrics` rejects them); `nodejs_active_*` without it remain.
    for (const name of MISNAMED_DEFAULT_METRICS) this.registry.removeSingleMetric(name);
  }

  /** Counts a change of leader or term seen on the leadership feed. */
  leaderChanged(): void {
    this.leaderChanges.inc();
  }

  actorRestarted(actor: string): void {
    this.restarts.inc({ actor });
  }

  escalated(): void {
    this.escalations.inc();
  }

  /** A client write's outcome and how long it took. */
  writeFinished(outcome: WriteOutcome, seconds: number): void {
    this.writeDuration.observe({ outcome }, seconds);
  }

  /** The exposition text with every metric set from `look`. */
  async exposition(look: ReplicaLook): Promise<string> {
    this.update(look);
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private update(look: ReplicaLook): void {
    this.actorUp.set({ actor: 'election' }, look.election.answered ? 1 : 0);
    this.actorUp.set({ actor: 'log' }, look.contact.answered ? 1 : 0);
    this.actorUp.set({ actor: 'state-machine' }, look.machine.answered ? 1 : 0);
    if (look.dns !== undefined) this.actorUp.set({ actor: 'dns' }, look.dns.answered ? 1 : 0);
    if (look.awsLease !== undefined) this.actorUp.set({ actor: 'aws-lease' }, look.awsLease.answered ? 1 : 0);
    if (look.awsServing !== undefined)
      this.actorUp.set({ actor: 'aws-serving' }, look.awsServing.answered ? 1 : 0);

    if (look.election.answered) {
      const e = look.election.value;
      this.term.set(e.term);
      for (const role of ROLES) this.role.set({ role }, role === e.role ? 1 : 0);
      this.hasLeader.set(e.leaderId === null ? 0 : 1);
      this.voters.set(e.voters.length);
      this.carry(this.elections, 'elections', e.elections);
      this.carry(this.preVotes, 'preVotes', e.preVotes);
      this.carry(this.droppedFrames, 'framesDropped', e.framesDropped);
      for (const reason of RAFT_MESSAGE_DROP_REASONS)
        this.carry(this.droppedMessages, `messagesDropped.${reason}`, e.messagesDropped[reason], { reason });
    }
    if (look.contact.answered && look.contact.value.ok) {
      this.commitIndex.set(look.contact.value.commitIndex);
      this.leaderContactAge.set(look.contact.value.ageMs / 1000);
    } else {
      this.commitIndex.reset();
      this.leaderContactAge.reset();
    }
    if (look.machine.answered) {
      const m = look.machine.value;
      this.appliedIndex.set(m.appliedIndex);
      this.keys.set(m.keys);
      this.sessions.set(m.sessions);
      this.waiting.set({ kind: 'write' }, m.waitingWrites);
      this.waiting.set({ kind: 'read' }, m.waitingReads);
      this.carry(this.snapshotsInstalled, 'snapshotsInstalled', m.snapshotsInstalled);
      this.updateSnapshots(m);
    }
    this.actorUp.set({ actor: 'storage' }, look.storage.answered ? 1 : 0);
    if (look.storage.answered) this.updateStorage(look.storage.value);
    this.updateActors(look.actors);
    if (look.dns?.answered === true) this.updateDns(look.dns.value);
    if (look.awsLease?.answered === true) this.updateAwsLease(look.awsLease.value.counters);
    if (look.awsServing?.answered === true) this.updateAwsServing(look.awsServing.value);
    this.updateMainThread();
  }

  private updateDns(status: DnsServerStatus): void {
    const c = (name: string) => status.counters[name] ?? 0;
    this.dnsAppliedIndex.set(status.appliedIndex);
    this.dnsZones.set(status.zones);
    this.dnsListeners.set(status.listeners.length);
    this.dnsHeld.set(status.heldQueries);
    this.dnsTcpConnections.set(c('tcp.connections'));
    this.dnsCacheEntries.set(c('cache.entries'));
    for (const transport of ['udp', 'tcp'] as const) {
      this.carry(this.dnsQueries, `${transport}.queries`, c(`${transport}.queries`), { transport });
      this.carry(this.dnsAnswers, `${transport}.answers`, c(`${transport}.answers`), { transport });
      this.carry(this.dnsDrops, `${transport}.drops`, c(`${transport}.drops`), { transport });
    }
    this.carry(this.dnsServed, 'served', c('served'), { outcome: 'served' });
    this.carry(this.dnsServed, 'servfail', c('servfail'), { outcome: 'servfail' });
    for (const reason of ['stale', 'not-leader', 'overloaded', 'timeout'])
      this.carry(this.dnsServfails, `servfail.${reason}`, c(`servfail.${reason}`), { reason });
    this.carry(this.dnsGateWaits, 'held', c('held'));
    this.carry(this.dnsLeaseReads, 'leaseBoardReads', c('leaseBoardReads'));
    this.carry(this.dnsCache, 'cache.hits', c('cache.hits'), { result: 'hit' });
    this.carry(this.dnsCache, 'cache.misses', c('cache.misses'), { result: 'miss' });
    this.carry(this.dnsTcpAccepted, 'tcp.connectionsAccepted', c('tcp.connectionsAccepted'));
    this.carry(this.dnsTcpRejected, 'tcp.connectionsRejected', c('tcp.connectionsRejected'));
    this.carry(this.dnsTcpIdle, 'tcp.idleCloses', c('tcp.idleCloses'));
    this.carry(
      this.dnsTcpRejectedPerClient,
      'tcp.connectionsRejectedPerClient',
      c('tcp.connectionsRejectedPerClient'),
    );
    this.carry(this.dnsRateLimited, 'rrl.slipped', c('rrl.slipped'), { action: 'slip' });
    this.carry(this.dnsRateLimited, 'rrl.dropped', c('rrl.dropped'), { action: 'drop' });
    this.dnsRateLimitEntries.set(c('rrl.entries'));
    this.carry(this.dnsSendErrors, 'socket.sendErrors', c('socket.sendErrors'), { kind: 'send' });
    this.carry(this.dnsSendErrors, 'socket.oversizeDrops', c('socket.oversizeDrops'), { kind: 'oversize' });
    const incremental = c('transfer.incremental');
    this.carry(this.dnsTransfers, 'transfer.full', c('transfer.started') - incremental, { answer: 'full' });
    this.carry(this.dnsTransfers, 'transfer.incremental', incremental, { answer: 'incremental' });
    this.carry(this.dnsTransfers, 'transfer.soaOnly', c('transfer.soaOnly'), { answer: 'soa-only' });
    this.carry(this.dnsTransferOctets, 'transfer.octets', c('transfer.octets'));
    this.carry(this.dnsZoneSyncs, 'syncs', c('syncs'), { kind: 'sync' });
    this.carry(this.dnsZoneSyncs, 'dumps', c('dumps'), { kind: 'dump' });
    const traffic = status.traffic;
    for (const [slot, type] of QUERY_TYPE_LABELS.entries())
      this.carry(this.dnsQueryTypes, `type.${type}`, traffic.queryTypes[slot] ?? 0, { type });
    for (const [slot, rcode] of RCODE_LABELS.entries())
      this.carry(this.dnsRcodes, `rcode.${rcode}`, traffic.rcodes[slot] ?? 0, { rcode });
    this.dnsResponseBytes.advance(traffic.udpResponseBytes, { transport: 'udp' });
    this.dnsResponseBytes.advance(traffic.tcpResponseBytes, { transport: 'tcp' });
  }

  private updateSnapshots(m: StateMachineStatus): void {
    this.snapshotBytes.advance(m.snapshotsTaken.bytes, { operation: 'take' });
    this.snapshotSeconds.advance(m.snapshotsTaken.seconds, { operation: 'take' });
    this.snapshotBytes.advance(m.snapshotsRestored.bytes, { operation: 'install' });
    this.snapshotSeconds.advance(m.snapshotsRestored.seconds, { operation: 'install' });
  }

  private updateStorage(s: StorageStatus): void {
    this.appendEntries.advance(s.appendEntries);
    this.batchSeconds.advance(s.batchSeconds);
    this.batchBytes.advance(s.batchBytes);
    this.batchEntries.advance(s.batchEntries);
    this.pendingWrites.set(s.pendingWrites);
  }

  /** Gauges of the actors that answered; one that did not has no value rather than a stale one. */
  private updateActors(actors: readonly ActorHealth[]): void {
    this.mailboxMessages.reset();
    this.creditsInUse.reset();
    this.creditsAvailable.reset();
    this.actorRequests.reset();
    for (const health of actors) {
      const actor = { actor: health.name };
      this.mailboxMessages.set(actor, health.queued);
      this.creditsInUse.set(actor, health.creditsInUse);
      this.creditsAvailable.set(actor, health.creditsAvailable);
      this.actorRequests.set(actor, health.requestsInFlight);
    }
  }

  private updateAwsLease(counters: AwsLeaseCounters): void {
    for (const [action, calls] of Object.entries(counters.calls)) {
      for (const [outcome, value] of Object.entries(calls)) {
        this.carry(this.awsActions, `aws.${action}.${outcome}`, value, { action, outcome });
      }
    }
  }

  private updateAwsServing(status: AwsServingStatus): void {
    for (const [action, calls] of Object.entries(status.counters.calls)) {
      for (const [outcome, value] of Object.entries(calls)) {
        this.carry(this.awsServingActions, `awsServing.${action}.${outcome}`, value, { action, outcome });
      }
    }
    this.awsServingRegistered.set(status.registered === null ? -1 : status.registered ? 1 : 0);
  }

  private updateMainThread(): void {
    const nats = this.sources.nats;
    if (nats !== undefined) {
      this.natsConnected.set(nats.connected ? 1 : 0);
      this.carry(this.natsReconnects, 'nats.reconnects', nats.reconnects);
      this.carry(this.natsDisconnects, 'nats.disconnects', nats.disconnects);
      for (const kind of NATS_REQUEST_FAILURES)
        this.carry(this.natsRequestErrors, `nats.requestFailures.${kind}`, nats.requestFailures[kind], {
          kind,
        });
    }
    const intake = this.sources.intake?.();
    if (intake !== undefined) {
      this.clientInFlight.set(intake.inFlight);
      this.carry(this.clientRequests, 'intake.requests', intake.requests);
      this.carry(this.clientErrors, 'intake.malformed', intake.malformed, { kind: 'malformed' });
      this.carry(this.clientErrors, 'intake.overloaded', intake.overloaded, { kind: 'overloaded' });
      this.carry(this.clientErrors, 'intake.internalErrors', intake.internalErrors, { kind: 'internal' });
      this.carry(this.clientErrors, 'intake.replyFailures', intake.replyFailures, { kind: 'reply' });
      this.carry(this.clientErrors, 'intake.wrongSubject', intake.wrongSubject, { kind: 'wrong-subject' });
    }
  }

  private carry<L extends string>(
    counter: Counter<L>,
    key: string,
    reading: number,
    labels?: Partial<Record<L, string>>,
  ): void {
    const increment = this.carried.advance(key, reading);
    if (increment > 0) {
      if (labels === undefined) counter.inc(increment);
      else counter.inc(labels, increment);
    } else if (labels !== undefined) {
      // Present from the first scrape, at 0, so `rate` sees its start.
      counter.inc(labels, 0);
    }
  }

  private gauge<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []) {
    return new Gauge<L>({ name, help, labelNames, registers: [this.registry] });
  }

  private histogram(name: string, help: string): ActorHistogramMetric {
    return new ActorHistogramMetric(name, help, this.registry);
  }

  private counter<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []) {
    return new Counter<L>({ name, help, labelNames, registers: [this.registry] });
  }
}
