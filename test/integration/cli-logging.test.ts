/**
 * Logs, progress and output streams of the real `tidemark` command (bin/tidemark.mjs, running
 * dist/): data on stdout and everything else on stderr; `--log-format json` one JSON object per
 * line, `pretty` one line per event; `--quiet` and `--log-level`; NO_COLOR; a bad metastore URL
 * that leaves stdout empty and says one thing on stderr; `write`'s summary; the progress line,
 * on a pseudo-terminal (`script`) when there is one, and never when stderr is piped.
 */
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { PG_URL, postgresAvailable } from '../support/postgres.ts';
import { useTempDir } from '../support/temp-dir.ts';

const BIN = fileURLToPath(new URL('../../bin/tidemark.mjs', import.meta.url));
const root = useTempDir('logging');
const warehouse = path.join(root, 'warehouse');
const catalog = path.join(root, 'catalog');
const brokenCatalog = path.join(root, 'catalog-broken');
const landing = path.join(root, 'landing');

interface Run {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

type Env = Record<string, string | undefined>;

/** The test process's environment without what would change the CLI's logging or its metastore. */
function childEnv(extra: Env = {}): NodeJS.ProcessEnv {
  const env: Env = { ...process.env };
  for (const name of ['TIDEMARK_METASTORE_URL', 'TIDEMARK_LOG_LEVEL', 'TIDEMARK_LOG_FORMAT', 'TIDEMARK_PROGRESS_DELAY_MS', 'TIDEMARK_DEBUG', 'FORCE_COLOR', 'NO_COLOR']) delete env[name];
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env as NodeJS.ProcessEnv;
}

/** Runs the real CLI with stdout and stderr piped (not terminals). */
function tidemark(args: ReadonlyArray<string>, env: Env = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, ...args], { cwd: root, env: childEnv(env), encoding: 'utf8', maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      if (error !== null && typeof error.code !== 'number') reject(error);
      else resolve({ code: error === null ? 0 : (error.code as number), out: stdout, err: stderr });
    });
  });
}

const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Runs the real CLI on a pseudo-terminal (util-linux `script`): stdout and stderr are one terminal,
 * read back as one text with `\n` line ends. Not under CI, whose variable turns progress off.
 */
function onTerminal(args: ReadonlyArray<string>, env: Env = {}): Promise<{ code: number; text: string }> {
  const command = [process.execPath, BIN, ...args].map(shellQuote).join(' ');
  return new Promise((resolve, reject) => {
    execFile('script', ['-qec', command, '/dev/null'], { cwd: root, env: childEnv({ CI: undefined, TERM: 'xterm', ...env }), encoding: 'utf8', maxBuffer: 64 << 20 }, (error, stdout) => {
      if (error !== null && typeof error.code !== 'number') reject(error);
      else resolve({ code: error === null ? 0 : (error.code as number), text: stdout.replace(/\r\n/g, '\n') });
    });
  });
}

