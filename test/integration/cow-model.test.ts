/**
 * Model-based test: random sequences of upsert / insert / delete batches (duplicate keys, ties and
 * out-of-order ordering values, delete markers, several partitions, with and without many small
 * file groups; integer keys, which stored records are matched on directly, and text keys, matched
 * through `_hoodie_record_key`) give, at every instant, the same snapshot and incremental results
 * as `CowModel`.
 */
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Tidemark } from '../../src/engine/tidemark.ts';
import { useEngine } from '../support/engine.ts';
import { CowModel, type ModelOp, type ModelRow, type StoredRow } from '../support/cow-model.ts';
import { tableOptions } from '../support/table-options.ts';

const rowArb = fc.record({
  p: fc.constantFrom('a', 'b', 'c'),
  id: fc.integer({ min: 0, max: 9 }),
  ts: fc.integer({ min: 0, max: 5 }),
  v: fc.string({ minLength: 0, maxLength: 3 }),
  del: fc.integer({ min: 0, max: 6 }).map((n) => n === 0),
});
const batchArb = fc.record({
  op: fc.constantFrom<ModelOp>('upsert', 'upsert', 'upsert', 'insert', 'delete'),
  rows: fc.array(rowArb, { minLength: 1, maxLength: 12 }),
});
const scenarioArb = fc.record({
  smallFiles: fc.boolean(),
  textKeys: fc.boolean(),
  batches: fc.array(batchArb, { minLength: 1, maxLength: 6 }),
});

const canon = (rows: ReadonlyArray<Pick<StoredRow, 'p' | 'id' | 'ts' | 'v' | 'commit'>>): string[] =>
  rows.map((r) => JSON.stringify([r.p, r.id, r.ts, r.v, r.commit])).sort();

describe('copy-on-write semantics against an in-memory model', () => {
  let tm: Tidemark;
  let root: string;
  useEngine('model', (e) => ({ tm, dir: root } = e));

  it('matches the model at every instant', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(scenarioArb, async ({ smallFiles, textKeys, batches }) => {
        const base = path.join(root, `t${run++}`);
        const model = new CowModel();
        const instants: string[] = [];
        const create = tableOptions('model', {
          partitionFields: ['p'],
          // 4 KB files hold 4 records at Hudi's 1 KB estimate: many file groups per partition.
          ...(smallFiles ? { maxFileSize: 4096, smallFileLimit: 1024 } : {}),
        });
        // The first batch always creates the table with every column.
        const all: Array<{ op: ModelOp; rows: ModelRow[] }> = [{ op: 'insert', rows: [{ p: 'a', id: 100, ts: 0, v: 'seed', del: false }] }, ...batches];
        for (const { op, rows } of all) {
          const input = { rows: rows.map((r) => ({ id: textKeys ? String(r.id) : r.id, ts: r.ts, p: r.p, v: r.v, _hoodie_is_deleted: r.del })) };
          const result = await tm.write(base, input, { operation: op, create });
          const candidate = result.instant ?? `${'9'.repeat(17)}`;
          const changed = model.apply(op, rows, candidate);
          expect(result.instant !== undefined).toBe(changed);
          if (result.instant !== undefined) instants.push(result.instant);
        }
        const read = async (opts: object): Promise<string[]> =>
          canon((await tm.read(base, { ...opts, columns: ['p', 'id', 'ts', 'v', '_hoodie_commit_time'] })).map((r) => ({
            p: String(r.p), id: Number(r.id), ts: Number(r.ts), v: String(r.v), commit: String(r._hoodie_commit_time),
          })));
        for (const t of instants) expect(await read({ asOf: t })).toEqual(canon(model.snapshot(t)));
        expect(await read({})).toEqual(canon(model.snapshot(instants.at(-1)!)));
        const bounds = ['0', ...instants];
        for (let i = 0; i < bounds.length; i++) {
          for (let j = i + 1; j < bounds.length; j++) {
            expect(await read({ since: bounds[i], until: bounds[j] })).toEqual(canon(model.incremental(bounds[i]!.padEnd(17, '0'), bounds[j]!)));
          }
        }
      }),
      { numRuns: 25, endOnFailure: true },
    );
  });
});
