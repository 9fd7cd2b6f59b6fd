/**
 * The local PostgreSQL server for tests (`TIDEMARK_TEST_PG_URL`, default the trust-auth server at
 * 127.0.0.1:5432/test). Each suite works in its own schema so runs never collide.
 */
import pg from 'pg';
import { redact } from '../../src/config/config.ts';

export const PG_URL = process.env.TIDEMARK_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/test';

/** Whether the server answers (suites skip, saying so, when it does not; `.ci/run` always has one). */
export async function postgresAvailable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch (error) {
    console.warn(`PostgreSQL is not reachable at ${redact(PG_URL)} (${(error as Error).message}): the PostgreSQL suites are SKIPPED. Set TIDEMARK_TEST_PG_URL to a reachable server to run them.`);
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Runs SQL on the server (one connection per call). */
export async function pgQuery(sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end();
  }
}

/** A fresh schema name. */
export function uniqueSchema(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}
