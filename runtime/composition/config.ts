/**
 * The replica process configuration: where it comes from, and what is valid.
 *
 * Sources, highest precedence first: command-line flags, environment variables
 * (`RAFTNS_*`), a JSON config file (`--config` or `RAFTNS_CONFIG`), defaults. Each value is
 * validated where it comes from, so an error names its source and field:
 *
 *   --dns "x": expected host:port[@mode], such as 127.0.0.1:53, [::1]:53 or ...
 *   RAFTNS_NATS_URLS "http://a": expected a nats:// or tls:// URL ...
 *   config file /etc/raftns.json: nats.urls: expected an array, got string
 *
 * `loadConfig` is pure apart from reading the config file: it never exits and never reads
 * `process.env` itself.
 */

import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import {
  DEFAULT_RATE_LIMIT,
  RATE_LIMIT_RESPONSES_PER_SECOND_MAX,
  RATE_LIMIT_SLIP_MAX,
} from '../../actors/dns/server/response-rate-limit.js';
import { DEFAULT_TCP_LIMITS } from '../../actors/dns/server/tcp-connections.js';
import { GROUP_VOTERS_MAX, NAME_CHARS_MAX } from '../../protocol/limits.js';
import { isReadModeText, READ_MODE_EXPECTED, type ReadModeText } from '../../protocol/read-mode.js';
import { parseThreadPlan } from '../worker/thread-plan.js';

// ---------------------------------------------------------------------------------------
// The configuration

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface ReplicaConfig {
  /** Cluster name; a NATS subject token (`raftns.<cluster>.<region>...`). */
  readonly cluster: string;
  /** Region name; a NATS subject token. */
  readonly region: string;
  /** This replica's identity, stable across restarts; a NATS subject token. */
  readonly instanceId: string;
  /** The Raft group this replica belongs to; a NATS subject token (`raftns.<cluster>.<region>.<group>...`). */
  readonly group: string;
  /**
   * The group's replicas (instance ids), this one included: the voters a brand-new group
   * starts with. Defaults to `[instanceId]`, a single-replica group. Every replica of a
   * group must be given the same list.
   */
  readonly peers: readonly string[];
  /** Directory of the replica's durable state (RocksDB). */
  readonly dataDir: string;
  /**
   * Bootstrap mode: read the cluster plan from NATS KV, register, claim a slot and take the
   * slot's group and its holders as `group` and `peers` (bootstrap/bootstrap-process.ts).
   * `group` and `peers` must then not be configured; until the claim they hold their defaults.
   */
  readonly bootstrap: boolean;
  readonly nats: {
    /** Client URLs of the NATS cluster (nats:// or tls://), at least one. */
    readonly urls: readonly string[];
    /** NATS credentials file, if the servers require one. */
    readonly credsFile?: string;
  };
  readonly dns: {
    /** Addresses of the DNS listeners (UDP and TCP), as host:port[@mode] (see `parseDnsListener`). */
    readonly listen: readonly string[];
    /**
     * The IP addresses other servers are told (glue records, the bootstrap registration).
     * Defaults to the host of the first listener when that is an IP address other than
     * 0.0.0.0 or ::; otherwise absent, which bootstrap mode refuses.
     */
    readonly advertise?: readonly string[];
    /**
     * Response rate limiting of UDP answers (actors/dns/server/response-rate-limit.ts):
     * answers per second per client prefix and kind of answer; 0 turns it off.
     */
    readonly rrlResponsesPerSecond: number;
    /** Every `rrlSlip`-th rate-limited answer is sent truncated (TC=1) instead of dropped; 0: none. */
    readonly rrlSlip: number;
    /** Open TCP connections one client address may hold (the listener's total is bounded too). */
    readonly tcpMaxConnectionsPerClient: number;
  };
  /**
   * How this replica's DNS listeners answer (a listener may override it; see
   * protocol/read-mode.ts). The default is `lease`: reads that include every write
   * acknowledged before them (given the clock-drift bound the lease assumes), at the cost
   * of one message to the log actor per batch of queries on the leader.
   */
  readonly readMode: ReadModeText;
  /** Raft tunables an operator may override (actors/raft/raft-config.ts has the rest). */
  readonly raft: {
    /** One Raft tick; heartbeat (5 ticks) and election timeout (15–30 ticks) scale with it. */
    readonly tickMs: number;
    /** Snapshot and compact the log once this many applied entries follow the last snapshot. */
    readonly snapshotThresholdEntries: number;
  };
  readonly log: { readonly level: LogLevel };
  /**
   * Which actors share a worker thread (runtime/worker/thread-plan.ts): groups separated
   * by `|`, actors in a group joined by `+`; an actor not named runs alone;
   * `one-per-thread` puts every actor alone. The default is `DEFAULT_PLACEMENT`.
   */
  readonly placement: string;
  /**
   * The HTTP listener for `/metrics`, `/livez` and `/readyz` (runtime/composition/http/),
   * as host:port (port 0 picks a free one). Absent unless set: off by default.
   */
  readonly http?: { readonly listen: string };
  readonly shutdown: {
    /** How long a graceful shutdown may drain in-flight work before it is cut short. */
    readonly drainTimeoutMs: number;
  };
  /** Anti-entropy between regions (runtime/composition/region-repair.ts), run by the group's leader. */
  readonly regionRepair: {
    /** Between the end of one comparison with every other region and the start of the next. */
    readonly periodMs: number;
    /**
     * A tombstone younger than this (by its version's clock) is never collected; the two
     * observations that must both find every region holding it are min(this, 60 s) apart.
     */
    readonly tombstoneHorizonMs: number;
  };
  /** Actor restart budget and backoff (see runtime/supervisor/restart-policy.ts). */
  readonly supervision: {
    readonly maxRestarts: number;
    readonly windowMs: number;
    readonly backoffBaseMs: number;
    readonly backoffMaxMs: number;
  };
  /**
   * The group's AWS load-balancer target group, kept pointing at the group's leader only by
   * the AWS-lease actor (actors/aws-lease/). Present only when `targetGroupArn` is set.
   */
  readonly aws?: AwsConfig;
  /**
   * Bootstrap mode on AWS: the target group comes from the `aws` record in NATS KV, and
   * only the endpoint may be given (another endpoint than AWS's: tests).
   */
  readonly awsEndpoint?: string;
}

