/**
 * The layering docs/ARCHITECTURE.md states, checked on the sources: no import cycle (type imports
 * count: a cycle of types is still a tangle a reader must hold at once), every import pointing down
 * the layers, and the drivers (`node:fs`, DuckDB, knex and the PostgreSQL clients, the Kafka and
 * NATS clients) only in their adapters. Dynamic `import()`s are the CLI's lazy loading: they must
 * point down too, but are not edges of the cycle check (the CLI loads a command's module only when
 * it runs).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.join(import.meta.dirname, '..', '..', 'src');

/** A folder (or top-level file) of `src/` and its rank: an import may point to its own rank or lower. */
const RANKS: Readonly<Record<string, number>> = {
  util: 0,
  errors: 0,
  time: 1,
  timeline: 1,
  table: 1,
  config: 1,
  logging: 1,
  storage: 2,
  metastore: 2,
  streams: 2,
  engine: 3,
  pipeline: 4,
  definitions: 4,
  session: 5,
  api: 5,
  project: 5,
  cli: 6,
  demo: 6,
  index: 6,
};

/** Where each driver may be imported (paths relative to `src/`, as prefixes). */
const DRIVERS: ReadonlyArray<{ readonly pattern: RegExp; readonly what: string; readonly allowed: ReadonlyArray<string> }> = [
  { pattern: /^@duckdb\//, what: 'DuckDB', allowed: ['storage/duckdb/'] },
  { pattern: /^(knex|knex-pglite|pg|@electric-sql\/pglite)(\/|$)/, what: 'knex and the PostgreSQL clients', allowed: ['metastore/', 'pipeline/sources/postgres-source.ts'] },
  { pattern: /^(kafkajs(\/|$)|@nats-io\/)/, what: 'the Kafka and NATS clients', allowed: ['streams/'] },
  // Table data goes through the FileStore port; the file system directly only where it is not a table's.
  { pattern: /^(node:)?fs(\/promises)?$/, what: 'node:fs', allowed: ['storage/', 'metastore/', 'definitions/', 'project/', 'demo/', 'cli/'] },
];

interface Edge {
  readonly from: string;
  readonly to: string;
  readonly dynamic: boolean;
}

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

const files = sources(SRC).map((f) => path.relative(SRC, f).split(path.sep).join('/'));
const text = new Map(files.map((f) => [f, fs.readFileSync(path.join(SRC, f), 'utf8')]));

/** Every import and re-export of a file: `import … from`, `export … from`, `import('…')`. */
function specifiers(source: string): Array<{ spec: string; dynamic: boolean }> {
  const out: Array<{ spec: string; dynamic: boolean }> = [];
  for (const m of source.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s+'([^']+)'/gms)) out.push({ spec: m[1]!, dynamic: false });
  for (const m of source.matchAll(/^\s*import\s+'([^']+)'/gm)) out.push({ spec: m[1]!, dynamic: false });
  for (const m of source.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)) out.push({ spec: m[1]!, dynamic: true });
  return out;
}

const edges: Edge[] = [];
const external: Array<{ from: string; spec: string }> = [];
for (const [file, source] of text) {
  for (const { spec, dynamic } of specifiers(source)) {
    if (spec.startsWith('.')) edges.push({ from: file, to: path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)), dynamic });
    else external.push({ from: file, spec });
  }
}

const layerOf = (file: string): string => (file.includes('/') ? file.slice(0, file.indexOf('/')) : file.replace(/\.ts$/, ''));

/** Strongly connected components of more than one file (Tarjan). */
function cycles(graph: ReadonlyMap<string, ReadonlyArray<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

describe('the source tree', () => {
  it('is found (the checks below are not vacuous)', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(edges.length).toBeGreaterThan(500);
  });

  it('has no import cycle', () => {
    const graph = new Map(files.map((f) => [f, edges.filter((e) => e.from === f && !e.dynamic).map((e) => e.to)]));
    expect(cycles(graph)).toEqual([]);
  });

  it('imports only down the layers', () => {
    for (const f of files) expect(RANKS[layerOf(f)], `${f}: a folder with no rank in RANKS`).toBeDefined();
    const upward = edges
      .filter((e) => RANKS[layerOf(e.to)]! > RANKS[layerOf(e.from)]!)
      .map((e) => `${e.from} → ${e.to}${e.dynamic ? ' (dynamic)' : ''}`);
    expect(upward).toEqual([]);
  });

  it('imports each driver only in its adapters', () => {
    const misplaced = external.flatMap(({ from, spec }) =>
      DRIVERS.filter((d) => d.pattern.test(spec) && !d.allowed.some((a) => from.startsWith(a))).map((d) => `${from} imports ${spec} (${d.what}: only in ${d.allowed.join(', ')})`),
    );
    expect(misplaced).toEqual([]);
  });

  it('keeps the pure core free of I/O and logging', () => {
    const core = ['time/', 'timeline/', 'table/', 'util/'];
    const io = /^(node:)?(fs|fs\/promises|child_process|net|http|https)$|^(pino|@duckdb\/|knex|pg$)/;
    const found = external.filter(({ from, spec }) => core.some((c) => from.startsWith(c)) && io.test(spec)).map(({ from, spec }) => `${from} imports ${spec}`);
    expect(found).toEqual([]);
  });
});
