/**
 * An instant on a Hudi timeline (table version 6, timeline layout 1): an action at a time, in one of
 * three states. Instants live as files in `.hoodie/`; this module maps between the two.
 *
 *   commit:        T.commit.requested → T.inflight               → T.commit
 *   replacecommit: T.replacecommit.requested → T.replacecommit.inflight → T.replacecommit
 *   rollback/clean/savepoint/restore: T.<action>.requested → T.<action>.inflight → T.<action>
 */

export const ACTIONS = [
  'commit',
  'deltacommit',
  'replacecommit',
  'clean',
  'rollback',
  'savepoint',
  'restore',
  'compaction',
  'logcompaction',
  'indexing',
  'schemacommit',
] as const;
export type Action = (typeof ACTIONS)[number];

/** States in lifecycle order; instants of one time sort by this order. */
export const INSTANT_STATES = ['REQUESTED', 'INFLIGHT', 'COMPLETED'] as const;
export type InstantState = (typeof INSTANT_STATES)[number];

/** Actions whose completed instants change the data a reader sees. */
export const WRITE_ACTIONS: ReadonlySet<Action> = new Set(['commit', 'deltacommit', 'replacecommit']);

/** One instant: its time (`yyyyMMddHHmmssSSS`), action and state. */
export interface Instant {
  readonly time: string;
  readonly action: Action;
  readonly state: InstantState;
}

const INSTANT_FILE = /^(\d{14,})\.([a-z]+)(?:\.(requested|inflight))?$/;
const ACTION_SET: ReadonlySet<string> = new Set(ACTIONS);

/**
 * Parses a timeline file name; undefined for names that are not instants (`hoodie.properties`,
 * directories, editor junk). `T.inflight` is the inflight state of a commit.
 */
export function parseInstantFileName(fileName: string): Instant | undefined {
  const m = INSTANT_FILE.exec(fileName);
  if (m === null) return undefined;
  const [, time, word, suffix] = m as unknown as [string, string, string, string | undefined];
  if (word === 'inflight' && suffix === undefined) return { time, action: 'commit', state: 'INFLIGHT' };
  if (!ACTION_SET.has(word)) return undefined;
  const state: InstantState = suffix === 'requested' ? 'REQUESTED' : suffix === 'inflight' ? 'INFLIGHT' : 'COMPLETED';
  return { time, action: word as Action, state };
}

/** The file name of an instant in `.hoodie/` (layout 1). */
export function instantFileName(instant: Instant): string {
  const { time, action, state } = instant;
  if (state === 'COMPLETED') return `${time}.${action}`;
  if (state === 'REQUESTED') return `${time}.${action}.requested`;
  return action === 'commit' ? `${time}.inflight` : `${time}.${action}.inflight`;
}

/** Orders instants by time, then by state (requested < inflight < completed). */
export function compareInstants(a: Instant, b: Instant): number {
  if (a.time !== b.time) return a.time < b.time ? -1 : 1;
  return INSTANT_STATES.indexOf(a.state) - INSTANT_STATES.indexOf(b.state);
}

/** Whether `value` looks like an instant time (14 or 17 digits). */
export function isInstantTime(value: string): boolean {
  return /^\d{14}(\d{3})?$/.test(value);
}