export interface AwsConfig {
  /**
   * The ELBv2 target group (target type `ip`) of the group's Network Load Balancer that
   * holds the leader only (the AWS-lease actor): with `servingTargetGroupArn`, the one
   * behind the writes listener; without, the one behind the DNS listener itself.
   */
  readonly targetGroupArn: string;
  /**
   * The DNS target group that holds every replica able to serve, each registering itself
   * (the AWS-serving actor, actors/aws-serving/).
   */
  readonly servingTargetGroupArn?: string;
  /** Defaults to the region named in the ARN. */
  readonly region: string;
  /** Another endpoint than AWS's (tests). */
  readonly endpoint?: string;
  /** The IP address this replica registers as; defaults to the first `dns.advertise` address. */
  readonly targetAddress: string;
  /** The port it registers with (the NLB forwards DNS to it); default 53. */
  readonly targetPort: number;
  /** How often the leader describes the target group and repairs drift. */
  readonly reconcileMs: number;
}

export type ConfigResult =
  | { readonly ok: true; readonly config: ReplicaConfig }
  | { readonly ok: false; readonly errors: readonly string[] };

export interface LoadConfigInput {
  /** Command-line arguments after the script name (`process.argv.slice(2)`). */
  readonly argv: readonly string[];
  /** The environment (`process.env`). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

// ---------------------------------------------------------------------------------------
// Validation of single values

const NAME_RE = new RegExp(`^[A-Za-z0-9_-]{1,${NAME_CHARS_MAX}}$`);
const HOSTNAME_RE =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const NATS_URLS_MAX = 32;
const DNS_LISTENERS_MAX = 16;

function isNatsUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return (url.protocol === 'nats:' || url.protocol === 'tls:') && url.hostname !== '';
}

/** Splits `host:port` or `[v6]:port`; undefined when malformed. Port 0 means "any free port". */
export function parseHostPort(value: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):([0-9]{1,5})$/.exec(value);
  if (match === null) return undefined;
  const v6 = match[1];
  const host = v6 ?? match[2] ?? '';
  const port = Number(match[3]);
  if (port > 65_535) return undefined;
  if (v6 !== undefined) return isIP(v6) === 6 ? { host: v6, port } : undefined;
  return isIP(host) === 4 || HOSTNAME_RE.test(host) ? { host, port } : undefined;
}

/**
 * A DNS listener: `host:port`, optionally `@<read mode>` to override the replica's
 * `readMode` for this listener only, such as `127.0.0.1:5353@bounded:2000`.
 */
export interface DnsListenerSpec {
  readonly host: string;
  readonly port: number;
  readonly mode?: ReadModeText;
}

export function parseDnsListener(value: string): DnsListenerSpec | undefined {
  const at = value.lastIndexOf('@');
  const address = parseHostPort(at < 0 ? value : value.slice(0, at));
  if (address === undefined) return undefined;
  if (at < 0) return address;
  const mode = value.slice(at + 1);
  return isReadModeText(mode) ? { ...address, mode } : undefined;
}

const nameSchema = z.string().regex(NAME_RE, `expected 1-${NAME_CHARS_MAX} letters, digits, "-" or "_"`);
const pathSchema = z.string().min(1, 'expected a non-empty path');
const natsUrlSchema = z
  .string()
  .refine(isNatsUrl, 'expected a nats:// or tls:// URL, such as nats://127.0.0.1:4222');
const dnsListenerSchema = z
  .string()
  .refine(
    (v) => parseDnsListener(v) !== undefined,
    'expected host:port[@mode], such as 127.0.0.1:53, [::1]:53 or 127.0.0.1:5353@bounded:2000',
  );
const hostPortSchema = z
  .string()
  .refine((v) => parseHostPort(v) !== undefined, 'expected host:port, such as 127.0.0.1:9153 or [::1]:9153');
const readModeSchema = z.custom<ReadModeText>(isReadModeText, READ_MODE_EXPECTED);

