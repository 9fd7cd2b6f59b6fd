/**
 * The timeline as a value: every instant found in `.hoodie/`, reduced to its most advanced state, in
 * time order. Pure queries only; loading and writing instants is the engine's job.
 */
import { type Instant, WRITE_ACTIONS, compareInstants } from './instant.ts';

/** An immutable, ordered view of a table's instants. */
export class Timeline {
  /** One entry per (time, action), in its most advanced state, ordered by time. */
  readonly instants: ReadonlyArray<Instant>;

  constructor(instants: Iterable<Instant>) {
    const latest = new Map<string, Instant>();
    for (const instant of instants) {
      const key = `${instant.time}.${instant.action}`;
      const seen = latest.get(key);
      if (seen === undefined || compareInstants(seen, instant) < 0) latest.set(key, instant);
    }
    this.instants = Object.freeze([...latest.values()].sort(compareInstants));
  }

  /** Completed commits, delta commits and replace commits: the instants readers see, oldest first. */
  completedWrites(): ReadonlyArray<Instant> {
    return this.instants.filter((i) => i.state === 'COMPLETED' && WRITE_ACTIONS.has(i.action));
  }

  /** Instants of any action that are requested or inflight. */
  pending(): ReadonlyArray<Instant> {
    return this.instants.filter((i) => i.state !== 'COMPLETED');
  }

  /** Completed instants of one action, oldest first. */
  completed(action: Instant['action']): ReadonlyArray<Instant> {
    return this.instants.filter((i) => i.state === 'COMPLETED' && i.action === action);
  }

  /** The latest completed write, if any. */
  latestCompletedWrite(): Instant | undefined {
    const writes = this.completedWrites();
    return writes[writes.length - 1];
  }

  /** The greatest instant time of any state and action (new instants must be greater). */
  lastInstantTime(): string | undefined {
    return this.instants[this.instants.length - 1]?.time;
  }

  /** Completed writes with `after < time <= upTo` (either bound optional). */
  writesBetween(after: string | undefined, upTo: string | undefined): ReadonlyArray<Instant> {
    return this.completedWrites().filter(
      (i) => (after === undefined || i.time > after) && (upTo === undefined || i.time <= upTo),
    );
  }

  /** Whether a completed write exists at exactly this time. */
  hasCompletedWrite(time: string): boolean {
    return this.completedWrites().some((i) => i.time === time);
  }

  /** A timeline with one more instant (or an instant moved to a later state). */
  with(instant: Instant): Timeline {
    return new Timeline([...this.instants, instant]);
  }
}
