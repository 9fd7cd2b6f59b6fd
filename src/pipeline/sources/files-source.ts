/**
 * Files matched by a glob. Without a watermark column, the window selects files by modification
 * time (new or rewritten since the last run); with one, every file is read and rows are kept by the
 * column's value.
 */
import path from 'node:path';
import { InvalidInputError, messageOf } from '../../errors.ts';
import { formatOf, readFilesSql } from '../../engine/input.ts';
import { sqlIdent, sqlString } from '../../storage/duckdb/sql.ts';
import type { FilesSource } from '../definition.ts';
import type { Window } from '../window.ts';
import type { Source, SourceContext } from './source.ts';

/** A `files` source. */
export class FilesSourceReader implements Source {
  constructor(private readonly def: FilesSource, private readonly ctx: SourceContext) {}

  async windowEnd(now: Date): Promise<Date> {
    return now;
  }

  private pattern(): string {
    const p = this.def.path.replaceAll('{warehouse}', this.ctx.warehouse);
    return path.resolve(p);
  }

  async extract(window: Window, target: string): Promise<number | undefined> {
    const duck = this.ctx.engine.duck;
    const matched = (await duck.column<string>(`SELECT file FROM glob(${sqlString(this.pattern())}) ORDER BY file`)).filter((f) => !path.basename(f).startsWith('.'));
    let files = matched;
    if (this.def.watermarkColumn === undefined) {
      const inWindow: string[] = [];
      for (const f of matched) {
        const st = await this.ctx.store.stat(f);
        if (st === undefined) continue;
        if ((window.start === null || st.modifiedMs > window.start.getTime()) && st.modifiedMs <= window.end.getTime()) inWindow.push(f);
      }
      files = inWindow;
    }
    if (files.length === 0) return undefined;
    const format = this.def.format ?? formatOf(files[0]!);
    if (format === undefined) throw new InvalidInputError(`cannot tell the format of ${files[0]}; give the source a format`, { file: files[0] });
    const filter =
      this.def.watermarkColumn === undefined
        ? ''
        : ` WHERE ${window.start === null ? '' : `${sqlIdent(this.def.watermarkColumn)} > ${sqlString(window.start.toISOString())}::TIMESTAMPTZ AND `}${sqlIdent(this.def.watermarkColumn)} <= ${sqlString(window.end.toISOString())}::TIMESTAMPTZ`;
    try {
      await duck.run(`CREATE TABLE ${target} AS SELECT * FROM ${readFilesSql(files, format)}${filter}`);
    } catch (error) {
      throw new InvalidInputError(`cannot read source files ${files.slice(0, 3).join(', ')}${files.length > 3 ? ', …' : ''}: ${messageOf(error)}`, { file: files[0], cause: error });
    }
    const [r] = await duck.rows(`SELECT count(*) AS n FROM ${target}`);
    return Number(r!.n);
  }
}
