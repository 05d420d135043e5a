/**
 * Limits both sides of a wire must agree on: the client and the replica's intake, one
 * replica and its peers, a DNS server and a resolver, the plan's writer and its readers.
 * Each is named once, here, with its reason. Tuning knobs internal to one actor stay with
 * that actor.
 */

// ---------------------------------------------------------------------------------------
// Cluster shape

/**
 * Largest Raft group (voters per group per region): 7. Every commit waits for a majority,
 * so each voter past the few needed for fault tolerance only adds commit latency and
 * leader fan-out; 7 voters survive 3 failures, and etcd's operations guide recommends no
 * more than 7 members for the same reason. The plan (`replicasPerGroup`) and a replica's
 * `--peers` share this bound, so a group configured by hand cannot outgrow what the plan
 * could describe.
 */
export const GROUP_VOTERS_MAX = 7;

/** Regions in a cluster plan: each region holds every group, so the cost grows with both. */
export const REGIONS_MAX = 16;

/** Nameserver groups in a cluster plan (one zone each). */
export const GROUPS_MAX = 256;

/**
 * Characters in a cluster, region, group or instance name. Names are NATS subject tokens
 * (at most SUBJECT_TOKEN_BYTES_MAX) and several join into one subject or KV key, so they
 * are kept well below a token's own bound.
 */
export const NAME_CHARS_MAX = 64;

// ---------------------------------------------------------------------------------------
// The client wire and the group command codec

/** Changes in one DNS batch (protocol/dns/changes.ts), which one log entry carries. */
export const BATCH_CHANGES_MAX = 256;

/** Largest client request a replica reads: a VALUE_BYTES_MAX value with room for JSON escaping. */
export const REQUEST_BYTES_MAX = 256 * 1024;

/** Bytes (UTF-8) of a client session id: a random id with room for a readable prefix. */
export const CLIENT_ID_BYTES_MAX = 128;

/** Bytes (UTF-8) of a key: keys are held in memory, in every snapshot and in every range page. */
export const KEY_BYTES_MAX = 1024;

/** Bytes (UTF-8) of a value: large enough for a serialized zone record set, small enough for one NATS message. */
export const VALUE_BYTES_MAX = 64 * 1024;

/** Bytes of one DNS batch's JSON in a log entry: a batch arrives in one client request. */
export const DNS_BATCH_BYTES_MAX = REQUEST_BYTES_MAX;

/**
 * RRsets in one `dns-zone-page` read: a page of ordinary records stays far below NATS's
 * default max_payload (1 MiB); the intake cuts a page of large RRsets shorter.
 */
export const ZONE_PAGE_RRSETS_MAX = 2_000;

/** Keys in one `range` page: keeps one read's work and one reply bounded. */
export const RANGE_KEYS_MAX = 10_000;

/**
 * Largest staleness a `bounded:<ms>` read may allow: one hour. A policy bound, not a
 * measured one: past an hour a bounded read no longer bounds anything an operator would
 * rely on, and a larger number is far more likely a unit mistake than an intent.
 */
export const BOUNDED_STALENESS_MS_MAX = 3_600_000;

// ---------------------------------------------------------------------------------------
// Between replicas

/**
 * Largest Raft peer frame (encoded message), before the NATS server's `max_payload` lowers
 * it further: both the codec that builds frames and the transport that carries them
 * refuse anything larger, so a snapshot is sent in chunks below it.
 */
export const PEER_FRAME_BYTES_MAX = 4 * 1024 * 1024;

// ---------------------------------------------------------------------------------------
// DNS

/** Largest TTL a record may carry: RFC 2181 §8 (a 31-bit unsigned value). */
export const TTL_SECONDS_MAX = 0x7fffffff;

/** Largest DNS message: RFC 1035 §4.2.2 (TCP frames it with a two-octet length). */
export const DNS_MESSAGE_BYTES_MAX = 0xffff;

/**
 * The EDNS UDP payload size offered and honoured by default: 1232 octets (DNS Flag Day
 * 2020), the largest that fits an IPv6 packet within the minimum MTU of 1280 without
 * fragmentation (RFC 8200 §5).
 */
export const EDNS_UDP_PAYLOAD_BYTES_DEFAULT = 1232;

/**
 * Zones one group serves at most (its store refuses more; the zone directory refuses to
 * assign more): a group lists its zones in one reply (`dns-zones`, about 50 bytes a zone),
 * which must stay under NATS's default max_payload of 1 MiB.
 */
export const GROUP_ZONES_MAX = 12_000;

/**
 * Versions of a zone's change history kept for IXFR (RFC 1995): 64 committed batches. A
 * secondary further behind than that gets the whole zone in AXFR form (RFC 1995 §4), which
 * it would need anyway after that many changes; secondaries told by NOTIFY (RFC 1996) are
 * rarely more than a few versions behind.
 */
export const ZONE_HISTORY_VERSIONS_MAX = 64;

/**
 * Bytes of a zone's change history (owner text, 10 octets of type/class/TTL/length and the
 * RDATA of every removed and added record, the two SOAs of each version included): 256 KiB,
 * the size of one client request. The history lives in every replica's state and in every
 * snapshot, so with `zonesMax` zones it is bounded by this times the zone count; one batch
 * whose difference alone is larger (a zone import) leaves the zone with no history, and
 * IXFR from before it is answered in AXFR form.
 */
export const ZONE_HISTORY_BYTES_MAX = 256 * 1024;
