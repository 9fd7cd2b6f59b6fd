/**
 * `npm run demo` / `tidemark demo`: the example catalog end to end, on the embedded defaults (no server,
 * no settings) unless a metastore is configured (`--metastore`, `TIDEMARK_METASTORE_URL`).
 *
 *   day 1 lands → daily-run → summary → day 2 lands (new orders, updates, late rows, stale
 *   duplicates, price changes) → daily-run → what changed, checked against the generator → gold
 *   table → `tidemark status --days 14` → commands to try next.
 *
 * Both "days" happen minutes apart in wall time, so the daily runs use `all` (run every pipeline,
 * due or not). Each step prints one line to `io.stdout`; while a daily run works, a progress line is
 * redrawn in place when stdout is a terminal (never in logs or pipes).
 *
 * The demo creates only its own tables, landing files, log rows and registrations, records them in
 * the warehouse before creating them, and refuses to run over anything of the same name it did not
 * create; `resetDemo` removes exactly what it recorded (see `demo-state.ts`).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { type CliIo, main } from '../cli/main.ts';
import { renderTable } from '../cli/output.ts';
import { type ConfigFlags, redact } from '../config/config.ts';
import { type Logger, silentLogger } from '../logging/logger.ts';
import { type PipelineContext, pathOfNameOrPath } from '../pipeline/context.ts';
import { type DailyRunResult, dailyRun } from '../pipeline/daily-run.ts';
import { TidemarkSession } from '../session.ts';
import { LocalFileStore } from '../storage/local-file-store.ts';
import { checkDemo, claimDemo, demoConfig, loadDemoNames } from './demo-state.ts';
import { type DayBatch, type GeneratorOptions, generateDays, landingFiles, writeLanding } from './generator.ts';

export { DEMO_CATALOG, DEMO_MANIFEST, type DemoReset, resetDemo } from './demo-state.ts';

/**
 * How to run the demo: `metastore` and `warehouse` as the global flags (else `TIDEMARK_METASTORE_URL`,
 * `TIDEMARK_WAREHOUSE`, then the embedded store under `./warehouse`); `catalog` defaults to the
 * demo's own, {@link DEMO_CATALOG} (never `TIDEMARK_CATALOG`: the demo owns its pipelines' targets).
 */
export interface DemoOptions extends ConfigFlags {
  readonly io: CliIo;
  /** Pipeline logs (default: none). */
  readonly logger?: Logger;
  readonly generator?: GeneratorOptions;
  /** Redraw a progress line during daily runs (default: when stdout is a terminal). */
  readonly progress?: boolean;
}

/** What the demo did, for callers that check it (the integration test). */
export interface DemoResult {
  readonly ok: boolean;
  readonly warehouse: string;
  readonly catalog: string;
  readonly batches: ReadonlyArray<DayBatch>;
  /** One daily run per day. */
  readonly runs: ReadonlyArray<DailyRunResult>;
  /** The exit code of `tidemark status`. */
  readonly statusExitCode: number;
}

const DAYS = 2;
const fmt = (n: number): string => n.toLocaleString('en-US');
const plural = (n: number, word: string): string => `${fmt(n)} ${word}${n === 1 ? '' : 's'}`;

