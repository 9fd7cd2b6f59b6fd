/**
 * The metastore contract on a real PostgreSQL server (`TIDEMARK_TEST_PG_URL`, default the local `test`
 * database). Every suite works in its own `tm_test_<random>` schema, dropped at the end, so parallel
 * files and reruns never collide, and the migrations are proved to work outside `public`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import knex, { type Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/config.ts';
import { PG_URL, postgresAvailable } from '../support/postgres.ts';
import { MetastoreError } from '../../src/errors.ts';
import { KnexMetastore } from '../../src/metastore/knex-metastore.ts';
import { openMetastore } from '../../src/metastore/open-metastore.ts';
import { describeMetastoreContract } from '../contract/metastore.contract.ts';

const MIGRATIONS = fs.readdirSync(path.join(import.meta.dirname, '..', '..', 'migrations')).filter((f) => f.endsWith('.ts')).sort();
const describePg = describe.skipIf(!(await postgresAvailable()));

/** A fresh schema on the server and a way to drop it. */
async function freshSchema(): Promise<{ schema: string; admin: Knex; drop(): Promise<void> }> {
  const schema = `tm_test_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const admin = knex({ client: 'pg', connection: PG_URL, pool: { min: 0, max: 1 } });
  await admin.raw('create schema ??', [schema]);
  return {
    schema,
    admin,
    drop: async () => {
      await admin.raw('drop schema if exists ?? cascade', [schema]);
      await admin.destroy();
    },
  };
}

/** A metastore in `schema` built directly on knex with `searchPath` (the route a library user takes). */
function onSchema(schema: string): KnexMetastore {
  return new KnexMetastore(knex({ client: 'pg', connection: PG_URL, searchPath: [schema], pool: { min: 0, max: 4 } }));
}

/** `PG_URL` with the schema as the session's search_path (the route a CLI user takes: one URL). */
function urlWithSchema(schema: string): string {
  const url = new URL(PG_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.href;
}

describePg('PostgreSQL server', () => {
  describeMetastoreContract('PostgreSQL server', async () => {
    const { schema, drop } = await freshSchema();
    // Opened the way the CLI opens it: a URL through openMetastore, which also migrates.
    const metastore = await openMetastore(resolveConfig({ metastore: urlWithSchema(schema) }, {}));
    if (!(metastore instanceof KnexMetastore)) throw new Error('openMetastore should return a KnexMetastore');
    const peers: KnexMetastore[] = [];
    return {
      metastore,
      knex: metastore.knex,
      peer: async () => {
        const peer = onSchema(schema); // its own pool: its own sessions
        peers.push(peer);
        return peer;
      },
      cleanup: async () => {
        for (const peer of peers) await peer.close();
        await metastore.close();
        await drop();
      },
    };
  });
});

describePg('PostgreSQL metastore specifics', () => {
  let fresh: Awaited<ReturnType<typeof freshSchema>>;
  beforeAll(async () => {
    fresh = await freshSchema();
  });
  afterAll(async () => {
    await fresh?.drop();
  });

  it('migrates once when several processes migrate a new schema at the same time', async () => {
    // Separate pools are separate server sessions, which is what separate processes are to PostgreSQL.
    const stores = [onSchema(fresh.schema), onSchema(fresh.schema), onSchema(fresh.schema)];
    try {
      await Promise.all(stores.map((s) => s.migrate()));
      const applied = (await fresh.admin.withSchema(fresh.schema).from('knex_migrations').select('name', 'batch')) as Array<{ name: string; batch: number }>;
      expect(applied.map((m) => m.name)).toEqual(MIGRATIONS);
      expect(new Set(applied.map((m) => m.batch)).size).toBe(1);
    } finally {
      for (const s of stores) await s.close();
    }
  });

  it('applies a migration that is missing from an otherwise migrated store', async () => {
    // Simulates a store migrated by an older Tidemark that lacked the second migration.
    await fresh.admin.schema.withSchema(fresh.schema).dropTable('pipeline_log');
    await fresh.admin.withSchema(fresh.schema).from('knex_migrations').whereIn('name', MIGRATIONS.slice(1)).del();
    const store = onSchema(fresh.schema);
    try {
      await store.migrate();
      expect(await fresh.admin.schema.withSchema(fresh.schema).hasTable('pipeline_log')).toBe(true);
      const names = await fresh.admin.withSchema(fresh.schema).from('knex_migrations').orderBy('id').pluck('name');
      expect(names).toEqual(MIGRATIONS);
    } finally {
      await store.close();
    }
  });

  it('keeps its tables in the configured schema, none in public', async () => {
    const tables = (await fresh.admin('information_schema.tables')
      .whereIn('table_name', ['table_registry', 'pipeline_log'])
      .whereIn('table_schema', [fresh.schema, 'public'])
      .select('table_schema')) as Array<{ table_schema: string }>;
    expect(tables.map((t) => t.table_schema)).toEqual([fresh.schema, fresh.schema]);
  });

  it('a lock whose session dies (a crashed process) is freed by the server, and fn still completes', async () => {
    const holder = onSchema(fresh.schema);
    const other = onSchema(fresh.schema);
    const lockPid = async (key: string): Promise<number | undefined> => (await fresh.admin.raw(
      `select pid from pg_locks where locktype = 'advisory' and granted and objsubid = 1
         and objid::bigint = hashtextextended(?, 0) & 4294967295`, [key])).rows[0]?.pid as number | undefined;
    try {
      const key = `crash_${randomUUID()}`;
      const outcome = await holder.withLock(key, async () => {
        const pid = await lockPid(key);
        expect(pid).toBeGreaterThan(0);
        expect(await other.withLock(key, async () => 'too early')).toEqual({ acquired: false });
        await fresh.admin.raw('select pg_terminate_backend(?)', [pid!]);
        // Termination is asynchronous: wait for the backend to go (and its locks with it).
        for (let i = 0; i < 100 && (await lockPid(key)) !== undefined; i++) await new Promise((r) => setTimeout(r, 20));
        return other.withLock(key, async () => 'taken after crash');
      });
      // Unlocking on the dead session fails; that is not fn's failure, and the lock is free regardless.
      expect(outcome).toEqual({ acquired: true, value: { acquired: true, value: 'taken after crash' } });
      expect(await lockPid(key)).toBeUndefined();
      expect(await holder.withLock(key, async () => 'pool recovered')).toEqual({ acquired: true, value: 'pool recovered' });
    } finally {
      await holder.close();
      await other.close();
    }
  });
});

describe('PostgreSQL metastore that cannot be reached', () => {
  it('fails to open with a MetastoreError naming the URL without its password', async () => {
    const url = 'postgres://tidemark:s3cret@127.0.0.1:1/nowhere';
    const error = await openMetastore(resolveConfig({ metastore: url }, {})).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(MetastoreError);
    expect((error as Error).message).toContain('could not open the metastore at postgres://tidemark:***@127.0.0.1:1/nowhere');
    expect((error as Error).message).not.toContain('s3cret');
    expect((error as Error).cause).toBeInstanceOf(MetastoreError);
  });
});
