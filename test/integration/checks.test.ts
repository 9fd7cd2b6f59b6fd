/** Each declarative check counts exactly the rows that break it, on a real DuckDB relation. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckSession } from '../../src/storage/duckdb/session.ts';
import { describeCheck, runChecks } from '../../src/pipeline/checks.ts';
import { InvalidArgumentError } from '../../src/errors.ts';

describe('pipeline checks', () => {
  let duck: DuckSession;
  beforeAll(async () => {
    duck = await DuckSession.open();
    await duck.run(`CREATE TABLE batch AS SELECT * FROM (VALUES
      (1, 'ann', 'paid', 10.0), (2, NULL, 'new', 20.0), (3, 'cy', 'lost', -5.0), (3, 'cy', 'paid', 7.0), (4, 'dee', NULL, 500.0)
    ) t(id, customer, status, amount)`);
  });
  afterAll(() => duck.close());

  it('counts failing rows per check', async () => {
    const results = await runChecks(duck, 'batch', [
      { kind: 'not_null', column: 'customer' },
      { kind: 'unique', column: 'id' },
      { kind: 'unique', column: ['id', 'status'] },
      { kind: 'accepted_values', column: 'status', values: ['new', 'paid'] },
      { kind: 'range', column: 'amount', min: 0, max: 100 },
      { kind: 'min_rows', count: 8 },
      { kind: 'sql', name: 'amount_has_cents', predicate: 'amount = round(amount, 2)' },
      { kind: 'sql', predicate: 'customer IS NOT NULL' },
    ], 'p');
    expect(results.map((r) => [r.check, r.failing])).toEqual([
      ['not_null(customer)', 1],
      ['unique(id)', 2],
      ['unique(id, status)', 0],
      ['accepted_values(status)', 1], // NULL is not_null's business, not accepted_values'
      ['range(amount >= 0 <= 100)', 2],
      ['min_rows(8)', 3],
      ['amount_has_cents', 0],
      ['sql(customer IS NOT NULL)', 1], // a NULL predicate counts as failing
    ]);
  });

  it('a check that cannot be evaluated names itself and the pipeline', async () => {
    const error = await runChecks(duck, 'batch', [{ kind: 'not_null', column: 'nope' }], 'orders_silver').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(String(error)).toMatch(/check not_null\(nope\) of pipeline orders_silver cannot be evaluated/);
    expect(describeCheck({ kind: 'range', column: 'x', max: 3 })).toBe('range(x <= 3)');
  });
});
