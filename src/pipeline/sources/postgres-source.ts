/**
 * A PostgreSQL table or query: rows whose watermark column is in the window (the classic
 * "updated_at > last run"). Rows are fetched through a cursor as PostgreSQL's own text, so nothing
 * is rounded on the way (no JavaScript Dates or floats), then cast in DuckDB to types declared from
 * the columns' PostgreSQL types. A backfill's data-date window keeps the rows whose column falls on
 * its day (start inclusive, end exclusive). The staged table keeps the fetch order, so a failed later step can
 * name a value's row in the query's result (`locate`).
 */
import pg from 'pg';
import { writeRowFile } from '../../storage/row-files.ts';
import { InvalidInputError, messageOf } from '../../errors.ts';
import { sqlIdent, sqlString } from '../../storage/duckdb/sql.ts';
import type { PostgresSource } from '../definition.ts';
import { type Window, windowPredicate } from '../window.ts';
import type { Source, SourceContext } from './source.ts';

const FETCH = 10_000;

/** DuckDB type for a PostgreSQL type OID (and type modifier, for numeric). */
export function duckTypeOfPg(oid: number, modifier: number): string {
  switch (oid) {
    case 16: return 'BOOLEAN';
    case 20: case 26: return 'BIGINT';
    case 21: return 'SMALLINT';
    case 23: return 'INTEGER';
    case 700: return 'FLOAT';
    case 701: return 'DOUBLE';
    case 1700: {
      if (modifier < 4) return 'DOUBLE'; // unconstrained numeric: no fixed scale to keep
      const precision = ((modifier - 4) >> 16) & 0xffff;
      const scale = (modifier - 4) & 0xffff;
      return precision <= 38 ? `DECIMAL(${precision}, ${scale})` : 'DOUBLE';
    }
    case 1082: return 'DATE';
    case 1114: case 1184: return 'TIMESTAMPTZ'; // timestamp without time zone is read as UTC
    default: return 'VARCHAR';
  }
}

/** Quotes a possibly schema-qualified PostgreSQL name (`sales.orders`). */
function pgName(name: string): string {
  return name.split('.').map((p) => `"${p.replaceAll('"', '""')}"`).join('.');
}

/** A `postgres` source. */
export class PostgresSourceReader implements Source {
  /** The last extract's query, its window inlined (for messages, not to run). */
  private query: string | undefined;

  constructor(private readonly def: PostgresSource, private readonly ctx: SourceContext) {}

  async windowEnd(now: Date): Promise<Date> {
    return now;
  }

  async extract(window: Window, target: string): Promise<number | undefined> {
    const client = new pg.Client({ connectionString: this.def.url, types: { getTypeParser: () => (v: string) => v } });
    const what = this.def.table ?? 'the source query';
    // The rows' copy is private to the user and named with the pid (removed by a later engine if this process dies).
    const file = await writeRowFile('');
    try {
      await client.connect();
      await client.query(`SET TIME ZONE 'UTC'`);
      await client.query('BEGIN READ ONLY');
      const from = this.def.table !== undefined ? pgName(this.def.table) : `(${this.def.query}) AS source_query`;
      const col = pgName(this.def.watermarkColumn);
      // The column's values in the window: (start, end], or [start, end) for a backfill's data-date day.
      const params: string[] = [window.end.toISOString(), ...(window.start === null ? [] : [window.start.toISOString()])];
      const where = windowPredicate(col, window, (which) => (which === 'end' ? '$1::timestamptz' : '$2::timestamptz'));
      const select = `SELECT * FROM ${from} WHERE ${where}`;
      this.query = params.reduce((q, p, i) => q.replaceAll(`$${i + 1}`, `'${p}'`), select);
      await client.query(`DECLARE tidemark_source NO SCROLL CURSOR FOR ${select}`, params);
      await this.ctx.store.append(file, '');
      let fields: pg.FieldDef[] | undefined;
      let rows = 0;
      for (;;) {
        const batch = await client.query(`FETCH ${FETCH} FROM tidemark_source`);
        fields ??= batch.fields;
        if (batch.rows.length === 0) break;
        rows += batch.rows.length;
        await this.ctx.store.append(file, batch.rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
      }
      await client.query('COMMIT');
      if (fields === undefined || fields.length === 0) return undefined;
      const typed = fields.map((f) => {
        const t = duckTypeOfPg(f.dataTypeID, f.dataTypeModifier);
        const v = sqlIdent(f.name);
        return t === 'BOOLEAN' ? `(${v} IN ('t', 'true')) AS ${v}` : `CAST(${v} AS ${t}) AS ${v}`;
      });
      const columns = `{${fields.map((f) => `${sqlString(f.name)}: 'VARCHAR'`).join(', ')}}`;
      const source = rows === 0 ? `(SELECT ${fields.map((f) => `NULL::VARCHAR AS ${sqlIdent(f.name)}`).join(', ')} WHERE false)` : `read_json(${sqlString(file)}, format = 'newline_delimited', columns = ${columns})`;
      await this.ctx.engine.duck.run(`CREATE TABLE ${target} AS SELECT ${typed.join(', ')} FROM ${source}`);
      return rows;
    } catch (error) {
      throw new InvalidInputError(`reading ${what} from PostgreSQL failed: ${messageOf(error)}`, { value: what, cause: error });
    } finally {
      // Closing is cleanup after the outcome is decided; a failure to close must not hide that outcome.
      await client.end().catch(() => undefined);
      await this.ctx.store.remove(file);
    }
  }

  describe(): string {
    const what = this.def.table !== undefined ? `PostgreSQL table ${this.def.table}` : 'a PostgreSQL query';
    return this.query === undefined ? what : `${what} (query: ${this.query})`;
  }

  /** The row's number in the query's result, and its watermark value (the result has no order of its own to point to). */
  async locate(target: string, predicate: string): Promise<string | undefined> {
    const col = sqlIdent(this.def.watermarkColumn);
    const [hit] = await this.ctx.engine.duck.rows(`SELECT rowid AS r, CAST(${col} AS VARCHAR) AS w FROM ${target} WHERE (${predicate}) ORDER BY rowid LIMIT 1`);
    if (hit === undefined) return undefined;
    return `row ${Number(hit.r) + 1} (${this.def.watermarkColumn} = ${hit.w === null ? 'NULL' : String(hit.w)}) fetched from ${this.describe()}`;
  }
}