/** The actors a replica may run (runtime/composition/replica-plan.ts), which a placement may name. */
export const REPLICA_ACTOR_NAMES = [
  'identity',
  'storage',
  'log',
  'state-machine',
  'election',
  'dns',
  'aws-lease',
  'aws-serving',
] as const;
/**
 * Which actors share a thread unless configured otherwise, chosen by measurement
 * (docs/ARCHITECTURE.md §2, "Which actors share a thread"): identity and the Raft actors
 * on one thread (RocksDB's fsync runs on libuv's pool, not on it), the DNS actor alone
 * (it parses untrusted input, and a query flood must not delay heartbeats), the AWS
 * actors together (they load the AWS SDK once).
 */
export const DEFAULT_PLACEMENT = 'identity+storage+election+log+state-machine | dns | aws-lease+aws-serving';
const placementSchema = z.string().superRefine((text, context) => {
  const parsed = parseThreadPlan(text);
  if (!parsed.ok) {
    context.addIssue({
      code: 'custom',
      message: `expected a placement such as ${DEFAULT_PLACEMENT}: ${parsed.error}`,
    });
    return;
  }
  const known: readonly string[] = REPLICA_ACTOR_NAMES;
  for (const name of parsed.plan.groups.flat())
    if (!known.includes(name))
      context.addIssue({ code: 'custom', message: `unknown actor ${name}; actors are ${known.join(', ')}` });
});
const logLevelSchema = z.enum(LOG_LEVELS, `expected one of ${LOG_LEVELS.join(', ')}`);
const peersSchema = z
  .array(nameSchema, 'expected an array of instance ids')
  .min(1, 'expected at least one instance id')
  .max(GROUP_VOTERS_MAX, `expected at most ${GROUP_VOTERS_MAX} instance ids`)
  .refine((ids) => new Set(ids).size === ids.length, 'expected distinct instance ids');

function ipSchema() {
  return z
    .string()
    .refine(
      (v) => isIP(v) !== 0 && !isWildcard(v),
      'expected an IP address other than 0.0.0.0 or ::, such as 192.0.2.1',
    );
}

/** `arn:<partition>:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<id>`. */
const TARGET_GROUP_ARN_RE = /^arn:[a-z0-9-]+:elasticloadbalancing:([a-z0-9-]*):[0-9]*:targetgroup\/[^\s]+$/;
const AWS_REGION_RE = /^[a-z]{2}(?:-[a-z]+)+-[0-9]+$/;

