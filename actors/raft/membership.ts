import type { Membership, ReplicaId } from './types.js';

/**
 * Single-server membership changes (thesis §4.1): each change adds or removes one voter,
 * so any majority of the old configuration overlaps any majority of the new one, and a
 * server may use the newest configuration in its log as soon as it is appended.
 */
export type MembershipChange =
  | { readonly op: 'add'; readonly replica: ReplicaId }
  | { readonly op: 'remove'; readonly replica: ReplicaId };

const MEMBERSHIP_FORMAT_VERSION = 1;
export const MAX_VOTERS = 255;

export function encodeMembership(membership: Membership): Uint8Array {
  const body = new TextEncoder().encode(JSON.stringify({ voters: membership.voters }));
  const bytes = new Uint8Array(body.length + 1);
  bytes[0] = MEMBERSHIP_FORMAT_VERSION;
  bytes.set(body, 1);
  return bytes;
}

/** Decodes a `config` entry; a corrupt one is an invariant violation (it was validated when proposed). */
export function decodeMembership(bytes: Uint8Array): Membership {
  if (bytes[0] !== MEMBERSHIP_FORMAT_VERSION) throw new Error(`config entry has unknown version ${bytes[0]}`);
  const value = JSON.parse(new TextDecoder().decode(bytes.subarray(1))) as { voters?: unknown };
  if (!Array.isArray(value.voters) || !value.voters.every((v) => typeof v === 'string' && v.length > 0)) {
    throw new Error('config entry is corrupt');
  }
  return { voters: value.voters as string[] };
}

export type ChangeCheck =
  | { readonly ok: true; readonly next: Membership }
  | { readonly ok: false; readonly reason: string };

export function applyChange(current: Membership, change: MembershipChange): ChangeCheck {
  const voters = current.voters;
  if (change.op === 'add') {
    if (voters.includes(change.replica)) return { ok: false, reason: `${change.replica} is already a voter` };
    if (voters.length >= MAX_VOTERS) return { ok: false, reason: `a group has at most ${MAX_VOTERS} voters` };
    return { ok: true, next: { voters: [...voters, change.replica].sort() } };
  }
  if (!voters.includes(change.replica)) return { ok: false, reason: `${change.replica} is not a voter` };
  if (voters.length === 1) return { ok: false, reason: 'cannot remove the last voter' };
  return { ok: true, next: { voters: voters.filter((v) => v !== change.replica) } };
}

export function sameMembership(a: Membership, b: Membership): boolean {
  return a.voters.length === b.voters.length && a.voters.every((v) => b.voters.includes(v));
}
