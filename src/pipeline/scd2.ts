/**
 * History (`target.mode: 'scd2'`) targets: every version of a record kept with its validity
 * interval, as dbt snapshots and dlt's `scd2` keep them. Time travel is no substitute: the cleaner
 * deletes old file slices, and a version that lived between two commits was never visible anyway.
 *
 * The history table is an ordinary Hudi copy-on-write table keyed by (record key…, valid_from), so a
 * version is a row and the engine's upsert can both add versions and close them. Each run turns its
 * transform output into one batch of closes (stored rows rewritten with valid_to set and the current
 * flag off) and opens (new versions), computed in DuckDB from the batch and the stored latest
 * version of each key in it, then written as one upsert commit. It works the same for every source.
 *
 * The semantics follow dbt snapshots:
 * - valid_from is the precombine value when the target has one (dbt's timestamp strategy), else the
 *   run's window end (dbt's check strategy, whose valid_from is the snapshot's run time).
 * - A row changes its record when any non-key column differs from the latest version (the
 *   precombine column is one, so under the timestamp strategy a newer value is a new version, as in
 *   dbt). Closing sets valid_to to the new version's valid_from. An identical row opens nothing.
 * - A row marked deleted (`_hoodie_is_deleted` true, the engine's delete marker) closes the current
 *   version at its valid_from, as dbt's `hard_deletes: invalidate` does; it opens nothing.
 * - Rows not newer than the key's latest event (the current version's valid_from, or the valid_to
 *   of a closed one) are ignored, as dbt's timestamp strategy ignores rows not newer than the
 *   snapshot, and counted as skipped-as-older; an exact replay of the latest event counts as nothing.
 *   So a valid_from never repeats within a key, and a replayed window or lookback writes nothing.
 * - dbt takes one version per key per run (it snapshots the source's state). An incremental batch
 *   can hold several (a CDC feed, a query over a busy window): under the timestamp strategy each
 *   opens in precombine order, each closed by the next. Under the check strategy all would share
 *   one valid_from, so several different rows of one key fail the run; so do two different rows of
 *   one key with the same precombine value. Exact duplicate rows count once.
 *
 * dbt's `dbt_scd_id` and `dbt_updated_at` are not added: the history key (`_hoodie_record_key`, from
 * key and valid_from) identifies a version, and dbt_updated_at equals valid_from in both strategies.
 */
import { InvalidArgumentError, TableNotFoundError, messageOf } from '../errors.ts';
import { DELETE_MARKER, META_COLUMNS } from '../table/meta-fields.ts';
import type { Tidemark } from '../engine/tidemark.ts';
import { sqlIdent, sqlString } from '../storage/duckdb/sql.ts';
import { type PipelineDefinition, scd2Columns } from './definition.ts';
import type { Window } from './window.ts';

/** What the history batch does, by version. */
export interface HistoryBatch {
  /** The history table's record key: the target's, then the valid_from column. */
  readonly recordKey: ReadonlyArray<string>;
  /** Versions opened. */
  readonly inserted: number;
  /** Versions closed by a newer version. */
  readonly updated: number;
  /** Versions closed by a delete marker. */
  readonly deleted: number;
  /** Distinct rows not newer than their key's latest version (late data), ignored. */
  readonly skippedAsOlder: number;
  /** Rows of the batch to write: opens and closes. */
  readonly rows: number;
}

const SCRATCH = ['ev', 'cur', 'chain', 'flag', 'eff', 'rows'] as const;
/** The scratch tables of a history batch, in `schema` (a run's own, so concurrent runs never share them). */
type Scratch = Readonly<Record<(typeof SCRATCH)[number], string>>;
const scratchIn = (schema: string): Scratch => Object.fromEntries(SCRATCH.map((t) => [t, `${schema}.tm_scd2_${t}`])) as Scratch;

/** The history table's record key for a target: (key…, valid_from). */
export function historyKey(def: PipelineDefinition): string[] {
  return [...def.target.recordKey, scd2Columns(def.target).validFrom];
}