/** The region an ELBv2 ARN names, if any. */
export function regionOfArn(arn: string): string | undefined {
  const region = TARGET_GROUP_ARN_RE.exec(arn)?.[1];
  return region === undefined || region === '' ? undefined : region;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

function isWildcard(ip: string): boolean {
  return ip === '0.0.0.0' || (isIP(ip) === 6 && /^[0:]+$/.test(ip));
}

function intSchema(min: number, max: number) {
  const message = `expected an integer from ${min} to ${max}`;
  return z.number(message).int(message).min(min, message).max(max, message);
}

/**
 * Every configurable value: its place in the config, its flag and environment variable
 * (if any), how to read it from text, its schema and its default.
 */
interface FieldSpec {
  readonly path: readonly [string] | readonly [string, string];
  readonly flag?: string;
  readonly env: string;
  readonly text: 'string' | 'list' | 'int' | 'bool';
  readonly schema: z.ZodType;
  /** The default; a field with none must be set unless it is `optional`. */
  readonly fallback?: unknown;
  readonly optional?: true;
}

const FIELDS: readonly FieldSpec[] = [
  {
    path: ['cluster'],
    flag: 'cluster',
    env: 'RAFTNS_CLUSTER',
    text: 'string',
    schema: nameSchema,
    fallback: 'local',
  },
  {
    path: ['region'],
    flag: 'region',
    env: 'RAFTNS_REGION',
    text: 'string',
    schema: nameSchema,
    fallback: 'local',
  },
  {
    path: ['instanceId'],
    flag: 'instance-id',
    env: 'RAFTNS_INSTANCE_ID',
    text: 'string',
    schema: nameSchema,
  },
  { path: ['dataDir'], flag: 'data-dir', env: 'RAFTNS_DATA_DIR', text: 'string', schema: pathSchema },
  {
    // A flag without a value; the environment takes 1/0/true/false.
    path: ['bootstrap'],
    flag: 'bootstrap',
    env: 'RAFTNS_BOOTSTRAP',
    text: 'bool',
    schema: z.boolean('expected true or false'),
    fallback: false,
  },
  {
    path: ['group'],
    flag: 'group',
    env: 'RAFTNS_GROUP',
    text: 'string',
    schema: nameSchema,
    fallback: 'g1',
  },
  {
    // Defaults to [instanceId] once the sources are merged (see loadConfig).
    path: ['peers'],
    flag: 'peers',
    env: 'RAFTNS_PEERS',
    text: 'list',
    schema: peersSchema,
    optional: true,
  },
  {
    path: ['nats', 'urls'],
    flag: 'nats',
    env: 'RAFTNS_NATS_URLS',
    text: 'list',
    schema: z
      .array(natsUrlSchema, 'expected an array of URLs')
      .min(1, 'expected at least one URL')
      .max(NATS_URLS_MAX, `expected at most ${NATS_URLS_MAX} URLs`),
    fallback: ['nats://127.0.0.1:4222'],
  },
  {
    path: ['nats', 'credsFile'],
    flag: 'nats-creds',
    env: 'RAFTNS_NATS_CREDS',
    text: 'string',
    schema: pathSchema,
    optional: true,
  },
  {
    path: ['dns', 'listen'],
    flag: 'dns',
    env: 'RAFTNS_DNS_LISTEN',
    text: 'list',
    schema: z
      .array(dnsListenerSchema, 'expected an array of host:port[@mode] strings')
      .min(1, 'expected at least one host:port')
      .max(DNS_LISTENERS_MAX, `expected at most ${DNS_LISTENERS_MAX} listeners`),
    fallback: ['127.0.0.1:5300'],
  },
  {
    // Defaults to the first listener's host (see loadConfig).
    path: ['dns', 'advertise'],
    flag: 'dns-advertise',
    env: 'RAFTNS_DNS_ADVERTISE',
    text: 'list',
    schema: z
      .array(ipSchema(), 'expected an array of IP addresses')
      .min(1, 'expected at least one IP address')
      .max(DNS_LISTENERS_MAX, `expected at most ${DNS_LISTENERS_MAX} addresses`),
    optional: true,
  },
  {
    path: ['dns', 'rrlResponsesPerSecond'],
    flag: 'dns-rrl-rate',
    env: 'RAFTNS_DNS_RRL_RATE',
    text: 'int',
    schema: intSchema(0, RATE_LIMIT_RESPONSES_PER_SECOND_MAX),
    fallback: DEFAULT_RATE_LIMIT.responsesPerSecond,
  },
  {
    path: ['dns', 'rrlSlip'],
    flag: 'dns-rrl-slip',
    env: 'RAFTNS_DNS_RRL_SLIP',
    text: 'int',
    schema: intSchema(0, RATE_LIMIT_SLIP_MAX),
    fallback: DEFAULT_RATE_LIMIT.slip,
  },
  {
    path: ['dns', 'tcpMaxConnectionsPerClient'],
    flag: 'dns-tcp-per-client',
    env: 'RAFTNS_DNS_TCP_PER_CLIENT',
    text: 'int',
    schema: intSchema(1, DEFAULT_TCP_LIMITS.maxConnections),
    fallback: DEFAULT_TCP_LIMITS.maxConnectionsPerClient,
  },
  {
    path: ['readMode'],
    flag: 'read-mode',
    env: 'RAFTNS_READ_MODE',
    text: 'string',
    schema: readModeSchema,
    fallback: 'lease',
  },
  {
    path: ['raft', 'tickMs'],
    flag: 'tick-ms',
    env: 'RAFTNS_RAFT_TICK_MS',
    text: 'int',
    schema: intSchema(1, 1_000),
    fallback: 10,
  },
  {
    path: ['raft', 'snapshotThresholdEntries'],
    flag: 'snapshot-threshold',
    env: 'RAFTNS_RAFT_SNAPSHOT_THRESHOLD',
    text: 'int',
    schema: intSchema(1, 100_000_000),
    fallback: 8_192,
  },
  {
    path: ['log', 'level'],
    flag: 'log-level',
    env: 'RAFTNS_LOG_LEVEL',
    text: 'string',
    schema: logLevelSchema,
    fallback: 'info',
  },
  {
    path: ['placement'],
    flag: 'placement',
    env: 'RAFTNS_PLACEMENT',
    text: 'string',
    schema: placementSchema,
    fallback: DEFAULT_PLACEMENT,
  },
  {
    path: ['http', 'listen'],
    flag: 'http',
    env: 'RAFTNS_HTTP_LISTEN',
    text: 'string',
    schema: hostPortSchema,
    optional: true,
  },
  {
    path: ['shutdown', 'drainTimeoutMs'],
    env: 'RAFTNS_SHUTDOWN_DRAIN_TIMEOUT_MS',
    text: 'int',
    schema: intSchema(0, 600_000),
    fallback: 5_000,
  },
  {
    path: ['regionRepair', 'periodMs'],
    flag: 'region-repair-ms',
    env: 'RAFTNS_REGION_REPAIR_MS',
    text: 'int',
    schema: intSchema(100, 600_000),
    fallback: 2_000,
  },
  {
    path: ['regionRepair', 'tombstoneHorizonMs'],
    flag: 'tombstone-horizon-ms',
    env: 'RAFTNS_TOMBSTONE_HORIZON_MS',
    text: 'int',
    schema: intSchema(1_000, 365 * 24 * 3_600_000),
    fallback: 3_600_000,
  },
  {
    path: ['supervision', 'maxRestarts'],
    env: 'RAFTNS_SUPERVISION_MAX_RESTARTS',
    text: 'int',
    schema: intSchema(0, 1_000),
    fallback: 5,
  },
  {
    path: ['supervision', 'windowMs'],
    env: 'RAFTNS_SUPERVISION_WINDOW_MS',
    text: 'int',
    schema: intSchema(1, 86_400_000),
    fallback: 60_000,
  },
  {
    path: ['supervision', 'backoffBaseMs'],
    env: 'RAFTNS_SUPERVISION_BACKOFF_BASE_MS',
    text: 'int',
    schema: intSchema(1, 3_600_000),
    fallback: 100,
  },
  {
    path: ['supervision', 'backoffMaxMs'],
    env: 'RAFTNS_SUPERVISION_BACKOFF_MAX_MS',
    text: 'int',
    schema: intSchema(1, 3_600_000),
    fallback: 10_000,
  },
  // The aws section exists only when aws.targetGroupArn is set (see loadConfig).
  {
    path: ['aws', 'targetGroupArn'],
    flag: 'aws-target-group',
    env: 'RAFTNS_AWS_TARGET_GROUP',
    text: 'string',
    schema: z
      .string()
      .regex(
        TARGET_GROUP_ARN_RE,
        'expected a target group ARN, such as arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/dns/0123456789abcdef',
      ),
    optional: true,
  },
  {
    path: ['aws', 'servingTargetGroupArn'],
    flag: 'aws-serving-target-group',
    env: 'RAFTNS_AWS_SERVING_TARGET_GROUP',
    text: 'string',
    schema: z
      .string()
      .regex(
        TARGET_GROUP_ARN_RE,
        'expected a target group ARN, such as arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/dns/0123456789abcdef',
      ),
    optional: true,
  },
  {
    // Defaults to the ARN's region (see loadConfig).
    path: ['aws', 'region'],
    flag: 'aws-region',
    env: 'RAFTNS_AWS_REGION',
    text: 'string',
    schema: z.string().regex(AWS_REGION_RE, 'expected an AWS region, such as us-east-1'),
    optional: true,
  },
  {
    path: ['aws', 'endpoint'],
    flag: 'aws-endpoint',
    env: 'RAFTNS_AWS_ENDPOINT',
    text: 'string',
    schema: z.string().refine(isHttpUrl, 'expected an http:// or https:// URL'),
    optional: true,
  },
  {
    // Defaults to the first dns.advertise address (see loadConfig).
    path: ['aws', 'targetAddress'],
    flag: 'aws-target-address',
    env: 'RAFTNS_AWS_TARGET_ADDRESS',
    text: 'string',
    schema: ipSchema(),
    optional: true,
  },
  {
    path: ['aws', 'targetPort'],
    flag: 'aws-target-port',
    env: 'RAFTNS_AWS_TARGET_PORT',
    text: 'int',
    schema: intSchema(1, 65_535),
    optional: true,
  },
  {
    path: ['aws', 'reconcileMs'],
    flag: 'aws-reconcile-ms',
    env: 'RAFTNS_AWS_RECONCILE_MS',
    text: 'int',
    schema: intSchema(100, 3_600_000),
    optional: true,
  },
];

const AWS_TARGET_PORT_DEFAULT = 53;
const AWS_RECONCILE_MS_DEFAULT = 5_000;

/** Names the config file; not itself a config field. */
const CONFIG_FLAG = 'config';
const CONFIG_ENV = 'RAFTNS_CONFIG';

const fieldKey = (field: FieldSpec) => field.path.join('.');

/** Values found in one source, keyed by dotted field path. */
type Layer = Map<string, unknown>;

// ---------------------------------------------------------------------------------------
// Reading each source

function quote(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const shown = text === undefined ? String(value) : text;
  return JSON.stringify(shown.length > 80 ? `${shown.slice(0, 77)}...` : shown);
}

/** Converts flag or environment text to the field's value type; a string error if it cannot. */
function fromText(field: FieldSpec, raw: string): { value: unknown } | { error: string } {
  switch (field.text) {
    case 'string':
      return { value: raw };
    case 'list':
      return {
        value: raw
          .split(',')
          .map((item) => item.trim())
          .filter((item) => item !== ''),
      };
    case 'bool': {
      const value = raw.trim().toLowerCase();
      if (value === '1' || value === 'true') return { value: true };
      if (value === '0' || value === 'false') return { value: false };
      return { error: 'expected 1, 0, true or false' };
    }
    case 'int':
      return /^-?[0-9]{1,16}$/.test(raw.trim())
        ? { value: Number(raw.trim()) }
        : { error: 'expected an integer' };
  }
}

/** Validates one text value; pushes `<label> "<raw>": <problem>` on failure. */
function readText(field: FieldSpec, raw: string, label: string, layer: Layer, errors: string[]): void {
  const converted = fromText(field, raw);
  if ('error' in converted) {
    errors.push(`${label} ${quote(raw)}: ${converted.error}`);
    return;
  }
  const parsed = field.schema.safeParse(converted.value);
  if (parsed.success) {
    layer.set(fieldKey(field), parsed.data);
  } else {
    const entries = Array.isArray(converted.value) ? converted.value.length : 0;
    errors.push(`${label} ${quote(raw)}: ${describeIssues(parsed.error.issues, entries > 1)}`);
  }
}

/** For a flag or env value: one problem line, naming the entry of a list of several. */
function describeIssues(issues: readonly z.core.$ZodIssue[], nameEntries: boolean): string {
  return issues
    .map((issue) => {
      const index = issue.path[0];
      return nameEntries && typeof index === 'number'
        ? `entry ${index + 1}: ${issue.message}`
        : issue.message;
    })
    .join('; ');
}

function readFlags(argv: readonly string[], errors: string[]): { layer: Layer; configPath?: string } {
  const layer: Layer = new Map();
  const byFlag = new Map<string, FieldSpec>();
  for (const field of FIELDS) if (field.flag !== undefined) byFlag.set(field.flag, field);
  const known = [...byFlag.keys(), CONFIG_FLAG];
  const isSwitch = (name: string) => byFlag.get(name)?.text === 'bool';
  const options = Object.fromEntries(
    known.map((name) => [name, { type: isSwitch(name) ? ('boolean' as const) : ('string' as const) }]),
  );
  // Non-strict parsing with tokens, so every problem is reported in our words, not thrown.
  const { tokens } = parseArgs({
    args: [...argv],
    options,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const seen = new Set<string>();
  let configPath: string | undefined;
  // The argument right after an unknown flag is most likely its value: report the flag only.
  let unknownFlagIndex = -2;
  for (const token of tokens) {
    if (token.kind === 'positional') {
      if (token.index !== unknownFlagIndex + 1) {
        errors.push(`unexpected argument ${quote(token.value)}: every setting is a --flag`);
      }
      continue;
    }
    if (token.kind === 'option-terminator') continue;
    const flag = token.rawName;
    if (!known.includes(token.name) || !flag.startsWith('--')) {
      errors.push(`unknown flag ${flag}; known flags: ${known.map((name) => `--${name}`).join(', ')}`);
      if (token.inlineValue !== true) unknownFlagIndex = token.index;
      continue;
    }
    if (seen.has(token.name)) {
      errors.push(`${flag} given more than once`);
      continue;
    }
    seen.add(token.name);
    if (isSwitch(token.name)) {
      // `--bootstrap` alone; `--bootstrap=false` is accepted too.
      const field = byFlag.get(token.name);
      if (field !== undefined) readText(field, token.value ?? 'true', flag, layer, errors);
      continue;
    }
    const raw = token.value;
    if (raw === undefined || (!token.inlineValue && raw.startsWith('--'))) {
      errors.push(`${flag}: expected a value`);
      continue;
    }
    if (token.name === CONFIG_FLAG) {
      if (raw === '') errors.push(`${flag}: expected a non-empty path`);
      else configPath = raw;
      continue;
    }
    const field = byFlag.get(token.name);
    if (field !== undefined) readText(field, raw, flag, layer, errors);
  }
  return configPath === undefined ? { layer } : { layer, configPath };
}

function readEnv(env: LoadConfigInput['env'], errors: string[]): Layer {
  const layer: Layer = new Map();
  for (const field of FIELDS) {
    const raw = env[field.env];
    // An empty variable counts as unset, as with `FOO= command` or an empty compose entry.
    if (raw === undefined || raw === '') continue;
    readText(field, raw, field.env, layer, errors);
  }
  return layer;
}

/** The config file's shape: the config's own, every field optional, unknown keys rejected. */
const fileSchema = (() => {
  const top: Record<string, z.ZodType> = {};
  const nested = new Map<string, Record<string, z.ZodType>>();
  for (const field of FIELDS) {
    const [first, second] = field.path;
    if (second === undefined) {
      top[first] = field.schema.optional();
    } else {
      const group = nested.get(first) ?? {};
      group[second] = field.schema.optional();
      nested.set(first, group);
    }
  }
  for (const [name, shape] of nested) top[name] = z.strictObject(shape).optional();
  return z.strictObject(top);
})();

function lineAndColumn(text: string, position: number): string {
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  const column = position - before.lastIndexOf('\n');
  return `line ${line} column ${column}`;
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current = root;
  for (const part of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[part];
  }
  return current;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function describeFileIssue(issue: z.core.$ZodIssue, root: unknown): string {
  const where = formatPath(issue.path);
  const actual = valueAt(root, issue.path);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys
      .map((key) => `unknown field ${JSON.stringify(where === '' ? key : `${where}.${key}`)}`)
      .join('; ');
  }
  // zod reports a non-integer number as invalid_type "int"; our own message says more.
  if (issue.code === 'invalid_type' && issue.expected !== 'int') {
    const expected = issue.expected === 'object' ? 'an object' : issue.expected;
    return `${where === '' ? '' : `${where}: `}expected ${expected}, got ${typeName(actual)}`;
  }
  if (where === '') return issue.message;
  const shown =
    typeof actual === 'string' ? ` ${quote(actual)}` : typeof actual === 'number' ? ` ${actual}` : '';
  return `${where}${shown}: ${issue.message}`;
}

function readFile(path: string, errors: string[]): Layer {
  const layer: Layer = new Map();
  const label = `config file ${path}`;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    errors.push(`${label}: cannot read it (${code ?? String(error)})`);
    return layer;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const position = /at position (\d+)/.exec(message)?.[1];
    errors.push(
      position === undefined
        ? `${label}: not valid JSON (${message.split('\n').join(' ')})`
        : `${label}: not valid JSON at ${lineAndColumn(text, Number(position))} (${message})`,
    );
    return layer;
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    errors.push(`${label}: expected a JSON object, got ${typeName(json)}`);
    return layer;
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) errors.push(`${label}: ${describeFileIssue(issue, json)}`);
    return layer;
  }
  for (const field of FIELDS) {
    const value = valueAt(parsed.data, field.path);
    if (value !== undefined) layer.set(fieldKey(field), value);
  }
  return layer;
}

// ---------------------------------------------------------------------------------------
// Merging

/** The merged configuration's shape: every field present except the optional ones. */
const replicaConfigSchema = z.strictObject({
  cluster: nameSchema,
  region: nameSchema,
  instanceId: nameSchema,
  dataDir: pathSchema,
  bootstrap: z.boolean(),
  group: nameSchema,
  peers: peersSchema,
  nats: z.strictObject({ urls: z.array(natsUrlSchema).min(1), credsFile: pathSchema.optional() }),
  dns: z.strictObject({
    listen: z.array(dnsListenerSchema).min(1),
    advertise: z.array(ipSchema()).min(1).optional(),
    rrlResponsesPerSecond: z.number().int().nonnegative(),
    rrlSlip: z.number().int().nonnegative(),
    tcpMaxConnectionsPerClient: z.number().int().positive(),
  }),
  readMode: readModeSchema,
  raft: z.strictObject({
    tickMs: z.number().int().positive(),
    snapshotThresholdEntries: z.number().int().positive(),
  }),
  log: z.strictObject({ level: logLevelSchema }),
  placement: placementSchema,
  http: z.strictObject({ listen: hostPortSchema }).optional(),
  shutdown: z.strictObject({ drainTimeoutMs: z.number().int().nonnegative() }),
  regionRepair: z.strictObject({
    periodMs: z.number().int().positive(),
    tombstoneHorizonMs: z.number().int().positive(),
  }),
  supervision: z.strictObject({
    maxRestarts: z.number().int().nonnegative(),
    windowMs: z.number().int().positive(),
    backoffBaseMs: z.number().int().positive(),
    backoffMaxMs: z.number().int().positive(),
  }),
  aws: z
    .strictObject({
      targetGroupArn: z.string(),
      servingTargetGroupArn: z.string().optional(),
      region: z.string(),
      endpoint: z.string().optional(),
      targetAddress: z.string(),
      targetPort: z.number().int().positive(),
      reconcileMs: z.number().int().positive(),
    })
    .optional(),
  awsEndpoint: z.string().optional(),
});

/**
 * The aws section: dropped when no target group is set (any other aws value is then an
 * error, not silently ignored), else completed with its defaults: the ARN's region, the
 * first advertised DNS address, port 53, a 5 s reconcile.
 */
function completeAws(merged: Record<string, unknown>, origin: Map<string, string>, errors: string[]): void {
  const aws = (merged.aws ?? {}) as Record<string, unknown>;
  const source = (key: string) => origin.get(`aws.${key}`) ?? 'default';
  const field = (key: string) => FIELDS.find((f) => fieldKey(f) === `aws.${key}`) as FieldSpec;
  if (typeof aws.targetGroupArn !== 'string') {
    if (merged.bootstrap === true && typeof aws.endpoint === 'string') {
      // Bootstrap mode: the record in NATS KV names the target group (bootstrap/aws-assignment.ts).
      merged.awsEndpoint = aws.endpoint;
      delete aws.endpoint;
    }
    for (const key of Object.keys(aws))
      errors.push(
        `aws.${key} (${source(key)}) is set but aws.targetGroupArn is not: set ${describeSources(field('targetGroupArn'))}`,
      );
    delete merged.aws;
    return;
  }
  if (aws.region === undefined) {
    const region = regionOfArn(aws.targetGroupArn);
    if (region === undefined)
      errors.push(
        `aws.region is required when the target group ARN (${source('targetGroupArn')}) names none: set ${describeSources(field('region'))}`,
      );
    else aws.region = region;
  }
  if (aws.targetAddress === undefined) {
    const advertised = (merged.dns as { advertise?: readonly string[] } | undefined)?.advertise?.[0];
    if (advertised === undefined)
      errors.push(
        'aws.targetAddress is required when no DNS address is advertised (dns.advertise, or a first DNS ' +
          `listener on a specific IP address): set ${describeSources(field('targetAddress'))}`,
      );
    else aws.targetAddress = advertised;
  }
  aws.targetPort ??= AWS_TARGET_PORT_DEFAULT;
  aws.reconcileMs ??= AWS_RECONCILE_MS_DEFAULT;
}

function describeSources(field: FieldSpec): string {
  const sources = [field.flag === undefined ? undefined : `--${field.flag}`, field.env].filter(
    (source) => source !== undefined,
  );
  return `${sources.join(', ')} or ${JSON.stringify(fieldKey(field))} in the config file`;
}

/**
 * Reads the replica configuration from flags, environment and config file (in that order
 * of precedence, over defaults). Every problem found is reported, not just the first.
 * Flags: --instance-id, --data-dir, --bootstrap (no value), --group, --peers
 * (comma-separated), --nats (comma-separated), --nats-creds, --region, --cluster, --dns
 * (comma-separated), --dns-advertise (comma-separated IPs), --read-mode, --tick-ms,
 * --snapshot-threshold, --log-level, --http, --config; each at most once.
 * Environment: RAFTNS_INSTANCE_ID, RAFTNS_DATA_DIR, RAFTNS_BOOTSTRAP (1/0/true/false),
 * RAFTNS_GROUP, RAFTNS_PEERS, RAFTNS_NATS_URLS, RAFTNS_NATS_CREDS, RAFTNS_REGION,
 * RAFTNS_CLUSTER, RAFTNS_DNS_LISTEN, RAFTNS_DNS_ADVERTISE,
 * RAFTNS_READ_MODE, RAFTNS_RAFT_TICK_MS, RAFTNS_RAFT_SNAPSHOT_THRESHOLD, RAFTNS_LOG_LEVEL,
 * RAFTNS_HTTP_LISTEN,
 * RAFTNS_SHUTDOWN_DRAIN_TIMEOUT_MS, RAFTNS_SUPERVISION_{MAX_RESTARTS,WINDOW_MS,
 * BACKOFF_BASE_MS,BACKOFF_MAX_MS}, RAFTNS_AWS_{TARGET_GROUP,REGION,ENDPOINT,TARGET_ADDRESS,
 * TARGET_PORT,RECONCILE_MS}, RAFTNS_CONFIG; an empty variable counts as unset.
 * AWS flags: --aws-target-group (enables the aws section), --aws-region, --aws-endpoint,
 * --aws-target-address, --aws-target-port, --aws-reconcile-ms.
 */
export function loadConfig(input: LoadConfigInput): ConfigResult {
  const errors: string[] = [];
  const flags = readFlags(input.argv, errors);
  const env = readEnv(input.env, errors);
  const envConfigPath = input.env[CONFIG_ENV];
  const configPath = flags.configPath ?? (envConfigPath === '' ? undefined : envConfigPath);
  const file = configPath === undefined ? new Map<string, unknown>() : readFile(configPath, errors);
  if (errors.length > 0) return { ok: false, errors };

  const layers: readonly (readonly [Layer, (field: FieldSpec) => string])[] = [
    [flags.layer, (field) => `--${field.flag}`],
    [env, (field) => field.env],
    [file, () => `config file ${configPath}`],
  ];
  const merged: Record<string, unknown> = {};
  /** Where each merged value came from, for errors that involve several fields. */
  const origin = new Map<string, string>();
  for (const field of FIELDS) {
    const key = fieldKey(field);
    let value: unknown = field.fallback;
    origin.set(key, 'default');
    for (const [layer, label] of layers) {
      if (layer.has(key)) {
        value = layer.get(key);
        origin.set(key, label(field));
        break;
      }
    }
    const [first, second] = field.path;
    if (second === undefined) {
      if (value !== undefined) merged[first] = value;
      continue;
    }
    const group = (merged[first] ?? {}) as Record<string, unknown>;
    merged[first] = group;
    if (value !== undefined) group[second] = value;
  }
  for (const field of FIELDS) {
    if (field.optional !== true && valueAt(merged, field.path) === undefined) {
      errors.push(`${fieldKey(field)} is required: set ${describeSources(field)}`);
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  if (merged.bootstrap === true) {
    // The slot claim decides both; a configured value would be silently ignored.
    for (const key of ['group', 'peers'])
      if (origin.get(key) !== 'default')
        errors.push(
          `${key} (${origin.get(key)}) must not be set in bootstrap mode (${origin.get('bootstrap')}): ` +
            'the slot this replica claims decides its group and peers',
        );
  }
  if (merged.peers === undefined) {
    merged.peers = [merged.instanceId];
    origin.set('peers', 'default');
  }
  const dns = merged.dns as { listen?: unknown; advertise?: unknown };
  if (dns.advertise === undefined && Array.isArray(dns.listen) && typeof dns.listen[0] === 'string') {
    const host = parseDnsListener(dns.listen[0])?.host;
    if (host !== undefined && isIP(host) !== 0 && !isWildcard(host)) dns.advertise = [host];
  }
  if (merged.bootstrap === true && dns.advertise === undefined)
    errors.push(
      `dns.advertise is required in bootstrap mode when the first DNS listener (${origin.get('dns.listen')}) ` +
        `is not a specific IP address: set ${describeSources(FIELDS.find((f) => fieldKey(f) === 'dns.advertise') as FieldSpec)}`,
    );
  // Off unless a listen address is set: the section exists only with one.
  if ((merged.http as { listen?: unknown } | undefined)?.listen === undefined) delete merged.http;
  completeAws(merged, origin, errors);
  if (errors.length > 0) return { ok: false, errors };

  // Each value was validated where it came from; this also checks the assembled shape.
  const parsed = replicaConfigSchema.safeParse(merged);
  if (!parsed.success) {
    return { ok: false, errors: parsed.error.issues.map((issue) => describeFileIssue(issue, merged)) };
  }
  const config: ReplicaConfig = parsed.data;
  if (!config.peers.includes(config.instanceId)) {
    errors.push(
      `peers ${config.peers.join(',')} (${origin.get('peers') ?? 'default'}) must include this ` +
        `replica's instanceId ${config.instanceId} (${origin.get('instanceId') ?? 'default'})`,
    );
    return { ok: false, errors };
  }
  const { backoffBaseMs, backoffMaxMs } = config.supervision;
  if (backoffBaseMs > backoffMaxMs) {
    const from = (key: string) => origin.get(`supervision.${key}`) ?? 'default';
    errors.push(
      `supervision.backoffBaseMs ${backoffBaseMs} (${from('backoffBaseMs')}) must not exceed ` +
        `supervision.backoffMaxMs ${backoffMaxMs} (${from('backoffMaxMs')})`,
    );
    return { ok: false, errors };
  }
  return { ok: true, config };
}
