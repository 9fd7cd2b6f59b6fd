/**
 * Readers beside table services (#21): a read that races the archiver (an instant file deleted
 * between the listing and its read) loads again and sees every commit, and a restore stopped
 * part-way reads as the savepoint it is bound to reach, never a half-undone table; a read that a
 * restore overtakes (its base files deleted after it planned) starts over.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StorageError } from '../../src/errors.ts';
import { archiveTimeline } from '../../src/engine/services/archive.ts';
import { loadTable } from '../../src/engine/load/table-state.ts';
import { Tidemark } from '../../src/engine/tidemark.ts';
import { LocalFileStore } from '../../src/storage/local-file-store.ts';
import { useEngine } from '../support/engine.ts';
import { tableOptions } from '../support/table-options.ts';

const create = tableOptions('t');

/** Archives the table (keeping 2 commits) just before the first read of `target`, as a racing archiver would. */
class ArchivingStore extends LocalFileStore {
  archived = false;
  constructor(private readonly base: string, private readonly target: string) {
    super();
  }
  override async readText(file: string): Promise<string> {
    if (!this.archived && path.basename(file) === this.target) {
      this.archived = true;
      const plain = new LocalFileStore();
      await archiveTimeline({ store: plain }, await loadTable(plain, this.base), { minCommits: 2, maxCommits: 3 });
    }
    return super.readText(file);
  }
}

/** A commit file that is listed but always gone by the time it is read. */
class VanishingStore extends LocalFileStore {
  constructor(private readonly target: string) {
    super();
  }
  override async readText(file: string): Promise<string> {
    if (path.basename(file) === this.target) throw Object.assign(new Error(`ENOENT: no such file, open '${file}'`), { code: 'ENOENT' });
    return super.readText(file);
  }
  override async exists(file: string): Promise<boolean> {
    return path.basename(file) === this.target ? false : super.exists(file);
  }
}

/** Stops a restore: the `failAt`-th removal (counted from `arm`) throws, as a process killed there would leave it. */
class StoppingStore extends LocalFileStore {
  removes = 0;
  failAt: number | undefined;
  override async remove(file: string): Promise<void> {
    this.removes += 1;
    if (this.removes === this.failAt) throw Object.assign(new Error(`stopped before removing ${file}`), { code: 'EIO' });
    return super.remove(file);
  }
}

type Snap = Array<[number, string]>;
async function snapshot(tm: Tidemark, base: string, options = {}): Promise<Snap> {
  return (await tm.read(base, { ...options, columns: ['id', 'v'] })).map((r): [number, string] => [Number(r.id), String(r.v)]).sort((a, b) => a[0] - b[0]);
}

describe('reads racing the archiver', () => {
  let tm: Tidemark;
  let dir: string;
  useEngine('reader-archive', (e) => {
    tm = e.tm;
    dir = e.dir;
  });

  it('an instant archived between the listing and its read is read from the archive', async () => {
    const base = path.join(dir, 'a');
    const instants: string[] = [];
    for (let i = 0; i < 6; i++) instants.push((await tm.upsert(base, { rows: [{ id: i, ts: i, v: `v${i}` }] }, { create })).instant!);
    const store = new ArchivingStore(base, `${instants[0]}.commit`);
    const reader = await Tidemark.open({ store });
    try {
      expect(await snapshot(reader, base)).toEqual(instants.map((_, i) => [i, `v${i}`]));
      expect(store.archived).toBe(true);
      expect(fs.existsSync(path.join(base, '.hoodie', `${instants[0]}.commit`))).toBe(false);
      expect(await snapshot(reader, base, { asOf: instants[1] })).toEqual([[0, 'v0'], [1, 'v1']]);
    } finally {
      reader.close();
    }
  });

  it('an instant that keeps disappearing ends in a StorageError naming it', async () => {
    const base = path.join(dir, 'b');
    const first = (await tm.upsert(base, { rows: [{ id: 1, ts: 1, v: 'a' }] }, { create })).instant!;
    await tm.upsert(base, { rows: [{ id: 2, ts: 1, v: 'b' }] });
    const reader = await Tidemark.open({ store: new VanishingStore(`${first}.commit`) });
    try {
      const error = await reader.read(base).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StorageError);
      expect((error as StorageError).file).toBe(path.join(base, '.hoodie', `${first}.commit`));
      expect((error as Error).message).toMatch(/kept disappearing/);
    } finally {
      reader.close();
    }
  });

  it('reads interleaved with writes that archive every time see a committed state, never fail', async () => {
    const base = path.join(dir, 'c');
    await tm.upsert(base, { rows: [{ id: 0, ts: 0, v: 'v0' }] }, { create: { ...create, keepMinCommits: 2, keepMaxCommits: 3 } });
    const reader = await Tidemark.open({ threads: 1 });
    const writes = 25;
    let done = false;
    let reads = 0;
    try {
      const writing = (async () => {
        try {
          for (let i = 1; i < writes; i++) await tm.upsert(base, { rows: [{ id: i, ts: i, v: `v${i}` }] });
        } finally {
          done = true;
        }
      })();
      const reading = (async () => {
        while (!done) {
          const rows = await snapshot(reader, base);
          // A committed state: the first k writes, k ≥ 1.
          expect(rows).toEqual(rows.map((_, i) => [i, `v${i}`]));
          expect(rows.length).toBeGreaterThan(0);
          reads += 1;
        }
      })();
      await Promise.all([writing, reading]);
      expect(reads).toBeGreaterThan(0);
      expect(fs.readdirSync(path.join(base, '.hoodie/archived')).length).toBeGreaterThan(0);
      expect((await snapshot(reader, base)).length).toBe(writes);
    } finally {
      reader.close();
    }
  });
});

