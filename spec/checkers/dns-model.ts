import type { Operation } from './history.js';
import type { Model, StepResult } from './model.js';

/**
 * The sequential specification of one DNS RRset as its readers see it, for the
 * linearizability checker. Writes carry a record version (protocol/dns/version.ts) and the
 * store keeps the newest version of an RRset (last writer wins), so an RRset is a max
 * register: a write of version v leaves max(current, v); a read (a DNS answer) returns the
 * current version, 0 while the RRset does not exist. A superseded write is still a legal
 * write of this register (it changes nothing), and a write of unknown outcome may or may
 * not have taken effect (the checker tries both).
 *
 * Each RRset is independent, so histories are checked per owner name (P-compositionality).
 */
export type DnsRrsetInput =
  | { readonly kind: 'write'; readonly name: string; readonly version: number }
  | { readonly kind: 'read'; readonly name: string };

/** For a read, the version the answer carried; writes have none. */
export type DnsRrsetOutput = number | null;

export function dnsRrsetModel(): Model<number, DnsRrsetInput, DnsRrsetOutput> {
  return {
    init: () => 0,
    step(state, input, output): StepResult<number> {
      if (input.kind === 'write') return { ok: true, state: Math.max(state, input.version) };
      return { ok: output === null || output === undefined || output === state, state };
    },
    hash: (state) => String(state),
    partition: partitionByName,
    describe(input, output) {
      return input.kind === 'write'
        ? `write ${input.name} v${input.version}`
        : `read ${input.name} → ${output === undefined || output === null ? '?' : `v${output}`}`;
    },
    describeState: (state) => `v${state}`,
  };
}

/** Per owner name; reads without an answer constrain nothing and are dropped. */
function partitionByName(
  ops: readonly Operation<DnsRrsetInput, DnsRrsetOutput>[],
): Operation<DnsRrsetInput, DnsRrsetOutput>[][] {
  const byName = new Map<string, Operation<DnsRrsetInput, DnsRrsetOutput>[]>();
  for (const op of ops) {
    if (op.input.kind === 'read' && op.status !== 'ok') continue;
    let part = byName.get(op.input.name);
    if (part === undefined) {
      part = [];
      byName.set(op.input.name, part);
    }
    part.push(op);
  }
  return [...byName.values()];
}
