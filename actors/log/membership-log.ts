import { decodeMembership } from '../raft/membership.js';
import type { LogEntry, Membership } from '../raft/types.js';

/**
 * The configurations in a replica's log (thesis §4.1): a server uses the newest one in its
 * log, committed or not, and falls back to an older one when a conflicting suffix that held
 * the newer is truncated. `base` is the configuration as of the snapshot point.
 */
export class MembershipLog {
  private configs: Array<{ readonly index: number; readonly membership: Membership }> = [];

  constructor(private base: Membership) {}

  get current(): Membership {
    return this.configs[this.configs.length - 1]?.membership ?? this.base;
  }

  /** Index of the newest config entry in the log (0 when only the base applies). */
  get latestIndex(): number {
    return this.configs[this.configs.length - 1]?.index ?? 0;
  }

  /** The configuration in force at `index`. */
  at(index: number): Membership {
    let found = this.base;
    for (const config of this.configs) {
      if (config.index > index) break;
      found = config.membership;
    }
    return found;
  }

  /** Returns whether the current configuration changed. */
  onAppend(entry: LogEntry): boolean {
    if (entry.kind !== 'config') return false;
    this.configs.push({ index: entry.index, membership: decodeMembership(entry.data) });
    return true;
  }

  /** Entries after `index` are gone. Returns whether the current configuration changed. */
  truncateAfter(index: number): boolean {
    const before = this.configs.length;
    this.configs = this.configs.filter((c) => c.index <= index);
    return this.configs.length !== before;
  }

  /** Entries up to `index` now live in a snapshot. */
  compactTo(index: number): void {
    this.base = this.at(index);
    this.configs = this.configs.filter((c) => c.index > index);
  }

  reset(base: Membership): void {
    this.base = base;
    this.configs = [];
  }
}
