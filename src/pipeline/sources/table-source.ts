/**
 * An upstream Tidemark table, read incrementally: the window is a range of its commit instants,
 * and it ends at the upstream's latest completed commit, not at the clock. Writers of one table
 * commit one at a time (a commit is published before the next instant is taken), so instant order
 * is completion order and no commit can appear behind a watermark already passed. Rows keep Hudi's
 * meta columns, so a failed later step can name a value's record key and commit (`locate`).
 *
 * A backfill by data date (a `data-date` window, for a source with a `watermarkColumn`) is not a
 * commit range: the day's rows may have been written by any commit, so it reads the upstream's
 * current snapshot filtered by the column instead.
 */
import { InvalidArgumentError } from '../../errors.ts';
import { sqlIdent, sqlString } from '../../storage/duckdb/sql.ts';
import { parseInstantTime, formatInstantTime } from '../../time/clock.ts';
import type { TableSource } from '../definition.ts';
import { type Window, windowPredicate } from '../window.ts';
import type { Source, SourceContext } from './source.ts';

/** The UTC instant time of a date. */
export function instantOf(date: Date): string {
  return formatInstantTime(parseInstantTime('19700101000000000')!.plus({ milliseconds: date.getTime() }));
}

/** The date of an instant time. */
export function dateOf(instant: string): Date {
  return parseInstantTime(instant.slice(0, 17))!.toJSDate();
}

/** A `table` source. */
export class TableSourceReader implements Source {
  /** The last extract's commit range, `(since, until]`. */
  private range: { readonly since: string; readonly until: string } | undefined;
  /** The last extract's data-date filter, when it was a backfill by data date. */
  private dataFilter: string | undefined;

  constructor(private readonly def: TableSource, private readonly ctx: SourceContext) {}

  private async basePath(): Promise<string> {
    const base = await this.ctx.tablePath(this.def.table);
    if (base === undefined) throw new InvalidArgumentError(`source table ${this.def.table} is not registered (run its pipeline first, or \`tidemark table register\`)`, { value: this.def.table });
    return base;
  }

  async windowEnd(now: Date): Promise<Date> {
    let latest: string | undefined;
    try {
      latest = (await this.ctx.engine.table(await this.basePath())).timeline.latestCompletedWrite()?.time;
    } catch (error) {
      if (error instanceof InvalidArgumentError) throw error;
      return new Date(0); // registered but not yet written: nothing to read
    }
    if (latest === undefined) return new Date(0);
    const end = dateOf(latest);
    return end > now ? now : end;
  }

  async extract(window: Window, target: string): Promise<number | undefined> {
    const base = await this.basePath();
    this.range = undefined;
    this.dataFilter = undefined;
    if (window.basis === 'data-date') return this.extractDataDate(base, window, target);
    const since = window.start === null ? '0' : instantOf(window.start);
    const until = instantOf(window.end);
    if (window.start !== null && since >= until) return undefined;
    this.range = { since, until };
    const sql = this.def.changes === true ? await this.changeRows(base, window.start === null ? undefined : since, until) : await this.ctx.engine.readSql(base, { since, until });
    await this.ctx.engine.duck.run(`CREATE TABLE ${target} AS ${sql}`);
    const [r] = await this.ctx.engine.duck.rows(`SELECT count(*) AS n FROM ${target}`);
    return Number(r!.n);
  }

  /**
   * With `changes`: the upstream's change feed of (since, until], preimages dropped, each row marked
   * `_hoodie_is_deleted` when it is a delete, so an upsert of the rows applies the deletes too. A
   * first run (no `since`) reads the snapshot as of `until`, every row an insert.
   */
  private async changeRows(base: string, since: string | undefined, until: string): Promise<string> {
    const feed = since === undefined
      ? `SELECT *, 'insert' AS _change_type, _hoodie_commit_time AS _commit_time, row_number() OVER () AS _change_order FROM (${await this.ctx.engine.readSql(base, { asOf: until })})`
      : await this.ctx.engine.readSql(base, { changes: true, since, until });
    const marker = `_change_type = 'delete' AS _hoodie_is_deleted`;
    // An upstream that keeps a `_hoodie_is_deleted` column of its own has it replaced.
    const own = (await this.ctx.engine.duck.describe(feed)).names.includes('_hoodie_is_deleted');
    return `SELECT ${own ? `* REPLACE (${marker})` : `*, ${marker}`} FROM (${feed}) WHERE _change_type <> 'update_preimage' ORDER BY _change_order`;
  }

  /** The upstream's current rows whose watermark column is in the data-date window. */
  private async extractDataDate(base: string, window: Window, target: string): Promise<number | undefined> {
    const column = this.def.watermarkColumn;
    if (column === undefined) {
      throw new InvalidArgumentError(`a data-date window needs a watermarkColumn on the table source ${this.def.table}`, { value: this.def.table });
    }
    // Cast, so DATE, TIMESTAMP and ISO text columns all compare with the UTC day bounds.
    this.dataFilter = windowPredicate(`CAST(${sqlIdent(column)} AS TIMESTAMPTZ)`, window, (_, d) => `${sqlString(d.toISOString())}::TIMESTAMPTZ`);
    const sql = await this.ctx.engine.readSql(base, { where: this.dataFilter });
    await this.ctx.engine.duck.run(`CREATE TABLE ${target} AS ${sql}`);
    const [r] = await this.ctx.engine.duck.rows(`SELECT count(*) AS n FROM ${target}`);
    return Number(r!.n);
  }

  describe(): string {
    const what = `Tidemark table ${this.def.table}`;
    if (this.dataFilter !== undefined) return `${what} (current rows where ${this.dataFilter})`;
    return this.range === undefined ? what : `${what} (incremental read of commits after ${this.range.since} up to ${this.range.until})`;
  }

  /** The row's record key and the commit that wrote it (meta columns, when the read kept them). */
  async locate(target: string, predicate: string): Promise<string | undefined> {
    const duck = this.ctx.engine.duck;
    const names = new Set((await duck.describe(`SELECT * FROM ${target}`)).names);
    const meta = ['_hoodie_record_key', '_hoodie_commit_time', '_hoodie_file_name'].every((c) => names.has(c));
    const select = meta ? `${['_hoodie_record_key', '_hoodie_commit_time', '_hoodie_file_name'].map(sqlIdent).join(', ')}` : 'rowid AS r';
    const [hit] = await duck.rows(`SELECT ${select} FROM ${target} WHERE (${predicate}) ORDER BY rowid LIMIT 1`);
    if (hit === undefined) return undefined;
    if (!meta) return `row ${Number(hit.r) + 1} read from ${this.describe()}`;
    return `record key ${String(hit._hoodie_record_key)} of ${this.describe()}, written by commit ${String(hit._hoodie_commit_time)} in file ${String(hit._hoodie_file_name)}`;
  }
}
