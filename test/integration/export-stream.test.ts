/**
 * Streamed output of `read` and `sql` (issue #22): a result of any size goes to stdout or a file with
 * the CLI's memory bounded, stops quietly when its reader does, and prints values exactly as the
 * renderers always have. The large cases run the real binary (bin/tidemark.mjs, the compiled dist/)
 * on a 1M-row table and watch its peak RSS from /proc; the rest run the CLI in-process.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { columnsOf, renderCsv, renderJsonl } from '../../src/cli/output.ts';
import { copyThroughFifo, makeFifo } from '../../src/cli/stream-fifo.ts';
import type { Sink } from '../../src/cli/stream-sink.ts';
import type { Tidemark } from '../../src/engine/tidemark.ts';
import { useEngine } from '../support/engine.ts';

const BIN = fileURLToPath(new URL('../../bin/tidemark.mjs', import.meta.url));
const ROWS = 1_000_000;
const PAD = 'x'.repeat(850);
const GIB = 2 ** 30;

let tm: Tidemark;
let dir: string;
let big: string;
let small: string;
useEngine('export-stream', (s) => ({ tm, dir } = s));

/** Runs the CLI in-process and captures what it prints (an io without `write`: text through `stdout`). */
async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { stdout: (s) => void (out += s), stderr: (s) => void (err += s) });
  return { code, out, err };
}

/** What row `i` of the large table holds, as the CLI prints it. */
function expectedRow(i: number): Record<string, unknown> {
  const cents = i % 100_000;
  const micros = Date.UTC(2024, 0, 1) * 1000 + i * 1001;
  const iso = new Date(Math.floor(micros / 1000)).toISOString();
  return {
    id: i,
    big: String(9007199254740993n + BigInt(i)),
    price: `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`,
    ts: `${iso.slice(0, 23)}${String(micros % 1000).padStart(3, '0')}Z`,
    name: `name ${i}${i % 7 === 0 ? ', with "quotes"' : ''}`,
    pad: PAD,
    part: `p${i % 4}`,
  };
}

/** The large table (DuckDB writes the rows to Parquet from range(); the engine bulk-inserts the file) and a small one. */
async function tables(): Promise<void> {
  if (big !== undefined) return;
  const file = path.join(dir, 'rows.parquet');
  const duck = await DuckDBInstance.create(':memory:');
  const c = await duck.connect();
  await c.run(`COPY (SELECT i AS id, 9007199254740993 + i AS big, (i % 100000 * 0.01)::DECIMAL(12,2) AS price,
      TIMESTAMP '2024-01-01' + to_microseconds(i * 1001) AS ts,
      'name ' || i || CASE WHEN i % 7 = 0 THEN ', with "quotes"' ELSE '' END AS name, '${PAD}' AS pad, 'p' || (i % 4) AS part
    FROM range(${ROWS}) r(i)) TO '${file}' (FORMAT parquet)`);
  c.closeSync();
  duck.closeSync();
  big = path.join(dir, 'big');
  await tm.write(big, { file }, { operation: 'bulk_insert', create: { name: 'big', recordKeyFields: ['id'], partitionFields: ['part'] } });
  small = path.join(dir, 'small');
  const rows = Array.from({ length: 60 }, (_, i) => ({ id: i, name: `n${i}`, amount: i * 1.5 }));
  await tm.write(small, { rows }, { operation: 'insert', create: { name: 'small', recordKeyFields: ['id'] } });
}