/**
 * Replaces the DuckDB table `output.table` of schema `output.schema` (the transform output; the
 * batch's scratch tables go in the same schema) with the history batch for the table
 * at `basePath`: the closes and opens one upsert commit applies. Reads the stored latest version of
 * the batch's keys through the engine (a full read of the table, filtered to those keys).
 */
export async function historyBatch(engine: Tidemark, def: PipelineDefinition, basePath: string, output: { readonly schema: string; readonly table: string }, window: Window): Promise<HistoryBatch> {
  const duck = engine.duck;
  const relation = `${output.schema}.${output.table}`;
  const t = scratchIn(output.schema);
  const cols = scd2Columns(def.target);
  const [VF, VT, CUR] = [cols.validFrom, cols.validTo, cols.current].map(sqlIdent) as [string, string, string];
  const keys = def.target.recordKey;
  const what = `the history (scd2) batch of pipeline ${def.name} for ${def.target.table}`;
  const fail = (message: string, cause?: unknown): never => {
    throw new InvalidArgumentError(`${what}: ${message}`, { table: def.target.table, value: def.name, ...(cause === undefined ? {} : { cause }) });
  };

  const names = (await duck.describe(`SELECT * FROM ${relation}`)).names;
  const hasMarker = names.includes(DELETE_MARKER);
  // Meta columns come along with `SELECT *` over a table source; the engine never takes them as data.
  const data = names.filter((n) => n !== DELETE_MARKER && !(META_COLUMNS as readonly string[]).includes(n));
  const clash = data.find((n) => n === cols.validFrom || n === cols.validTo || n === cols.current);
  if (clash !== undefined) fail(`the transform output has a column ${clash}, which the history table computes; rename it, or name the validity columns with target.scd2`);
  for (const k of keys) if (!data.includes(k)) fail(`the transform output has no record key column ${k}`);
  const precombine = def.target.precombine;
  if (precombine !== undefined && !data.includes(precombine)) fail(`the transform output has no precombine column ${precombine}`);
  const cmp = data.filter((n) => !keys.includes(n));
  const K = keys.map(sqlIdent).join(', ');
  const on = (a: string, b: string): string => keys.map((k) => `${a}.${sqlIdent(k)} = ${b}.${sqlIdent(k)}`).join(' AND ');
  const del = hasMarker ? `coalesce(CAST(${sqlIdent(DELETE_MARKER)} AS BOOLEAN), false)` : 'false';
  const vf = precombine !== undefined ? sqlIdent(precombine) : `CAST(${sqlString(window.end.toISOString())} AS TIMESTAMPTZ)`;
  const list = (xs: ReadonlyArray<string>): string => xs.map((x) => `, ${x}`).join('');

  try {
    await dropScratch(engine, t);
    // The batch's events: distinct rows, a delete's non-key columns cleared (it only closes).
    await duck.run(`CREATE TABLE ${t.ev} AS SELECT DISTINCT ${K}${list(cmp.map((c) => `CASE WHEN ${del} THEN NULL ELSE ${sqlIdent(c)} END AS ${sqlIdent(c)}`))},
      ${vf} AS __tm_vf, ${del} AS __tm_del FROM ${relation}`);
    await checkEvents(engine, t, keys, precombine, fail);

    const stored = await storedLatest(engine, def, basePath, cols, fail);
    if (stored === undefined) {
      await duck.run(`CREATE TABLE ${t.cur} AS SELECT ${K}${list(cmp.map(sqlIdent))}, __tm_vf AS ${VF}, __tm_vf AS ${VT}, true AS ${CUR} FROM ${t.ev} WHERE false`);
    } else {
      await duck.run(`CREATE TABLE ${t.cur} AS SELECT ${stored.columns.map(sqlIdent).join(', ')} FROM (${stored.sql}) h
        WHERE EXISTS (SELECT 1 FROM ${t.ev} e WHERE ${on('e', 'h')})
        QUALIFY row_number() OVER (PARTITION BY ${K} ORDER BY ${VF} DESC) = 1`);
    }
    const have = new Set(stored?.columns ?? [...keys, ...cmp]);
    const current = `coalesce(${CUR}, ${VT} IS NULL)`;
    const same = cmp.length === 0 ? 'true' : cmp.map((c) => `e.${sqlIdent(c)} IS NOT DISTINCT FROM c.${sqlIdent(c)}`).join(' AND ');
    // Each event classified against the key's latest stored version (`cur`): newer, a replay, or older.
    await duck.run(`CREATE TABLE ${t.chain} AS
      WITH cur AS (
        SELECT ${K}${list(cmp.map((c) => (have.has(c) ? sqlIdent(c) : `NULL AS ${sqlIdent(c)}`)))}, ${VF} AS __tm_vf, NOT ${current} AS __tm_del,
          CASE WHEN ${current} THEN ${VF} ELSE ${VT} END AS __tm_last
        FROM ${t.cur}),
      ev AS (
        SELECT e.*, CASE
          WHEN c.__tm_last IS NULL OR e.__tm_vf > c.__tm_last THEN 'new'
          WHEN e.__tm_vf = c.__tm_last AND CASE WHEN e.__tm_del THEN c.__tm_del ELSE NOT c.__tm_del AND ${same} END THEN 'same'
          ELSE 'older' END AS __tm_class
        FROM ${t.ev} e LEFT JOIN cur c ON ${on('e', 'c')})
      SELECT ${K}${list(cmp.map(sqlIdent))}, __tm_vf, __tm_del, 0 AS __tm_seq, 'cur' AS __tm_class FROM cur
      UNION ALL BY NAME
      SELECT ${K}${list(cmp.map(sqlIdent))}, __tm_vf, __tm_del, 1 AS __tm_seq, __tm_class FROM ev`);
    // Per key, in order: the state before each event (open or closed) and whether its columns differ.
    const ordered = `WINDOW w AS (PARTITION BY ${K} ORDER BY __tm_seq, __tm_vf)`;
    const changed = cmp.length === 0 ? 'false' : cmp.map((c) => `lag(${sqlIdent(c)}) OVER w IS DISTINCT FROM ${sqlIdent(c)}`).join(' OR ');
    await duck.run(`CREATE TABLE ${t.flag} AS SELECT *, coalesce(NOT lag(__tm_del) OVER w, false) AS __tm_prev_open, (${changed}) AS __tm_changed
      FROM ${t.chain} WHERE __tm_class IN ('cur', 'new') ${ordered}`);
    // Events that change something (a delete of an open version; a version after a closed state, or
    // differing from the open one), each ending the version before it.
    await duck.run(`CREATE TABLE ${t.eff} AS SELECT *, lead(__tm_vf) OVER w AS __tm_vt, coalesce(NOT lag(__tm_del) OVER w, false) AS __tm_closes
      FROM ${t.flag} WHERE __tm_seq = 0 OR CASE WHEN __tm_del THEN __tm_prev_open ELSE NOT __tm_prev_open OR __tm_changed END ${ordered}`);
    // Opens carry the batch's columns; closes the stored row whole (columns the batch lacks too).
    await duck.run(`CREATE TABLE ${t.rows} AS
      SELECT ${data.map(sqlIdent).join(', ')}, __tm_vf AS ${VF}, __tm_vt AS ${VT}, __tm_vt IS NULL AS ${CUR} FROM ${t.eff} WHERE __tm_seq = 1 AND NOT __tm_del
      UNION ALL BY NAME
      SELECT c.* EXCLUDE (${VT}, ${CUR}), f.__tm_vt AS ${VT}, false AS ${CUR}
      FROM ${t.cur} c JOIN ${t.eff} f ON ${on('c', 'f')} AND f.__tm_seq = 0 WHERE NOT f.__tm_del AND f.__tm_vt IS NOT NULL`);
    const [counts] = (await duck.plainRows(`SELECT
      (SELECT count(*) FROM ${t.eff} WHERE __tm_seq = 1 AND NOT __tm_del) AS inserted,
      (SELECT count(*) FROM ${t.eff} WHERE __tm_seq = 1 AND __tm_closes AND NOT __tm_del) AS updated,
      (SELECT count(*) FROM ${t.eff} WHERE __tm_seq = 1 AND __tm_closes AND __tm_del) AS deleted,
      (SELECT count(*) FROM ${t.chain} WHERE __tm_class = 'older') AS older,
      (SELECT count(*) FROM ${t.rows}) AS n`)) as [Record<string, bigint>];
    await duck.run(`DROP TABLE ${relation}; ALTER TABLE ${t.rows} RENAME TO ${output.table}`);
    return {
      recordKey: historyKey(def),
      inserted: Number(counts.inserted),
      updated: Number(counts.updated),
      deleted: Number(counts.deleted),
      skippedAsOlder: Number(counts.older),
      rows: Number(counts.n),
    };
  } catch (error) {
    if (error instanceof InvalidArgumentError && error.message.startsWith(what)) throw error;
    return fail(`cannot be computed: ${messageOf(error)}`, error);
  } finally {
    await dropScratch(engine, t);
  }
}