describe('a restore stopped part-way', () => {
  let tm: Tidemark;
  let dir: string;
  let stopped: Tidemark;
  let reader: Tidemark;
  const store = new StoppingStore();
  const instants: string[] = [];
  let template: string;
  useEngine('reader-restore', (e) => {
    tm = e.tm;
    dir = e.dir;
  });
  beforeAll(async () => {
    template = path.join(dir, 'template');
    instants.push((await tm.upsert(template, { rows: [{ id: 1, ts: 1, v: 'a' }] }, { create })).instant!);
    instants.push((await tm.upsert(template, { rows: [{ id: 2, ts: 1, v: 'b' }] })).instant!);
    await tm.savepoint(template, instants[1]!);
    instants.push((await tm.upsert(template, { rows: [{ id: 3, ts: 1, v: 'c' }] })).instant!);
    instants.push((await tm.upsert(template, { rows: [{ id: 1, ts: 2, v: 'a2' }, { id: 4, ts: 1, v: 'd' }] })).instant!);
    instants.push((await tm.upsert(template, { rows: [{ id: 5, ts: 1, v: 'e' }] })).instant!);
    stopped = await Tidemark.open({ store, threads: 1 });
    reader = await Tidemark.open({ threads: 1 });
  });
  afterAll(() => {
    stopped?.close();
    reader?.close();
  });

  it('reads as the table before the restore or as the savepoint, never in between; the next writer finishes it', async () => {
    const before: Snap = [[1, 'a2'], [2, 'b'], [3, 'c'], [4, 'd'], [5, 'e']];
    const atSavepoint: Snap = [[1, 'a'], [2, 'b']];
    expect(await snapshot(reader, template)).toEqual(before);
    // How many removals a whole restore makes: every one of them is a stop point.
    const full = path.join(dir, 'full');
    fs.cpSync(template, full, { recursive: true });
    store.removes = 0;
    store.failAt = undefined;
    await stopped.restore(full, instants[1]!);
    const total = store.removes;
    expect(total).toBeGreaterThan(3);
    expect(await snapshot(reader, full)).toEqual(atSavepoint);
    let halfway = 0;
    for (let k = 1; k <= total; k++) {
      const base = path.join(dir, `stop-${k}`);
      fs.cpSync(template, base, { recursive: true });
      store.removes = 0;
      store.failAt = k;
      const failed = await stopped.restore(base, instants[1]!).then(() => false, () => true);
      const pending = fs.readdirSync(path.join(base, '.hoodie')).some((f) => f.endsWith('.restore.inflight')) && !fs.readdirSync(path.join(base, '.hoodie')).some((f) => f.endsWith('.restore'));
      if (failed && pending) halfway += 1;
      const snap = await snapshot(reader, base);
      expect([before, atSavepoint], `stopped at removal ${k} of ${total}`).toContainEqual(snap);
      if (pending) {
        expect(snap).toEqual(atSavepoint);
        // Time travel past the savepoint and incremental reads stop at it too.
        expect(await snapshot(reader, base, { asOf: instants[4] })).toEqual(atSavepoint);
        expect(await snapshot(reader, base, { since: instants[0] })).toEqual([[2, 'b']]);
        expect(await snapshot(reader, base, { asOf: instants[0] })).toEqual([[1, 'a']]);
      }
      await tm.upsert(base, { rows: [{ id: 9, ts: 1, v: 'z' }] });
      expect(await snapshot(reader, base)).toEqual([...(pending ? atSavepoint : snap), [9, 'z']]);
    }
    expect(halfway).toBeGreaterThan(2);
  });

  it('a read whose files a restore deletes after it was planned starts over, and reads the savepoint', async () => {
    const base = path.join(dir, 'raced');
    fs.cpSync(template, base, { recursive: true });
    const racing = await Tidemark.open({ threads: 1 });
    try {
      // The restore runs between the read's planning (its SQL names the latest base files) and its query.
      const duck = racing.duck;
      const query = duck.plainRows.bind(duck);
      let restored = false;
      duck.plainRows = async (sql: string) => {
        if (!restored) {
          restored = true;
          await tm.restore(base, instants[1]!);
        }
        return query(sql);
      };
      expect(await snapshot(racing, base)).toEqual([[1, 'a'], [2, 'b']]);
      expect(restored).toBe(true);
    } finally {
      racing.close();
    }
  });
});