const at = ['--warehouse', warehouse, '--catalog', catalog];
const lines = (text: string): string[] => text.split('\n').filter((l) => l !== '');
const SGR = /\x1b\[[0-9;]*m/;
const ANY_ESCAPE = /\x1b/;
/** A pretty event line: `[HH:MM:ss.l] LEVEL: message {fields}`. */
const PRETTY_EVENT = /^\[\d{2}:\d{2}:\d{2}\.\d{3}\] (TRACE|DEBUG|INFO|WARN|ERROR|FATAL): /;

beforeAll(async () => {
  for (const dir of [catalog, brokenCatalog, landing]) fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(landing, 'day1.jsonl'), [1, 2, 3].map((id) => JSON.stringify({ id, ts: id, kind: 'a' })).join('\n') + '\n');
  const events = { name: 'events', source: { kind: 'files', path: path.join(landing, '*.jsonl'), format: 'json' }, target: { table: 'app.events', recordKey: ['id'], precombine: 'ts' } };
  // Fails in its transform, with DuckDB's multi-line binder error.
  const failing = { name: 'failing', source: { kind: 'files', path: path.join(landing, '*.jsonl'), format: 'json' }, transform: 'SELECT missing_column FROM source', target: { table: 'app.failing', recordKey: ['id'] } };
  fs.writeFileSync(path.join(catalog, 'events.mjs'), `export default ${JSON.stringify(events)};\n`);
  fs.writeFileSync(path.join(catalog, 'failing.mjs'), `export default ${JSON.stringify(failing)};\n`);
  fs.writeFileSync(path.join(brokenCatalog, 'events.mjs'), `export default ${JSON.stringify(events)};\n`);
  fs.writeFileSync(path.join(brokenCatalog, 'broken.mjs'), 'export default {,};\n');
  // The warehouse and its embedded metastore.
  const first = await tidemark([...at, '--quiet', 'daily-run', '--all']);
  expect(first.code, first.err).toBe(1); // `failing` failed
  const csv = ['id,part,v'];
  for (let i = 0; i < 3000; i++) csv.push(`${i},p${i % 3},${i * 2}`);
  fs.writeFileSync(path.join(root, 'rows.csv'), csv.join('\n') + '\n');
});

describe('log formats', () => {
  it('--log-format json: one JSON object per line on stderr, data alone on stdout; the default when stderr is not a terminal', async () => {
    for (const flags of [['--log-format', 'json'], []]) {
      const r = await tidemark([...at, ...flags, 'daily-run', '--all']);
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/^pipeline +status/);
      expect(r.out).toMatch(/^1 pipeline\(s\) FAILED$/m);
      const records = lines(r.err).map((line) => JSON.parse(line) as { level: number; msg: string; pipeline?: string });
      expect(records.filter((e) => e.msg === 'run started').map((e) => e.pipeline).sort()).toEqual(['events', 'failing']);
      expect(records.find((e) => e.msg === 'run failed')).toMatchObject({ level: 50, pipeline: 'failing' });
    }
  });

  it('--log-format pretty: one line per event, a multi-line error included; no colour when stderr is not a terminal', async () => {
    const r = await tidemark([...at, '--log-format', 'pretty', 'daily-run', '--all']);
    expect(r.code).toBe(1);
    const events = lines(r.err);
    for (const line of events) expect(line).toMatch(PRETTY_EVENT);
    expect(events.filter((l) => l.includes('INFO: run started'))).toHaveLength(2);
    const failed = events.find((l) => l.includes('ERROR: run failed'));
    expect(failed).toMatch(/missing_column/);
    expect(r.err).not.toMatch(ANY_ESCAPE);
    // FORCE_COLOR colours it anyway.
    const forced = await tidemark([...at, '--log-format', 'pretty', 'daily-run', '--all'], { FORCE_COLOR: '1' });
    expect(forced.err).toMatch(SGR);
    for (const line of lines(forced.err)) expect(line.replace(new RegExp(SGR.source, 'g'), '')).toMatch(PRETTY_EVENT);
  });
});