/** Fails a batch whose versions have no valid_from, or two different versions with the same one. */
async function checkEvents(engine: Tidemark, t: Scratch, keys: ReadonlyArray<string>, precombine: string | undefined, fail: (m: string) => never): Promise<void> {
  const K = keys.map(sqlIdent).join(', ');
  if (precombine !== undefined) {
    const [nulls] = await engine.duck.plainRows(`SELECT count(*) AS n FROM ${t.ev} WHERE __tm_vf IS NULL`);
    if (Number(nulls!.n) > 0) fail(`${String(nulls!.n)} rows have a NULL precombine value (${precombine}), so no valid_from`);
  }
  // Key values as DuckDB's text, as the checks' samples show them.
  const text = keys.map((k, i) => `CAST(${sqlIdent(k)} AS VARCHAR) AS k${i}`).join(', ');
  const [tie] = await engine.duck.plainRows(`SELECT ${text}, count(*) AS n FROM ${t.ev} GROUP BY ${K}, __tm_vf HAVING count(*) > 1 ORDER BY ${K} LIMIT 1`);
  if (tie !== undefined) {
    const key = keys.map((k, i) => `${k}=${String(tie[`k${i}`])}`).join(' ');
    const why = precombine === undefined ? 'the target has no precombine field to order them (check strategy: one version per key per run)' : `they have the same ${precombine}`;
    fail(`record ${key} has ${String(tie.n)} different versions in the batch with one valid_from: ${why}`);
  }
}

