/**
 * Crash safety: worker processes are SIGKILLed at random moments of upserts (which clean and
 * archive after every commit), of restores, and of the embedded metastore's start-up, while this
 * process reads the tables beside them. At least 200 kills in all (`TIDEMARK_CRASH_KILLS` scales
 * them). After each kill, and in every read taken while the worker ran, a table reads as exactly
 * the state before or after the interrupted action, and no read fails; the next writer finishes or
 * undoes what the dead one left, and the table equals a model; no file outside a completed commit
 * remains; every acknowledged metastore write is there and the store opens after every kill.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/config.ts';
import type { Tidemark } from '../../src/engine/tidemark.ts';
import { earliestReadableInstant } from '../../src/engine/services/clean.ts';
import { openMetastore } from '../../src/metastore/open-metastore.ts';
import { LocalFileStore } from '../../src/storage/local-file-store.ts';
import { splitmix32 } from '../../src/util/random.ts';
import { CowModel, type ModelRow, type StoredRow } from '../support/cow-model.ts';
import { type CrashOutcome, CrashWorkers, type KillPlan } from '../support/crash-workers.ts';
import { useEngine } from '../support/engine.ts';
import { tableOptions } from '../support/table-options.ts';

const SCALE = Number(process.env.TIDEMARK_CRASH_KILLS ?? 200) / 200;
const UPSERT_KILLS = Math.ceil(110 * SCALE);
const RESTORE_KILLS = Math.ceil(75 * SCALE);
const METASTORE_KILLS = Math.ceil(15 * SCALE);

const random = splitmix32(7); // seeded, so a failure can be replayed
const batch = (n: number): ModelRow[] =>
  Array.from({ length: n }, () => ({ p: random() < 0.5 ? 'a' : 'b', id: Math.floor(random() * 30), ts: Math.floor(random() * 10), v: `v${Math.floor(random() * 1000)}`, del: false }));
const asInput = (rows: ReadonlyArray<ModelRow>): Array<Record<string, unknown>> => rows.map((r) => ({ id: r.id, ts: r.ts, p: r.p, v: r.v }));
/** A table's rows as one comparable string. */
const canon = (rows: ReadonlyArray<Pick<StoredRow, 'p' | 'id' | 'ts' | 'v' | 'commit'>>): string =>
  rows
    .map((r) => JSON.stringify([r.p, r.id, r.ts, r.v, r.commit]))
    .sort()
    .join('\n');

/**
 * When to kill a command: half the time uniformly over 1.3 times its duration, half the time over
 * 1.3 times what follows the creation of its instant (`T.commit.requested`, `R.restore.requested`),
 * so the commit protocol itself takes many kills on a loaded machine too. Durations are tracked as
 * the commands that end unkilled show them (the machine's load changes during a run).
 */
class KillMoments {
  private readonly ms: [number, number];
  private turn = 0;
  constructor(
    whole: number,
    private readonly from?: { readonly dir: string; readonly file: RegExp },
  ) {
    this.ms = [whole, whole / 3];
  }
  next(): KillPlan {
    this.turn = this.from === undefined ? 0 : 1 - this.turn;
    const afterMs = random() * this.ms[this.turn]! * 1.3;
    return this.turn === 1 ? { afterMs, from: this.from! } : { afterMs };
  }
  observe(outcome: CrashOutcome): void {
    if (!outcome.killed) this.ms[this.turn] = 0.7 * this.ms[this.turn]! + 0.3 * outcome.ms;
  }
}

/**
 * Runs `reads` over and over until `during` settles; every read must succeed. A short pause between
 * reads leaves the worker a core (these machines have two).
 */