describe('levels', () => {
  it('--quiet hides info, keeps errors; --log-level error hides them too but not errors; silent hides all', async () => {
    const quiet = await tidemark([...at, '--quiet', '--log-format', 'json', 'daily-run', '--all']);
    expect(quiet.out).toMatch(/^pipeline +status/);
    const levels = lines(quiet.err).map((l) => (JSON.parse(l) as { level: number }).level);
    expect(levels.length).toBeGreaterThan(0);
    expect(levels.every((level) => level >= 40)).toBe(true);
    const silent = await tidemark([...at, '--log-level', 'silent', 'daily-run', '--all']);
    expect([silent.code, silent.err]).toEqual([1, '']);
    expect(silent.out).toMatch(/^1 pipeline\(s\) FAILED$/m);
  });

  it('a warning shows at info and with --quiet; --log-level error (flag or TIDEMARK_LOG_LEVEL) hides it', async () => {
    const withBroken = ['--warehouse', warehouse, '--catalog', brokenCatalog];
    const shown = await tidemark([...withBroken, '--log-format', 'pretty', 'status']);
    expect(shown.code).toBe(0);
    expect(lines(shown.err)).toEqual([expect.stringMatching(/^\[[\d:.]+\] WARN: skipped a catalog module: .*broken\.mjs/)]);
    expect(shown.out).toContain('events');
    const quiet = await tidemark([...withBroken, '--quiet', 'status']);
    expect(lines(quiet.err).map((l) => (JSON.parse(l) as { level: number; msg: string }).level)).toEqual([40]);
    for (const hidden of [await tidemark([...withBroken, '--log-level', 'error', 'status']), await tidemark([...withBroken, 'status'], { TIDEMARK_LOG_LEVEL: 'error' })]) {
      expect([hidden.code, hidden.err]).toEqual([0, '']);
      expect(hidden.out).toContain('events');
    }
    // The flag wins over the environment.
    const flagWins = await tidemark([...withBroken, '--log-level', 'warn', 'status'], { TIDEMARK_LOG_LEVEL: 'error' });
    expect(lines(flagWins.err)).toHaveLength(1);
  });

  it('an unknown level is a usage error', async () => {
    const r = await tidemark([...at, '--log-level', 'loud', 'tables']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/loud.*invalid/);
    expect((await tidemark([...at, 'tables'], { TIDEMARK_LOG_LEVEL: 'loud' })).code).toBe(2);
  });
});

describe('a metastore that cannot be reached', () => {
  const expectOneErrorLine = (r: Run, secret: string): void => {
    expect(r.out).toBe('');
    expect(r.code).not.toBe(0);
    expect(lines(r.err)).toEqual([expect.stringMatching(/^tidemark: could not open the metastore at postgres:\/\/\w+:\*\*\*@/)]);
    expect(r.err).not.toContain(secret);
  };

  it('status --json and tables --json leave stdout empty and print one error line, password hidden', async () => {
    const url = 'postgres://nobody:s3cret-pw@127.0.0.1:1/x';
    for (const command of ['status', 'tables']) {
      expectOneErrorLine(await tidemark(['--warehouse', warehouse, '--catalog', catalog, command, '--json', '--metastore', url]), 's3cret-pw');
      // Whatever the level, the driver's own messages stay off stdout.
      const debug = await tidemark(['--log-level', 'debug', command, '--json', '--metastore', url]);
      expect(debug.out).toBe('');
      expect(debug.err).toMatch(/ECONNREFUSED/);
      expect(debug.err).not.toContain('s3cret-pw');
    }
  });

  it('a server that refuses the database or the user (PostgreSQL when it answers)', async (t) => {
    if (!(await postgresAvailable())) return t.skip();
    const server = new URL(PG_URL);
    for (const [user, database] of [['nobody_tidemark', server.pathname.slice(1)], [decodeURIComponent(server.username) || 'postgres', 'tidemark_no_such_db']] as const) {
      const url = `postgres://${user}:wr0ng-pw@${server.host}/${database}`;
      for (const command of ['status', 'tables']) expectOneErrorLine(await tidemark([command, '--json', '--metastore', url]), 'wr0ng-pw');
    }
  });
});