/**
 * The stored table's read and data columns, after checking it is a history table for this target;
 * undefined when the table does not exist yet.
 */
async function storedLatest(
  engine: Tidemark,
  def: PipelineDefinition,
  basePath: string,
  cols: { validFrom: string; validTo: string; current: string },
  fail: (m: string, cause?: unknown) => never,
): Promise<{ sql: string; columns: string[] } | undefined> {
  let state;
  try {
    state = await engine.table(basePath);
  } catch (error) {
    if (error instanceof TableNotFoundError) return undefined;
    throw error;
  }
  const expected = historyKey(def);
  if (state.config.recordKeyFields.join(',') !== expected.join(',')) {
    fail(`the table's record key is (${state.config.recordKeyFields.join(', ')}), not (${expected.join(', ')}): it was not created as this history table (an upsert target cannot become one in place)`);
  }
  const sql = await engine.readSql(basePath);
  const columns = (await engine.duck.describe(sql)).names.filter((n) => !(META_COLUMNS as readonly string[]).includes(n));
  for (const c of [cols.validFrom, cols.validTo, cols.current]) if (!columns.includes(c)) fail(`the stored table has no validity column ${c}`);
  return { sql, columns };
}

async function dropScratch(engine: Tidemark, t: Scratch): Promise<void> {
  await engine.duck.run(SCRATCH.map((name) => `DROP TABLE IF EXISTS ${t[name]};`).join(' '));
}