/** The binary, its stdout piped to this process; `onData` sees each chunk and returns false to stop reading (closing the pipe). */
async function runBinary(args: string[], onData: (chunk: Buffer) => boolean): Promise<{ code: number | null; err: string; peakRss: number }> {
  const child: ChildProcess = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (b: Buffer) => void (err += b.toString()));
  let peakRss = 0;
  const sample = (): void => {
    try {
      const m = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m !== null) peakRss = Math.max(peakRss, Number(m[1]) * 1024);
    } catch {
      // the process has exited between two samples
    }
  };
  const timer = setInterval(sample, 20);
  child.stdout!.on('data', (chunk: Buffer) => {
    sample();
    if (!onData(chunk)) child.stdout!.destroy();
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  clearInterval(timer);
  return { code, err, peakRss };
}

/** Reads the binary's whole output: lines, bytes, the first and last lines, and the lines that begin with `starts` (counted). */
async function readAll(args: string[]): Promise<{ code: number | null; err: string; peakRss: number; lines: number; bytes: number; first: string; last: string }> {
  let lines = 0;
  let bytes = 0;
  let first = '';
  let tail = '';
  const r = await runBinary(args, (chunk) => {
    bytes += chunk.length;
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
    // Lines are ASCII here: byte-wise slicing cannot split a character.
    if (first.length < 4096) first += chunk.subarray(0, 4096).toString('latin1');
    tail = (tail + chunk.subarray(Math.max(0, chunk.length - 4096)).toString('latin1')).slice(-8192);
    return true;
  });
  const all = tail.split('\n');
  return { ...r, lines, bytes, first: first.split('\n')[0]!, last: all[all.length - 2]! };
}

describe.skipIf(process.platform !== 'linux')('a 1M-row table through the real binary', () => {
  it('a reader that stops after 2 lines ends the export at once: exit 0, nothing on stderr, little memory', async () => {
    await tables();
    for (const format of ['csv', 'jsonl']) {
      let text = '';
      const r = await runBinary(['read', big, '--format', format], (chunk) => {
        text += chunk.toString('utf8');
        return text.split('\n').length <= 2;
      });
      expect({ format, code: r.code, err: r.err }).toEqual({ format, code: 0, err: '' });
      expect(r.peakRss).toBeGreaterThan(0);
      expect(r.peakRss).toBeLessThan(0.5 * GIB);
      const lines = text.split('\n');
      if (format === 'jsonl') expect(JSON.parse(lines[0]!)).toMatchObject(expectedRow(Number((JSON.parse(lines[0]!) as { id: number }).id)));
      else expect(lines[0]).toBe('_hoodie_commit_time,_hoodie_commit_seqno,_hoodie_record_key,_hoodie_partition_path,_hoodie_file_name,id,big,price,ts,name,pad,part\r');
    }
    // And through a shell pipeline into head, as a user types it.
    const out = execFileSync('bash', ['-c', `set -o pipefail; "${process.execPath}" "${BIN}" read "${big}" --format jsonl --columns id,name | head -2`], { encoding: 'utf8' });
    expect(out.trim().split('\n')).toHaveLength(2);
  });

  it('csv and jsonl stream every row with exact values, in memory far below the output', async () => {
    await tables();
    for (const format of ['csv', 'jsonl'] as const) {
      const r = await readAll(['read', big, '--format', format]);
      expect({ format, code: r.code, err: r.err }).toEqual({ format, code: 0, err: '' });
      expect(r.lines).toBe(format === 'csv' ? ROWS + 1 : ROWS);
      expect(r.bytes).toBeGreaterThan(1e9);
      expect(r.peakRss).toBeGreaterThan(0);
      expect(r.peakRss).toBeLessThan(GIB);
      expect(r.peakRss).toBeLessThan(0.6 * r.bytes);
      if (format === 'jsonl') {
        for (const line of [r.first, r.last]) {
          const row = JSON.parse(line) as Record<string, unknown>;
          expect(row).toEqual({ ...expectedRow(row.id as number), _hoodie_commit_time: expect.any(String), _hoodie_commit_seqno: expect.any(String), _hoodie_record_key: String(row.id), _hoodie_partition_path: row.part, _hoodie_file_name: expect.any(String) });
        }
        // Beyond 2^53: a string, digit for digit; DECIMAL with its scale.
        expect(r.first).toMatch(/"big":"900719925\d{7}","price":"\d+\.\d\d"/);
      } else {
        const fields = r.last.replace(/\r$/, '').split(',');
        const e = expectedRow(Number(fields[5]));
        expect(fields.slice(5, 9)).toEqual([String(e.id), e.big, e.price, e.ts]);
      }
    }
  });
});

describe('streamed output in-process', () => {
  it('the table format previews 50 rows, says when there are more, and hides _hoodie_ columns unless --meta', async () => {
    await tables();
    const preview = await cli('read', small);
    expect(preview.code).toBe(0);
    const lines = preview.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^id +name +amount$/);
    expect(lines).toHaveLength(2 + 50 + 1);
    expect(lines.at(-1)).toBe('(50 rows shown; more rows not shown: raise --limit, or export them all with --format csv, jsonl or parquet)');
    const limited = (await cli('read', small, '--limit', '3', '--meta')).out.trimEnd().split('\n');
    expect(limited[0]).toMatch(/^_hoodie_commit_time +_hoodie_commit_seqno +_hoodie_record_key +_hoodie_partition_path +_hoodie_file_name +id +name +amount$/);
    expect(limited).toHaveLength(2 + 3 + 1);
    expect(limited.at(-1)).toMatch(/^\(3 rows shown; more rows not shown/);
    // All rows fit: the plain count; named columns are shown, meta or not.
    const all = (await cli('read', small, '--limit', '60', '--columns', '_hoodie_record_key,id')).out.trimEnd().split('\n');
    expect(all[0]).toMatch(/^_hoodie_record_key +id$/);
    expect(all.at(-1)).toBe('(60 rows)');
    // sql previews alike; csv and jsonl keep every row and column.
    const sql = (await cli('sql', `SELECT * FROM tidemark_scan('${small}') ORDER BY id DESC`)).out.trimEnd().split('\n');
    expect(sql[0]).toMatch(/^id +name +amount$/);
    expect(sql[2]).toMatch(/^59 +n59 +88.5$/);
    expect(sql).toHaveLength(2 + 50 + 1);
    const jsonl = (await cli('read', small, '--format', 'jsonl')).out.trim().split('\n');
    expect(jsonl).toHaveLength(60);
    expect(Object.keys(JSON.parse(jsonl[0]!) as object)).toContain('_hoodie_commit_time');
  });

  it('sql --limit keeps the query order; --output writes the same text as stdout; parquet round-trips', async () => {
    await tables();
    const q = `SELECT id, name, amount FROM tidemark_scan('${small}') ORDER BY id DESC`;
    expect((await cli('sql', q, '--format', 'jsonl', '--limit', '3')).out).toBe('{"id":59,"name":"n59","amount":88.5}\n{"id":58,"name":"n58","amount":87}\n{"id":57,"name":"n57","amount":85.5}\n');
    for (const format of ['csv', 'jsonl']) {
      const file = path.join(dir, `out.${format}`);
      const stdout = await cli('read', small, '--format', format, '--where', 'id < 10');
      expect(await cli('read', small, '--format', format, '--where', 'id < 10', '--output', file)).toEqual({ code: 0, out: '', err: '' });
      expect(fs.readFileSync(file, 'utf8')).toBe(stdout.out);
    }
    const file = path.join(dir, 'big.parquet');
    expect(await cli('read', big, '--format', 'parquet', '--output', file, '--where', "part = 'p1'")).toEqual({ code: 0, out: '', err: '' });
    const duck = await DuckDBInstance.create(':memory:');
    const c = await duck.connect();
    const [summary] = (await c.runAndReadAll(`SELECT count(*)::INTEGER AS n, min(id)::INTEGER AS lo, max(big)::VARCHAR AS hi, any_value(typeof(price)) AS t FROM '${file}'`)).getRowObjectsJson();
    const columns = (await c.runAndReadAll(`DESCRIBE SELECT * FROM '${file}'`)).getRowObjectsJson().map((r) => r.column_name);
    c.closeSync();
    duck.closeSync();
    expect(summary).toEqual({ n: ROWS / 4, lo: 1, hi: String(9007199254740993n + BigInt(ROWS - 3)), t: 'DECIMAL(12,2)' });
    expect(columns).toEqual(['_hoodie_commit_time', '_hoodie_commit_seqno', '_hoodie_record_key', '_hoodie_partition_path', '_hoodie_file_name', 'id', 'big', 'price', 'ts', 'name', 'pad', 'part']);
    // No temporary file is left beside the outputs.
    expect(fs.readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it('an export that fails leaves no --output file; bad --output combinations are usage errors', async () => {
    await tables();
    const file = path.join(dir, 'failed.csv');
    const failed = await cli('sql', `SELECT CASE WHEN id = 900000 THEN error('boom') ELSE id END AS x FROM tidemark_scan('${big}')`, '--format', 'csv', '--output', file);
    expect(failed.code).toBe(2);
    expect(failed.err).toMatch(/^tidemark: the SQL statement failed: Invalid Input Error: boom/);
    expect(fs.readdirSync(dir).filter((f) => f.includes('failed'))).toEqual([]);
    const parquet = await cli('read', small, '--format', 'parquet');
    expect([parquet.code, parquet.err]).toEqual([2, 'tidemark: --format parquet needs --output FILE\n']);
    const table = await cli('read', small, '--output', path.join(dir, 'x.txt'));
    expect(table.code).toBe(2);
    expect(table.err).toMatch(/--output needs --format csv, jsonl or parquet/);
    const missing = await cli('read', small, '--format', 'csv', '--output', path.join(dir, 'no', 'such', 'x.csv'));
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/cannot write --output .*x\.csv/);
  });

  it('streamed text is byte for byte what the renderers print, on every type DuckDB renders and on those JavaScript does', async () => {
    const values = `SELECT * FROM (VALUES
      (1, 9007199254740993::BIGINT, -9007199254740993::BIGINT, 9007199254740992::BIGINT, 170141183460469231731687303715884105727::HUGEINT, 18446744073709551615::UBIGINT,
       0.5::DECIMAL(3,3), (-0.5)::DECIMAL(3,3), 12345.67890::DECIMAL(12,5), (-0.05)::DECIMAL(4,2), 12::DECIMAL(5,0),
       'nan'::DOUBLE, 0.1::FLOAT, 1e21::DOUBLE, 1e-7::DOUBLE, -0.0::DOUBLE, 123456789012345680000::DOUBLE, 5e-324::DOUBLE, 3.4028235e38::FLOAT,
       'q "x" \\ y' || chr(0) || chr(1) || chr(8) || chr(9) || chr(10) || chr(11) || chr(13) || chr(31) || chr(127) || ', é😀' || chr(8232), '',
       DATE '2024-01-02', TIMESTAMP '2024-01-01 10:00:00.123456', TIMESTAMPTZ '2024-01-01 12:00:00+02', '2024-01-01 10:00:00.123'::TIMESTAMP_MS, '2024-01-01 10:00:01'::TIMESTAMP_S,
       'infinity'::DATE, '-infinity'::TIMESTAMP, DATE '0001-01-01' - 400, TIMESTAMP '9999-12-31 23:59:59' + INTERVAL 400 DAY,
       '\\x01\\x02\\xff'::BLOB, true, '6cd8e764-efe0-4678-b6a6-2ac73d637d18'::UUID, [1, NULL, 3], [['a,b', NULL], []]::VARCHAR[][], [1, 2]::INTEGER[2],
       {'b': 1, '2': 'x', '10': [1.5, NULL], 'a': {'z': DATE '2024-01-01'}}, NULL, 'x'::ENUM('x', 'y')),
      (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'inf'::DOUBLE, '-inf'::FLOAT, 0::DOUBLE, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, false, NULL, NULL, NULL, NULL, NULL, NULL, NULL)
    ) t(id, big, nbig, edge, huge, ubig, d33, nd33, dec, ndec, d0, nan, flt, e21, em7, nz, bigd, tiny, fmax, s, empty, d, ts, tz, tms, tsec,
        dinf, tinf, dbc, tbig, bin, b, u, l, ll, arr, st, n, e)`;
    const cases = [
      values,
      // Column order as rows have it: integer-like names first; duplicate names told apart (a, a:1).
      `SELECT 1 AS b, 2 AS "1", 3 AS a, 4 AS a, 'x,y' AS "we,ird""", NULL AS "__proto__"`,
      // Types without a SQL rule: rows converted in JavaScript, chunk by chunk.
      `SELECT MAP {'a': 1, '2': 2} AS m, INTERVAL 1 DAY AS i, TIME '10:00:00' AS t, 'x' AS s FROM range(3000)`,
      `SELECT range AS id FROM range(5000) ORDER BY id DESC`,
    ];
    for (const statement of cases) {
      const rows = await tm.sql(statement);
      const csv = await cli('sql', statement, '--format', 'csv');
      const jsonl = await cli('sql', statement, '--format', 'jsonl');
      expect([csv.code, csv.err, jsonl.code, jsonl.err]).toEqual([0, '', 0, '']);
      expect(jsonl.out).toBe(renderJsonl(rows));
      expect(csv.out).toBe(renderCsv(rows, columnsOf(rows)));
    }
    // An empty result still has its header.
    expect((await cli('sql', 'SELECT 1 AS x, 2 AS y WHERE false', '--format', 'csv')).out).toBe('x,y\r\n');
  });

  it.skipIf(process.platform === 'win32')('the pipe between DuckDB and the sink: stops early, fails fast on either side, never waits forever', async () => {
    const sink = (write: Sink['write']): Sink => ({ write, finish: async () => undefined, abort: async () => undefined });
    const lines = (target: string): string => `COPY (SELECT range::VARCHAR AS line FROM range(20000000)) TO '${target}' (FORMAT csv, HEADER false, USE_TMP_FILE false)`;
    const cases: Array<[string, (fifo: string) => string, Sink, (p: Promise<boolean>) => Promise<void>]> = [
      ['the reader goes away', lines, sink(async () => false), async (p) => expect(await p).toBe(false)],
      ['the sink fails', lines, sink(async () => Promise.reject(new Error('disk full'))), async (p) => void (await expect(p).rejects.toThrow('disk full'))],
      ['the COPY fails before it opens the pipe', (t) => `COPY (SELECT 1) TO '${t}' (FORMAT nonsense)`, sink(async () => true), async (p) => void (await expect(p).rejects.toThrow(/nonsense/))],
    ];
    for (const [what, copy, out, check] of cases) {
      const fifo = makeFifo()!;
      try {
        await check(copyThroughFifo(tm.duck, fifo, copy, out));
      } finally {
        fifo.remove();
      }
      expect(fs.existsSync(path.dirname(fifo.path)), what).toBe(false);
      // The session goes on working: nothing is left running on its connections.
      expect(await tm.duck.rows('SELECT 42 AS x'), what).toEqual([{ x: 42 }]);
    }
  });
});