describe('write', () => {
  const input = (): string => path.join(root, 'rows.csv');

  it('prints a summary, not a line per file; --json gives the full result with the files', async () => {
    const table = path.join(root, 'tables', 'summary');
    const r = await tidemark(['write', table, '--input', input(), '--key', 'id', '--partition-by', 'part']);
    expect([r.code, r.err]).toEqual([0, '']);
    expect(r.out).toMatch(/^committed \d{17} \(upsert\) on /);
    expect(r.out).toMatch(/inserted: +3000\n/);
    expect(r.out).toMatch(/files written: +3\n/);
    expect(r.out).toMatch(/seconds: +\d+\.\d\d\n/);
    expect(r.out).not.toContain('.parquet');
    expect(lines(r.out).length).toBeLessThan(10);
    const again = await tidemark(['write', table, '--input', input(), '--op', 'insert', '--json']);
    const result = JSON.parse(again.out) as { operation: string; inserted: number; filesWritten: number; files: string[]; seconds: number };
    expect(result).toMatchObject({ operation: 'insert', inserted: 3000, filesWritten: result.files.length });
    expect(result.files.length).toBeGreaterThan(0);
    expect(result.files.every((f) => f.endsWith('.parquet'))).toBe(true);
    expect(typeof result.seconds).toBe('number');
  });

  it('shows no progress when stderr is piped, even at once', async () => {
    const r = await tidemark(['--log-format', 'pretty', 'write', path.join(root, 'tables', 'piped'), '--input', input(), '--key', 'id'], { TIDEMARK_PROGRESS_DELAY_MS: '0' });
    expect([r.code, r.err]).toEqual([0, '']);
  });

  it.skipIf(!hasScript)('on a terminal: a progress line with the rows and files, cleared before the summary; none with --quiet or JSON logs', async () => {
    const shown = await onTerminal(['write', path.join(root, 'tables', 'tty'), '--input', input(), '--key', 'id', '--partition-by', 'part'], { TIDEMARK_PROGRESS_DELAY_MS: '0' });
    expect(shown.code).toBe(0);
    expect(shown.text).toMatch(/write \S+tty · \w+ · 3,000 rows · 3 files · \d+\.\d s/);
    // The line is cleared and the cursor shown again; the summary comes after, and nothing after it.
    const summary = shown.text.lastIndexOf('committed ');
    expect(shown.text.lastIndexOf('\x1b[?25h')).toBeLessThan(summary);
    expect(shown.text.slice(summary)).toMatch(/^committed \d{17} \(upsert\)[^\x1b]*seconds: +\d+\.\d\d\n$/);
    for (const flags of [['--quiet'], ['--log-format', 'json'], ['--log-level', 'warn']]) {
      const none = await onTerminal([...flags, 'write', path.join(root, 'tables', 'tty'), '--input', input()], { TIDEMARK_PROGRESS_DELAY_MS: '0' });
      expect(none.code).toBe(0);
      expect(none.text).not.toMatch(ANY_ESCAPE);
      expect(none.text).toMatch(/^committed /);
    }
  });
});

describe.skipIf(!hasScript)('on a terminal', () => {
  it('pretty and coloured by default; NO_COLOR removes every colour; logs come before the summary, never after', async () => {
    // No progress line here (were daily-run to draw one): only logs and the table.
    const noProgress = { TIDEMARK_PROGRESS_DELAY_MS: '3600000' };
    const coloured = await onTerminal([...at, 'daily-run', '--all'], noProgress);
    expect(coloured.code).toBe(1);
    expect(coloured.text).toMatch(SGR);
    const plain = await onTerminal([...at, 'daily-run', '--all'], { ...noProgress, NO_COLOR: '1' });
    expect(plain.code).toBe(1);
    expect(plain.text).not.toMatch(SGR);
    const start = plain.text.search(/^pipeline +status/m);
    const [logs, table] = [plain.text.slice(0, start), plain.text.slice(start)];
    for (const line of lines(logs.replace(/\x1b\[[^a-zA-Z]*[a-zA-Z]/g, ''))) expect(line).toMatch(PRETTY_EVENT);
    expect(lines(logs).filter((l) => l.includes('INFO: run started'))).toHaveLength(2);
    expect(table).toMatch(/^1 pipeline\(s\) FAILED$/m);
    for (const line of lines(table)) expect(line).not.toMatch(PRETTY_EVENT);
  });
});