async function readBeside<T>(during: Promise<T>, reads: () => Promise<void>): Promise<{ value: T; count: number }> {
  let over = false;
  let count = 0;
  const loop = (async (): Promise<void> => {
    while (!over) {
      await reads();
      count++;
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
  })();
  try {
    return { value: await during, count };
  } finally {
    over = true;
    await loop; // a failed read fails the test
  }
}

/** Parquet files under the table's partitions that no completed commit names. */
async function orphans(tm: Tidemark, base: string): Promise<string[]> {
  const known = new Set((await tm.table(base)).files.map((f) => path.join(base, f.path)));
  return ['a', 'b']
    .flatMap((p) => (fs.existsSync(path.join(base, p)) ? fs.readdirSync(path.join(base, p)).map((f) => path.join(base, p, f)) : []))
    .filter((f) => f.endsWith('.parquet') && !known.has(f));
}

describe('workers killed at random moments, with readers beside them', () => {
  let tm: Tidemark;
  let dir: string;
  useEngine('crash', (e) => ({ tm, dir } = e));
  const workers = new CrashWorkers();
  afterAll(() => workers.close());
  let kills = 0;

  const snapshot = async (base: string, asOf?: string): Promise<string> =>
    canon(
      (await tm.read(base, { columns: ['p', 'id', 'ts', 'v', '_hoodie_commit_time'], ...(asOf === undefined ? {} : { asOf }) })).map((r) => ({
        p: String(r.p),
        id: Number(r.id),
        ts: Number(r.ts),
        v: String(r.v),
        commit: String(r._hoodie_commit_time),
      })),
    );
  const latest = async (base: string): Promise<string | undefined> => (await tm.table(base)).timeline.latestCompletedWrite()?.time;
  const batchFile = (rows: ReadonlyArray<ModelRow>, name: string): string => {
    const file = path.join(dir, `${name}.json`);
    fs.writeFileSync(file, JSON.stringify(asInput(rows)));
    return file;
  };

  it(`upserts that clean and archive after every commit: ${UPSERT_KILLS} kills`, async () => {
    const base = path.join(dir, 'upserts');
    const model = new CowModel();
    const create = tableOptions('upserts', { partitionFields: ['p'], cleanAutomatic: true, commitsRetained: 2, keepMinCommits: 3, keepMaxCommits: 4 });
    const seed = batch(40);
    model.apply('upsert', seed, (await tm.upsert(base, { rows: asInput(seed) }, { create })).instant!);
    // How long an undisturbed upsert takes, so kills spread over the whole commit and what follows it.
    const probe = batch(20);
    const moments = new KillMoments((await workers.run({ op: 'upsert', base, file: batchFile(probe, 'probe') }, undefined)).ms, { dir: path.join(base, '.hoodie'), file: /^\d+\.commit\.requested$/ });
    model.apply('upsert', probe, (await latest(base))!);

    let killed = 0;
    let committedDespiteKill = 0;
    let leftPending = 0;
    let reads = 0;
    let beforeRows = await snapshot(base);
    for (let round = 0; killed < UPSERT_KILLS; round++) {
      const rows = batch(1 + Math.floor(random() * 25));
      const before = await latest(base);
      const seen = new Set<string>();
      const { value: outcome, count } = await readBeside(workers.run({ op: 'upsert', base, file: batchFile(rows, `b${round}`) }, moments.next()), async () => {
        seen.add(await snapshot(base));
      });
      reads += count;
      if (outcome.killed) killed++;
      moments.observe(outcome);
      if ((await tm.table(base)).timeline.pending().some((i) => i.action === 'commit')) leftPending++;
      const after = await latest(base);
      if (after !== before) {
        // The kill came after the publication: the commit is whole.
        if (outcome.killed) committedDespiteKill++;
        model.apply('upsert', rows, after!);
      }
      const afterRows = await snapshot(base);
      expect(afterRows).toEqual(canon(model.snapshot(after!)));
      for (const s of seen) expect([beforeRows, afterRows]).toContain(s);
      beforeRows = afterRows;
      if (round % 5 === 4) {
        // A writer in this process rolls back what the dead one left, then commits.
        const next = batch(5);
        const r = await tm.upsert(base, { rows: asInput(next) });
        if (r.instant !== undefined) model.apply('upsert', next, r.instant);
        beforeRows = await snapshot(base);
        expect(beforeRows).toEqual(canon(model.snapshot((await latest(base))!)));
      }
    }
    const last = batch(5);
    const r = await tm.upsert(base, { rows: asInput(last) });
    if (r.instant !== undefined) model.apply('upsert', last, r.instant);
    expect(await snapshot(base)).toEqual(canon(model.snapshot((await latest(base))!)));
    const state = await tm.table(base);
    expect(state.timeline.pending()).toEqual([]);
    expect(await orphans(tm, base)).toEqual([]);
    expect(fs.readdirSync(path.join(base, '.hoodie/.temp'))).toEqual([]);
    expect(fs.readdirSync(path.join(base, '.hoodie')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    // The archiver and the cleaner ran throughout; kills landed before publication (leaving a
    // commit pending for the next writer to roll back) and after it.
    // keep.max.commits (4), unless the cleaner's earliest retained commit stops the archiver (as in
    // Hudi, a clean with nothing to delete writes no instant, so that point can lag): then the
    // oldest active write is not older than it.
    expect(r.warnings).toBeUndefined();
    const active = state.activeTimeline.completedWrites();
    const retained = await earliestReadableInstant({ store: new LocalFileStore() }, state);
    if (active.length > 4) expect(active[0]!.time >= (retained ?? '~')).toBe(true);
    expect(fs.readdirSync(path.join(base, '.hoodie/archived')).length).toBeGreaterThan(0);
    expect(state.timeline.completed('clean').length).toBeGreaterThan(0);
    expect(leftPending).toBeGreaterThan(0);
    expect(committedDespiteKill).toBeGreaterThan(0);
    expect(committedDespiteKill).toBeLessThan(killed);
    expect(reads).toBeGreaterThan(killed);
    kills += killed;
    console.info(`crash test, upserts: ${killed} kills, ${leftPending} left a commit pending, ${committedDespiteKill} after publication, ${reads} reads beside them`);
  }, 300_000);

  it(`restores to a savepoint: ${RESTORE_KILLS} kills`, async () => {
    const base = path.join(dir, 'restores');
    const model = new CowModel();
    const create = tableOptions('restores', { partitionFields: ['p'], keepMinCommits: 3, keepMaxCommits: 4 });
    for (let i = 0; i < 6; i++) {
      const rows = batch(15);
      model.apply('upsert', rows, (await tm.upsert(base, { rows: asInput(rows) }, { create })).instant!);
    }
    const savepoint = (await latest(base))!;
    await tm.savepoint(base, savepoint);
    const atSavepoint = canon(model.snapshot(savepoint));
    const restores = async (): Promise<number> => (await tm.table(base)).timeline.completed('restore').length;
    let modelled = 0; // restores the model has applied
    /**
     * A commit in this process, for the next restore to undo. It finishes a restore a dead worker
     * left; a restore that completed (then or in the worker) comes before its rows.
     */
    const commitSome = async (): Promise<string> => {
      const rows = batch(1 + Math.floor(random() * 15));
      const r = await tm.upsert(base, { rows: asInput(rows) });
      if ((await restores()) > modelled) {
        model.restore(savepoint);
        modelled = await restores();
      }
      if (r.instant !== undefined) model.apply('upsert', rows, r.instant);
      const rowsNow = await snapshot(base);
      expect(rowsNow).toEqual(canon(model.snapshot((await latest(base))!)));
      return rowsNow;
    };
    await commitSome();
    const moments = new KillMoments((await workers.run({ op: 'restore', base, instant: savepoint }, undefined)).ms, { dir: path.join(base, '.hoodie'), file: /^\d+\.restore\.requested$/ });
    expect(await snapshot(base)).toEqual(atSavepoint);

    let killed = 0;
    let leftPending = 0;
    let reads = 0;
    while (killed < RESTORE_KILLS) {
      const beforeRows = await commitSome();
      const asOfSeen = new Set<string>();
      const seen = new Set<string>();
      const { value: outcome, count } = await readBeside(workers.run({ op: 'restore', base, instant: savepoint }, moments.next()), async () => {
        seen.add(await snapshot(base));
        asOfSeen.add(await snapshot(base, savepoint)); // time travel to the savepoint, past archived commits
      });
      reads += 2 * count;
      if (outcome.killed) killed++;
      moments.observe(outcome);
      const afterRows = await snapshot(base);
      expect([beforeRows, atSavepoint]).toContain(afterRows);
      for (const s of seen) expect([beforeRows, atSavepoint]).toContain(s);
      for (const s of asOfSeen) expect(s).toEqual(atSavepoint);
      if ((await tm.table(base)).timeline.pending().some((i) => i.action === 'restore')) leftPending++;
    }
    await commitSome();
    const state = await tm.table(base);
    expect(state.timeline.pending()).toEqual([]);
    expect(await orphans(tm, base)).toEqual([]);
    expect(fs.readdirSync(path.join(base, '.hoodie')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    // Kills left restores pending (which readers saw as the savepoint and writers finished), and
    // commits before the savepoint went to the archive while it stayed readable.
    expect(leftPending).toBeGreaterThan(0);
    expect(fs.readdirSync(path.join(base, '.hoodie/archived')).length).toBeGreaterThan(0);
    expect(await snapshot(base, savepoint)).toEqual(atSavepoint);
    expect(reads).toBeGreaterThan(killed);
    kills += killed;
    console.info(`crash test, restores: ${killed} kills, ${leftPending} left a restore pending, ${reads} reads beside them`);
  }, 300_000);

  it(`embedded metastore start-ups: ${METASTORE_KILLS} kills`, async () => {
    const warehouse = path.join(dir, 'warehouse');
    // The first open creates and migrates the store; kills land in that too.
    const acknowledged: string[] = [];
    const attempted: string[] = [];
    let moments: KillMoments | undefined;
    let killed = 0;
    for (let round = 0; killed < METASTORE_KILLS; round++) {
      const name = `t${round}`;
      attempted.push(name);
      const outcome = await workers.run({ op: 'metastore', warehouse, name }, moments?.next());
      // Timed from the second open, of an existing store (the first one created it).
      if (round === 1) moments = new KillMoments(outcome.ms);
      moments?.observe(outcome);
      if (outcome.killed) killed++;
      else acknowledged.push(name);
    }
    // Every worker after a kill opened the store (a failure would have failed `run`); so does this process.
    const metastore = await openMetastore(resolveConfig({ warehouse }, {}), { onNotice: () => undefined });
    try {
      const names = (await metastore.listTables()).map((t) => t.name);
      expect(names).toEqual(expect.arrayContaining(acknowledged));
      expect(names.every((n) => attempted.includes(n))).toBe(true);
    } finally {
      await metastore.close();
    }
    kills += killed;
    console.info(`crash test, metastore start-ups: ${killed} kills, ${acknowledged.length} registrations acknowledged`);
  }, 300_000);

  it('killed at least 200 times in all', () => {
    expect(kills).toBeGreaterThanOrEqual(UPSERT_KILLS + RESTORE_KILLS + METASTORE_KILLS);
    if (SCALE >= 1) expect(kills).toBeGreaterThanOrEqual(200);
  });
});
