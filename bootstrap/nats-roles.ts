/**
 * Who may publish and subscribe to what on a cluster's NATS servers: three roles, each a
 * nats-server `permissions` block (docs/SECURITY.md explains them and what they cannot
 * restrict).
 *
 * - `replica`: a replica process. It claims its slot at run time (bootstrap), so which
 *   group it serves is not known when credentials are made: it may use every group's
 *   subjects of its cluster (Raft peer inboxes, client subjects, the `…sync` subjects of
 *   anti-entropy between regions; its reconcilers and HTTP API are clients of other groups
 *   and regions). JetStream: reads every bucket of the cluster;
 *   writes its registration (`instances`), slot claims (`slots`) and, for the HTTP API it
 *   serves, the zone registry (`zones`) and `Idempotency-Key` records (`idempotency`).
 *   It answers requests (`allow_responses`) and creates no bucket.
 * - `admin`: an operator or automation (the `raftns` CLI). Requests on every group's write,
 *   read and per-replica client subjects, never a Raft peer or `…sync` subject; creates, reads and
 *   writes every bucket of the cluster. Subscribes only to its own reply inboxes, so it can
 *   neither impersonate a leader nor overhear Raft traffic.
 * - `reader`: monitoring, dashboards. Reads and status requests (`…read`,
 *   `…client.<replica>`, which refuse writes: runtime/composition/client-intake.ts) and
 *   reads of every bucket but the TSIG keys, whose secrets would let it sign UPDATEs; never
 *   a `…sync` subject.
 *
 * What subject permissions cannot express: a KV write is a publish on `$KV.<bucket>.<key>`,
 * so a role that may write a bucket may write any key in it (a replica may overwrite
 * another's registration); and wildcards match whole tokens only, so the buckets are listed
 * by name.
 */
import { instancesBucket, planBucket, slotsBucket } from '../protocol/plan.js';
import { checkSubjectToken, SUBJECT_PREFIX } from '../protocol/subjects.js';
import { apiKeyBucket } from './api-key-store.js';
import { idempotencyBucket } from './idempotency-store.js';
import { transferBucket } from './transfer-acl-store.js';
import { tsigBucket } from './tsig-key-store.js';
import { zonesBucket } from './zone-registry-store.js';

export const NATS_ROLES = ['replica', 'admin', 'reader'] as const;
export type NatsRole = (typeof NATS_ROLES)[number];

export interface SubjectRules {
  readonly allow: readonly string[];
  readonly deny: readonly string[];
}

/** A nats-server `permissions` block. */
export interface NatsPermissions {
  readonly publish: SubjectRules;
  readonly subscribe: SubjectRules;
  /** Whether the user may publish to the reply subject of a request it received (max 1 reply). */
  readonly allowResponses: boolean;
}

/** Every KV bucket of a cluster, by what it holds. */
export function clusterBuckets(cluster: string) {
  checkSubjectToken('cluster', cluster);
  return {
    plan: planBucket(cluster),
    slots: slotsBucket(cluster),
    instances: instancesBucket(cluster),
    zones: zonesBucket(cluster),
    transfer: transferBucket(cluster),
    tsig: tsigBucket(cluster),
    apiKeys: apiKeyBucket(cluster),
    idempotency: idempotencyBucket(cluster),
  };
}

/** The replies of requests: nats.js muxes them under one `_INBOX.<nuid>.*` subscription. */
const INBOXES = '_INBOX.>';

/**
 * Reading bucket `b`: its stream's info (`kvm.open`), direct and stored-message gets
 * (`kv.get`), and the ordered consumers of watches and key listings, whose flow-control
 * answers go to `$JS.FC.<stream>.>`.
 */
function bucketReads(bucket: string): string[] {
  const stream = `KV_${bucket}`;
  return [
    `$JS.API.STREAM.INFO.${stream}`,
    `$JS.API.STREAM.MSG.GET.${stream}`,
    `$JS.API.DIRECT.GET.${stream}`,
    `$JS.API.DIRECT.GET.${stream}.>`,
    `$JS.API.CONSUMER.CREATE.${stream}`,
    `$JS.API.CONSUMER.CREATE.${stream}.>`,
    `$JS.API.CONSUMER.INFO.${stream}.*`,
    `$JS.API.CONSUMER.DELETE.${stream}.*`,
    `$JS.API.CONSUMER.MSG.NEXT.${stream}.*`,
    `$JS.FC.${stream}.>`,
  ];
}

/** Writing bucket `b`: a publish (request) on `$KV.<b>.<key>`, one key or many. */
function bucketWrites(bucket: string): string[] {
  return [`$KV.${bucket}.>`];
}

/** Creating bucket `b` (`kvm.create` when the stream does not exist) and changing its configuration. */
function bucketAdministration(bucket: string): string[] {
  const stream = `KV_${bucket}`;
  return [`$JS.API.STREAM.CREATE.${stream}`, `$JS.API.STREAM.UPDATE.${stream}`];
}

/** The permissions of `role` in `cluster`. Throws InvalidSubjectTokenError for a bad cluster name. */
export function natsPermissions(cluster: string, role: NatsRole): NatsPermissions {
  const buckets = clusterBuckets(cluster);
  const all = Object.values(buckets);
  const scope = `${SUBJECT_PREFIX}.${cluster}`;
  const raft = `${scope}.*.*.raft.>`;
  const sync = `${scope}.*.*.sync`;
  const reads = ['$JS.API.INFO', ...all.flatMap(bucketReads)];
  switch (role) {
    case 'replica':
      return {
        publish: {
          allow: [
            `${scope}.>`,
            ...reads,
            ...[buckets.instances, buckets.slots, buckets.zones, buckets.idempotency].flatMap(bucketWrites),
          ],
          deny: [],
        },
        subscribe: { allow: [`${scope}.>`, INBOXES], deny: [] },
        allowResponses: true,
      };
    case 'admin':
      return {
        publish: {
          allow: [
            `${scope}.*.*.write`,
            `${scope}.*.*.read`,
            `${scope}.*.*.client.*`,
            `${scope}.*.*.client.*.write`,
            ...reads,
            ...all.flatMap(bucketWrites),
            ...all.flatMap(bucketAdministration),
          ],
          deny: [raft, sync],
        },
        subscribe: { allow: [INBOXES], deny: [`${scope}.>`] },
        allowResponses: false,
      };
    case 'reader':
      return {
        publish: {
          allow: [
            `${scope}.*.*.read`,
            `${scope}.*.*.client.*`,
            '$JS.API.INFO',
            ...all.filter((bucket) => bucket !== buckets.tsig).flatMap(bucketReads),
          ],
          deny: [raft, sync, `${scope}.*.*.write`, `${scope}.*.*.client.*.write`, '$KV.>'],
        },
        subscribe: { allow: [INBOXES], deny: [`${scope}.>`] },
        allowResponses: false,
      };
  }
}
