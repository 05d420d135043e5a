import { expect } from 'chai';
import fc from 'fast-check';
import type { LogEntry } from '../../../actors/raft/types.js';
import { type ApplyOutcome, GroupStateMachine } from '../../../actors/state-machine/group-state-machine.js';
import { decodeSessionCommand } from '../../../protocol/group/command-codec.js';
import type { CommandResult, KvEntryView } from '../../../protocol/group/commands.js';
import { KEY_POOL, PREFIX_POOL, stepArb, WorkloadEncoder } from './helpers.js';

/**
 * The simplest store that could be right: a Map, sorting on every range, and sessions that
 * remember every result forever. The state machine under test must agree with it whenever
 * its own bounds do not bite (they are set out of reach here; snapshot.spec.ts and
 * group-state-machine.spec.ts cover the bounds).
 */
class ReferenceModel {
  readonly data = new Map<string, { value: string; revision: number }>();
  readonly sessions = new Map<string, { acked: number; results: Map<number, CommandResult> }>();

  view(key: string): KvEntryView | null {
    const found = this.data.get(key);
    return found ? { key, ...found } : null;
  }

  revision(key: string): number {
    return this.data.get(key)?.revision ?? 0;
  }

  apply(entry: LogEntry): ApplyOutcome {
    const index = entry.index;
    if (entry.kind !== 'command') return { kind: 'advanced', index, entryKind: entry.kind };
    const decoded = decodeSessionCommand(entry.data);
    if (!decoded.ok) return { kind: 'rejected', index, reason: 'malformed', error: decoded.error };
    const { clientId, seq, ackedSeq, command } = decoded.value;
    if (
      command.kind === 'dns-batch' ||
      command.kind === 'dns-import' ||
      command.kind === 'dns-collect-tombstones'
    )
      throw new Error('the model does not cover DNS batches');
    let session = this.sessions.get(clientId);
    if (!session) {
      if (seq !== 1) return { kind: 'rejected', index, reason: 'session-expired', clientId, seq };
      session = { acked: 0, results: new Map() };
      this.sessions.set(clientId, session);
    }
    session.acked = Math.max(session.acked, ackedSeq);
    if (seq <= session.acked) return { kind: 'rejected', index, reason: 'stale-sequence', clientId, seq };
    const first = session.results.get(seq);
    if (first) return { kind: 'duplicate', index, clientId, seq, result: first };
    const previous = this.view(command.key);
    let result: CommandResult;
    if (command.kind === 'kv-put') {
      this.data.set(command.key, { value: command.value, revision: index });
      result = { kind: 'kv-written', revision: index, previous };
    } else if (command.kind === 'kv-delete') {
      this.data.delete(command.key);
      result = { kind: 'kv-written', revision: index, previous };
    } else if (this.revision(command.key) === command.expectedRevision) {
      this.data.set(command.key, { value: command.value, revision: index });
      result = { kind: 'kv-written', revision: index, previous };
    } else {
      result = { kind: 'kv-cas-mismatch', current: previous };
    }
    session.results.set(seq, result);
    return { kind: 'applied', index, clientId, seq, result };
  }

  range(prefix: string, startAfter: string | undefined): KvEntryView[] {
    return [...this.data.keys()]
      .filter((k) => k.startsWith(prefix) && (startAfter === undefined || k > startAfter))
      .sort()
      .map((k) => this.view(k)!);
  }
}

const RANGE_LIMIT_MAX = 3;

function newMachine(): GroupStateMachine {
  return new GroupStateMachine({
    maxSessions: 1_000_000,
    maxCachedResultsPerSession: 1_000_000,
    sessionTimeoutMs: Number.MAX_SAFE_INTEGER,
    rangeLimitMax: RANGE_LIMIT_MAX,
  });
}

/** Every key matching `prefix`, read page by page through `startAfter`, checking each page against the model. */
function checkRange(machine: GroupStateMachine, model: ReferenceModel, prefix: string, limit: number): void {
  let startAfter: string | undefined;
  const seen: KvEntryView[] = [];
  for (let pages = 0; pages < 100; pages++) {
    const page = machine.query(
      startAfter === undefined ? { op: 'range', prefix, limit } : { op: 'range', prefix, limit, startAfter },
    );
    if (page.op !== 'range') expect.fail('range answered as get');
    const rest = model.range(prefix, startAfter);
    const size = Math.min(limit, RANGE_LIMIT_MAX);
    expect(page.entries, `range ${JSON.stringify(prefix)} after ${JSON.stringify(startAfter)}`).to.deep.equal(
      rest.slice(0, size),
    );
    expect(page.more).to.equal(rest.length > size);
    seen.push(...page.entries);
    if (!page.more) break;
    startAfter = page.entries.at(-1)?.key;
  }
  expect(seen).to.deep.equal(model.range(prefix, undefined));
}

describe('state-machine: GroupStateMachine against a reference model', () => {
  it('sorts keys as the model does (JavaScript string order), astral characters included', () => {
    const machine = newMachine();
    const model = new ReferenceModel();
    const encoder = new WorkloadEncoder();
    KEY_POOL.forEach((_, key) => {
      const step = {
        t: 'cmd',
        client: 0,
        retryBack: 0,
        ackFraction: 1,
        op: 'put',
        key,
        value: 'v',
        casBack: -1,
        dtMs: 0,
      } as const;
      const entry = encoder.entry(step)!;
      expect(machine.apply(entry)).to.deep.equal(model.apply(entry));
    });
    checkRange(machine, model, '', 1);
    // Code unit order puts U+1F600 (a surrogate pair, 0xD83D...) before U+FFFF; code point order would not.
    expect(
      model
        .range('', undefined)
        .map((e) => e.key)
        .slice(-2),
    ).to.deep.equal(['\u{1F600}', '\uFFFF']);
  });

  it('property: outcomes (results of put, delete, cas, duplicates, rejections), gets and ranges agree', () => {
    fc.assert(
      fc.property(
        fc.array(stepArb(4, 1_000), { maxLength: 150, size: 'max' }),
        fc.integer({ min: 1, max: 4 }),
        (steps, limit) => {
          const machine = newMachine();
          const model = new ReferenceModel();
          const encoder = new WorkloadEncoder();
          for (const step of steps) {
            const entry = encoder.entry(step, (key) => model.revision(key));
            if (entry === null) continue;
            const expected = model.apply(entry);
            const actual = machine.apply(entry);
            expect(actual).to.deep.equal(expected);
            for (const key of KEY_POOL) {
              expect(machine.query({ op: 'get', key })).to.deep.equal({ op: 'get', entry: model.view(key) });
            }
          }
          for (const prefix of PREFIX_POOL) checkRange(machine, model, prefix, limit);
          expect(machine.keyCount).to.equal(model.data.size);
        },
      ),
      { numRuns: 300 },
    );
  });
});