/** A word quoted for a shell when needed. */
function quoted(s: string): string {
  return /[\s"'$`\\&;|<>()?*]/.test(s) ? `'${s.replaceAll("'", `'\\''`)}'` : s;
}

/** A path as the user would type it from the current directory. */
function shown(p: string): string {
  const rel = path.relative(process.cwd(), p);
  if (rel === '') return '.';
  return quoted(rel.startsWith('..') || path.isAbsolute(rel) ? p : `./${rel}`);
}

/**
 * Runs the demo; resolves when done (failed pipelines are reported, not thrown). Refuses, before
 * creating anything, when a table, registration, pipeline log or landing file of the demo's names
 * exists that the demo did not create.
 */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const { io } = options;
  const say = (line: string): void => io.stdout(`${line}\n`);
  const progress = options.progress ?? process.stdout.isTTY === true;
  const config = demoConfig(options);
  const { warehouse, catalog, metastoreUrl } = config;
  const open = (): Promise<TidemarkSession> => TidemarkSession.open({ metastore: metastoreUrl, warehouse, catalog, logger: options.logger ?? silentLogger });

  const batches = generateDays(DAYS, options.generator);
  const store = new LocalFileStore();
  const names = await loadDemoNames(store, config);
  await checkDemo(store, names, config); // before the session: a refusal creates nothing, not even an embedded metastore
  const runs: DailyRunResult[] = [];
  for (const batch of batches) {
    const session = await open();
    try {
      const ctx = session.context;
      if (batch.day === 1) {
        await claimDemo(store, names, session.metastore, config, batches.flatMap((b) => landingFiles(warehouse, b).map((f) => f.file)));
        const where = metastoreUrl === undefined ? `embedded metastore ${shown(config.embeddedMetastoreDir)}` : `PostgreSQL metastore ${redact(metastoreUrl)}`;
        say(`Tidemark demo — warehouse ${shown(warehouse)}, catalog ${shown(catalog)} (${plural(ctx.pipelines.size, 'pipeline')}), ${where}`);
      }
      await writeLanding(ctx.store, warehouse, batch);
      say(`day ${batch.day} (${batch.date}): generated ${describeBatch(batch)} → ${shown(path.join(warehouse, 'landing'))}`);
      const t0 = performance.now();
      const result = await dailyRunWithProgress(ctx, io, progress);
      runs.push(result);
      say(describeRun(result, (performance.now() - t0) / 1000));
      for (const r of result.results.filter((x) => x.status !== 'SUCCESS')) say(`  ${r.pipeline}: ${r.status} — ${r.error ?? ''}`);
      for (const line of await (batch.day === 1 ? summarizeTables(ctx) : summarizeChanges(ctx, result, batches))) say(`  ${line}`);
      if (batch.day === DAYS) {
        const gold = await goldRows(ctx);
        if (gold !== undefined) io.stdout(`\ngold.daily_revenue:\n${renderTable(gold, Object.keys(gold[0] ?? {}))}`);
      }
    } finally {
      await session.close();
    }
  }

  // The session is closed first: the embedded metastore admits one user at a time.
  say('\nstatus (tidemark status --days 14):');
  const statusExitCode = await main(['status', '--days', '14', '--warehouse', warehouse, '--catalog', catalog, ...(metastoreUrl === undefined ? [] : ['--metastore', metastoreUrl])], io);

  const flags = [
    ...(path.resolve('warehouse') === warehouse ? [] : [`--warehouse ${shown(warehouse)}`]),
    // Only a URL given as a flag (one from the environment is there for the next command too); never its password.
    ...(options.metastore === undefined || options.metastore.trim() === '' || metastoreUrl === undefined ? [] : [`--metastore ${quoted(redact(metastoreUrl))}`]),
  ];
  // Commands that read the catalog need the demo's; the others find the tables by name.
  const withCatalog = [...flags, ...(path.resolve('catalog') === catalog ? [] : [`--catalog ${shown(catalog)}`])];
  const cmd = (args: string, extra: ReadonlyArray<string> = flags): string => `  npx tidemark ${[args, ...extra].join(' ')}`;
  say('\nnext, try:');
  say(cmd(`sql "SELECT order_date, orders, revenue FROM tidemark_scan('gold.daily_revenue') ORDER BY order_date"`));
  say(cmd(`sql "SELECT status, count(*) AS orders FROM tidemark_scan('silver.orders') GROUP BY status ORDER BY orders DESC"`));
  say(cmd('commits bronze.orders'));
  say(cmd('status --days 14', withCatalog));
  say(cmd('daily-run --dry-run', withCatalog));
  // In a clone, the compiled catalog's TypeScript sources sit at the top of the repository.
  const sources = path.resolve(catalog, '..', '..', 'catalog');
  const readable = path.basename(path.dirname(path.resolve(catalog))) === 'dist' && existsSync(sources) ? sources : catalog;
  say(`  and read the pipelines in ${shown(readable)}/ — copy one to start your own (or run \`npx tidemark init\` for a commented one).`);

  const ok = runs.every((r) => r.ok) && statusExitCode === 0;
  return { ok, warehouse, catalog, batches, runs, statusExitCode };
}

function describeBatch(b: DayBatch): string {
  const s = b.stats;
  if (b.day === 1) return `${plural(b.orders.length, 'order')}, ${plural(b.customers.length, 'customer')}, ${plural(b.products.length, 'product')}`;
  return (
    `${plural(b.orders.length, 'order row')} (${fmt(s.newOrders)} new, ${plural(s.statusUpdates, 'status update')}, ` +
    `${fmt(s.lateOrders)} late from the day before, ${plural(s.staleDuplicates, 'stale duplicate')}), ` +
    `${plural(s.newCustomers, 'new customer')}, ${plural(s.priceChanges, 'price change')}`
  );
}

function describeRun(r: DailyRunResult, seconds: number): string {
  const counts = new Map<string, number>();
  for (const x of r.results) counts.set(x.status, (counts.get(x.status) ?? 0) + 1);
  const outcome = [...counts].map(([status, n]) => `${n} ${status}`).join(', ');
  return `daily-run: ${plural(r.results.length, 'pipeline')} ${counts.size === 1 ? [...counts.keys()][0] : `(${outcome})`} in ${seconds.toFixed(1)} s`;
}

/** Runs every pipeline; on a terminal, redraws one progress line naming the pipeline at work. */
async function dailyRunWithProgress(ctx: PipelineContext, io: CliIo, enabled: boolean): Promise<DailyRunResult> {
  if (!enabled) return dailyRun(ctx, { all: true });
  const total = ctx.pipelines.size;
  const t0 = performance.now();
  let index = 0;
  let current = 'starting';
  let frame = 0;
  const spinner = '⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏';
  const draw = (): void => io.stdout(`\r\x1b[K${spinner[frame++ % spinner.length]} daily-run ${index}/${total} ${current} · ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const timer = setInterval(draw, 120);
  timer.unref();
  try {
    return await dailyRun(ctx, {
      all: true,
      onProgress: (event) => {
        current = event.pipeline;
        index = event.index;
        draw();
      },
    });
  } finally {
    clearInterval(timer);
    io.stdout('\r\x1b[K');
  }
}

async function count(ctx: PipelineContext, table: string): Promise<number | undefined> {
  try {
    const [row] = await ctx.engine.sql(`SELECT count(*) AS n FROM tidemark_scan('${table}')`, (t) => pathOfNameOrPath(ctx, t));
    return Number(row!.n);
  } catch {
    return undefined; // not written (its pipeline failed)
  }
}

/** After day 1: the rows of every target. */
async function summarizeTables(ctx: PipelineContext): Promise<string[]> {
  const parts: string[] = [];
  for (const def of [...ctx.pipelines.values()].sort((a, b) => a.target.table.localeCompare(b.target.table))) {
    const n = await count(ctx, def.target.table);
    parts.push(`${def.target.table} ${n === undefined ? '(missing)' : fmt(n)}`);
  }
  return [`rows: ${parts.join(' · ')}`];
}

/** After day 2: what each layer did, and whether silver holds the latest version of every order. */
async function summarizeChanges(ctx: PipelineContext, run: DailyRunResult, batches: ReadonlyArray<DayBatch>): Promise<string[]> {
  const lines = run.results
    .filter((r) => r.status === 'SUCCESS')
    .map((r) => `${r.target}: read ${fmt(r.recordsRead)}, ${fmt(r.inserted)} inserted, ${fmt(r.updated)} updated${r.skippedAsOlder > 0 ? `, ${fmt(r.skippedAsOlder)} older versions ignored` : ''}`);
  // The generator's truth: per order, the version with the newest updated_at across all batches.
  const latest = new Map<number, { status: string; updatedMs: number }>();
  for (const b of batches) {
    for (const o of b.orders) {
      const ms = Date.parse(o.updated_at);
      const seen = latest.get(o.order_id);
      if (seen === undefined || ms > seen.updatedMs) latest.set(o.order_id, { status: o.status, updatedMs: ms });
    }
  }
  try {
    const rows = await ctx.engine.sql(`SELECT order_id, status, epoch_ms(updated_at) AS ms FROM tidemark_scan('silver.orders')`, (t) => pathOfNameOrPath(ctx, t));
    const right = rows.filter((r) => {
      const want = latest.get(Number(r.order_id));
      return want !== undefined && want.status === r.status && want.updatedMs === Number(r.ms);
    }).length;
    const stale = batches.reduce((a, b) => a + b.stats.staleDuplicates, 0);
    const verdict = right === latest.size && rows.length === latest.size ? 'every order is at its latest version' : `only ${fmt(right)} of ${fmt(latest.size)} orders are at their latest version`;
    lines.push(`check: silver.orders has ${plural(rows.length, 'order')}; ${verdict}; ${plural(stale, 'stale duplicate')} lost`);
  } catch {
    lines.push('check: silver.orders cannot be read');
  }
  return lines;
}

async function goldRows(ctx: PipelineContext): Promise<Record<string, unknown>[] | undefined> {
  try {
    const rows = await ctx.engine.sql(
      `SELECT order_date, orders, cancelled_orders AS cancelled, customers, units, revenue FROM tidemark_scan('gold.daily_revenue') ORDER BY order_date`,
      (t) => pathOfNameOrPath(ctx, t),
    );
    return rows.length === 0 ? undefined : rows;
  } catch {
    return undefined;
  }
}
